"""Reports benchmark: Annex 3 forms and the auditors' reconciliation workbook, each beside a plain
openpyxl baseline writing the same cells, in the same run.

    python -m bench.reports                                   # 1,000 forms; 10,000 platforms, 1,000,000 postings
    python -m bench.reports --quick                           # a few seconds
    python -m bench.reports --platforms 10000 --postings 1000000 --forms 1000 --json figures.json

A fresh SQLite ledger (temporary directory; ``--url`` for another database) gets ``--platforms``
platforms (recognised provincial or national), claims taken through the entries the services post
(file, two reviews, audit, approval, notice, fund issue, one payment per payer) with their claim,
approval, fund-issue, payment, claim-event and budget rows, imported with ``ledger.bulk`` until the
journal holds about ``--postings`` postings. Then, each in a child process of its own so that its peak
resident memory is its own:

(a) ``--forms`` Annex 3 workbooks through ``reports.annex3.write_claim`` (reading the ledger, building,
    styling, saving), and the baseline: plain openpyxl writing the same cell values and merges;
(b) the reconciliation workbook through ``reports.reconciliation.write`` (openpyxl write-only,
    streamed), at a tenth of the journal (``as_of``) and at all of it, to show that memory does not grow
    with the postings; and the baseline: the same cells through a normal in-memory openpyxl workbook
    (``plain=True``).

Seconds are wall time; memory is the child's peak resident set (``VmHWM`` of /proc/self/status, which
unlike ``ru_maxrss`` does not inherit the parent's peak across ``exec``), and its resident set once the
libraries are imported, before the measured work (``start_rss_mb``). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select

from calculators.rulesets.bundled import rulebook
from ledger import accounts as A
from ledger import services as S
from ledger.db import ensure_schema, make_engine, session_factory
from ledger.journal import Leg, debit_credit
from ledger.models import (
    Approval,
    Budget,
    Claim,
    ClaimEvent,
    FundIssue,
    Invoice,
    JournalEntry,
    Payment,
    Platform,
    PlatformEvent,
    Review,
)

PROGRAM = "equipment-subsidy"
RULE_SET = "jiaxing-rules-2026"
YEARS = tuple(range(2016, 2026))


def say(msg: str) -> None:
    sys.stderr.write(f"[bench.reports] {msg}\n")
    sys.stderr.flush()


def _payers(jurisdiction: str) -> tuple[str, ...]:
    j = rulebook().jurisdictions[jurisdiction]
    return ("330400", j.payer) if j.split_class == "district" else (j.payer,)


# ---------------------------------------------------------------- the synthetic ledger


def populate(url: str, platforms: int, postings: int, forms: int, seed: int = 20261122) -> dict[str, Any]:
    """Platforms, claims and a balanced journal of about ``postings`` postings (see the module doc)."""
    from ledger.bulk import EntrySpec, import_in_batches

    rng = random.Random(seed)
    engine = make_engine(url)
    ensure_schema(engine)
    factory = session_factory(engine)
    jurisdictions = sorted(rulebook().jurisdictions)
    with factory.begin() as s:
        S.sync_reference_data(s)
        rows = [{"code": f"B{k:05d}", "name": f"基准中试平台{k:05d}", "operator": f"基准平台{k:05d}有限公司",
                 "leader_type": "enterprise", "jurisdiction_code": jurisdictions[k % len(jurisdictions)],
                 "contact_person": "联系人", "contact_mobile": "13800000000", "head_person": "负责人",
                 "head_phone": "0573-80000000"} for k in range(platforms)]
        ids = list(s.scalars(insert(Platform).returning(Platform.id, sort_by_parameter_order=True), rows))
        s.execute(insert(PlatformEvent), [
            {"platform_id": pid, "kind": "recognition", "date": date(2015, 6, 1),
             "level": "national" if k % 10 == 0 else "provincial", "document_number": f"浙经信〔2015〕{k}号",
             "note": ""} for k, pid in enumerate(ids)])
    plats = [(pid, rows[k]["jurisdiction_code"], _payers(rows[k]["jurisdiction_code"])) for k, pid in enumerate(ids)]
    # claims: ~ (14 memo + 10 per payer) postings each; spread over ten years in date order
    per_claim = {1: 24, 2: 34}
    plan: list[dict[str, Any]] = []
    total = 0
    approp_legs = 4 * 12 * len(YEARS)
    while total + approp_legs < postings:
        pid, _, payers = plats[len(plan) % len(plats)] if len(plan) < len(plats) else rng.choice(plats)
        plan.append({"pid": pid, "payers": payers, "amount": rng.randrange(50_000_00, 400_000_00)})
        total += per_claim[len(payers)]
    plan_dates = sorted(date(rng.choice(YEARS), 1, 20) + timedelta(days=rng.randrange(0, 250)) for _ in plan)
    for c, filed in zip(plan, plan_dates, strict=True):
        c["filed"] = filed
    say(f"{platforms} platforms, {len(plan)} claims planned")
    with factory.begin() as s:
        claim_ids = list(s.scalars(insert(Claim).returning(Claim.id, sort_by_parameter_order=True), [
            {"number": f"B{c['filed'].year}-{k:07d}", "platform_id": c["pid"], "program": PROGRAM,
             "rule_set": RULE_SET, "application_date": c["filed"], "state": "paid", "years": None,
             "requested_fen": c["amount"], "computed_fen": c["amount"], "approved_fen": c["amount"],
             "platform_document": "", "level": "", "filed_by": "import"} for k, c in enumerate(plan)]))
    for c, cid in zip(plan, claim_ids, strict=True):
        c["id"] = cid
        amount, n = c["amount"], len(c["payers"])
        c["shares"] = dict(zip(c["payers"], [amount // 2, amount - amount // 2] if n == 2 else [amount],
                               strict=True))
    committed: Counter[tuple[str, int]] = Counter()
    for c in plan:
        for payer, share in c["shares"].items():
            committed[(payer, (c["filed"] + timedelta(days=23)).year)] += share

    pay_events: list[dict[str, Any]] = []

    def entries() -> Iterator[EntrySpec]:
        seq = 0
        for year in YEARS:
            for payer in sorted({p for _, _, ps in plats for p in ps}):
                amount = committed[(payer, year)] + 1_000_000_00
                dims = {"payer": payer, "program": PROGRAM, "fiscal_year": year}
                seq += 1
                yield EntrySpec(date(year, 1, 5), "appropriation", f"{year}年度预算指标",
                                debit_credit(A.BUDGET_AUTHORITY, A.APPROPRIATION_AVAILABLE, amount, **dims)
                                + debit_credit(A.TREASURY, A.APPROPRIATION_REVENUE, amount, payer=payer,
                                               fiscal_year=year), actor="import")
        for c in plan:
            cid, amount, filed = c["id"], c["amount"], c["filed"]
            memo = {"platform_id": c["pid"], "program": PROGRAM, "claim_id": cid}
            meeting = filed + timedelta(days=23)
            fy = meeting.year
            number = f"B{filed.year}-{cid}"

            def e(on: date, kind: str, desc: str, legs: list[Leg], cid: int = cid) -> EntrySpec:
                return EntrySpec(on, kind, desc, legs, claim_id=cid, actor="import")

            yield e(filed, "file", f"{number} 申报", debit_credit(A.MEMO_FILED, A.MEMO_CONTRA, amount, **memo))
            yield e(filed + timedelta(days=2), "review-economic", f"{number} 区级经信审核：同意",
                    debit_credit(A.MEMO_ECON_REVIEWED, A.MEMO_FILED, amount, **memo))
            yield e(filed + timedelta(days=3), "review-finance", f"{number} 区级财政审核：同意",
                    debit_credit(A.MEMO_DISTRICT_REVIEWED, A.MEMO_ECON_REVIEWED, amount, **memo))
            yield e(filed + timedelta(days=18), "audit", f"{number} 审计",
                    debit_credit(A.MEMO_AUDITED, A.MEMO_DISTRICT_REVIEWED, amount, **memo))
            legs = debit_credit(A.MEMO_CONTRA, A.MEMO_AUDITED, amount, **memo)
            issue = debit_credit(A.MEMO_CONTRA, A.MEMO_IN_NOTICE, amount, **memo)
            for payer, share in c["shares"].items():
                dims = {**memo, "payer": payer, "fiscal_year": fy}
                legs += debit_credit(A.APPROPRIATION_AVAILABLE, A.COMMITTED, share, **dims)
                issue += debit_credit(A.COMMITTED, A.OBLIGATED, share, **dims)
                issue += debit_credit(A.SUBSIDY_EXPENSE, A.SUBSIDY_PAYABLE, share, **dims)
            yield e(meeting, "approve", f"{number} 党组会审定", legs)
            yield e(meeting + timedelta(days=7), "notice", f"{number} 公示",
                    debit_credit(A.MEMO_IN_NOTICE, A.MEMO_CONTRA, amount, **memo))
            yield e(meeting + timedelta(days=16), "issue", f"{number} 下达资金", issue)
            for j, (payer, share) in enumerate(c["shares"].items()):
                dims = {**memo, "payer": payer, "fiscal_year": fy}
                on = meeting + timedelta(days=21 + 5 * j)
                pay_events.append({"claim_id": cid, "payer": payer, "on": on, "amount": share,
                                   "voucher": f"V{cid}-{j}"})
                yield e(on, "payment", f"{number} {payer} 拨付（V{cid}-{j}）",
                        debit_credit(A.OBLIGATED, A.EXPENDED, share, **dims)
                        + debit_credit(A.SUBSIDY_PAYABLE, A.TREASURY, share, **dims))

    start = time.perf_counter()
    result = import_in_batches(factory, entries(), batch=2000)
    say(f"imported {result.entries} entries, {result.postings} postings in {time.perf_counter() - start:.1f}s")
    # records that agree with the journal: approvals, fund issues, payments and their events, budgets
    with factory.begin() as s:
        s.execute(insert(Approval), [
            {"claim_id": c["id"], "meeting_date": c["filed"] + timedelta(days=23), "minutes_number": "党组会",
             "approved_fen": c["amount"], "computed_fen": c["amount"], "reason": "",
             "fiscal_year": (c["filed"] + timedelta(days=23)).year, "shares": c["shares"]} for c in plan])
        s.execute(insert(FundIssue), [{"claim_id": c["id"], "document_number": "嘉经信下达",
                                       "date": c["filed"] + timedelta(days=39)} for c in plan])
        s.execute(insert(Payment), [{"claim_id": p["claim_id"], "payer_code": p["payer"],
                                     "voucher_number": p["voucher"], "date": p["on"],
                                     "amount_fen": p["amount"]} for p in pay_events])
        pay_entry = {row.description.split("（")[-1].rstrip("）"): row.id for row in s.execute(
            select(JournalEntry.id, JournalEntry.description).where(JournalEntry.kind == "payment"))}
        s.execute(insert(ClaimEvent), [
            {"claim_id": p["claim_id"], "from_state": "issued", "to_state": "paid", "action": "pay", "date": p["on"],
             "actor": "import", "entry_id": pay_entry[p["voucher"]], "note": f"{p['payer']} {p['voucher']}"}
            for p in pay_events])
        s.execute(insert(Budget), [
            {"payer_code": payer, "fiscal_year": year, "program": PROGRAM,
             "appropriation_fen": committed[(payer, year)] + 1_000_000_00, "document_number": ""}
            for year in YEARS for payer in sorted({p for _, _, ps in plats for p in ps})])
        # the first ``forms`` claims get an invoice and both reviews, as a filed Annex 3 would
        firsts = plan[:forms]
        s.execute(insert(Invoice), [{"issuer_code": "91330400X", "number": f"{c['id']:08d}", "claim_id": c["id"],
                                     "platform_id": c["pid"], "date": c["filed"] - timedelta(days=90),
                                     "net_fen": c["amount"] * 10 // 3, "vat_fen": 0, "released": False}
                                    for c in firsts])
        s.execute(insert(Review), [{"claim_id": c["id"], "department": d, "approve": True, "opinion": "同意",
                                    "date": c["filed"] + timedelta(days=2 + k), "reviewer": "bench"}
                                   for c in firsts for k, d in enumerate(("economic", "finance"))])
    engine.dispose()
    dates = sorted(plan_dates)
    return {"platforms": platforms, "claims": len(plan), "entries": result.entries, "postings": result.postings,
            "form_claims": [f"B{c['filed'].year}-{k:07d}" for k, c in enumerate(plan[:forms])],
            "tenth_date": dates[len(dates) // 10].isoformat()}


# ---------------------------------------------------------------- the measured runs (child processes)


def _status_mb(field: str) -> float | None:
    """A memory figure of this process from /proc/self/status (Linux), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """This process's peak resident memory. ``VmHWM`` is the high-water mark of this process's own address
    space; ``ru_maxrss`` is not used where VmHWM exists because Linux carries it across ``execve`` from the
    forking parent, which would report the parent's peak for a child that used less."""
    hwm = _status_mb("VmHWM")
    if hwm is not None:
        return hwm
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _child(fn_name: str, args: dict[str, Any], conn: Any) -> None:
    from reports import annex3, reconciliation  # noqa: F401  (imports are not the measured work)

    start_rss = _status_mb("VmRSS")
    start = time.perf_counter()
    out = globals()[fn_name](**args)
    seconds = time.perf_counter() - start
    conn.send({"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "start_rss_mb": start_rss, **out})
    conn.close()


def _context() -> Any:
    """Children forked from a lean server process that has imported the libraries once (fast, and each
    child's memory is its own from the imports on); spawned fresh where there is no fork server."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["ledger.services", "ledger.bulk", "reports.annex3", "reports.reconciliation"])
        return ctx
    return mp.get_context("spawn")


def measured(fn_name: str, **args: Any) -> dict[str, Any]:
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn_name, args, child))
    proc.start()
    child.close()
    result = parent.recv()
    proc.join()
    return result  # type: ignore[no-any-return]


def run_forms(url: str, claims: list[str], out_dir: str) -> dict[str, Any]:
    """Ours: ``reports.annex3`` reads each claim, builds its form and writes the styled workbook (what
    ``write_claim`` does, with the reading timed apart as ``load_seconds``)."""
    from reports import annex3
    from reports.xlsx import save

    engine = make_engine(url)
    load = 0.0
    with session_factory(engine)() as s:
        for number in claims:
            t = time.perf_counter()
            form = annex3.build(annex3.load(s, number))
            load += time.perf_counter() - t
            save(annex3.workbook([form]), os.path.join(out_dir, f"{number}.xlsx"))
    size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    return {"files": len(claims), "bytes": size, "load_seconds": load}


def run_forms_baseline(url: str, claims: list[str], out_dir: str) -> dict[str, Any]:
    """The baseline: plain openpyxl writing the same cells — the form's fixed text and merges (taken once
    from a blank form) and each claim's field values at their cells — with no fonts, borders, widths,
    heights or print settings. The values are read by the same ``load`` and ``build`` as ours (timed
    apart as ``load_seconds``), so the difference is the cost of the report layer's layout and styles."""
    from openpyxl import Workbook

    from reports import annex3

    template = Workbook()
    annex3.write_sheet(template.active, annex3.blank())
    field_cells = set(annex3.FIELD_CELLS.values())
    fixed = [(c.coordinate, c.value) for row in template.active.iter_rows() for c in row
             if c.value is not None and c.coordinate not in field_cells]
    merges = [str(m) for m in template.active.merged_cells.ranges]
    engine = make_engine(url)
    load = 0.0
    with session_factory(engine)() as s:
        for number in claims:
            t = time.perf_counter()
            form = annex3.build(annex3.load(s, number))
            load += time.perf_counter() - t
            wb = Workbook()
            ws = wb.active
            ws.title = annex3.ANNEX
            for ref, value in fixed:
                ws[ref] = value
            for _, label, value in form.fields():
                if label in annex3.FIELD_CELLS and value not in (None, ""):
                    ws[annex3.FIELD_CELLS[label]] = value
            for ref in merges:
                ws.merge_cells(ref)
            wb.save(os.path.join(out_dir, f"{number}.xlsx"))
    size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    return {"files": len(claims), "bytes": size, "load_seconds": load}


def run_reconciliation(url: str, out: str, as_of: str | None, plain: bool) -> dict[str, Any]:
    from reports import reconciliation

    engine = make_engine(url)
    with session_factory(engine)() as s:
        reconciliation.write(s, out, as_of=date.fromisoformat(as_of) if as_of else None, plain=plain)
    return {"bytes": os.path.getsize(out)}


def same_cells(ours: str, baseline: str) -> bool:
    """Whether two workbooks hold the same sheets, cell values and merges (the baseline's check)."""
    from openpyxl import load_workbook

    a, b = load_workbook(ours), load_workbook(baseline)
    if a.sheetnames != b.sheetnames:
        return False
    for name in a.sheetnames:
        wa, wb = a[name], b[name]
        if {str(m) for m in wa.merged_cells.ranges} != {str(m) for m in wb.merged_cells.ranges}:
            return False
        cells_a = {c.coordinate: c.value for row in wa.iter_rows() for c in row if c.value is not None}
        cells_b = {c.coordinate: c.value for row in wb.iter_rows() for c in row if c.value is not None}
        if cells_a != cells_b:
            return False
    return True


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.splitlines()[0])
    ap.add_argument("--platforms", type=int, default=10_000)
    ap.add_argument("--postings", type=int, default=1_000_000)
    ap.add_argument("--forms", type=int, default=1_000)
    ap.add_argument("--url", help="database URL (default: a SQLite file in a temporary directory)")
    ap.add_argument("--quick", action="store_true", help="200 platforms, 10,000 postings, 20 forms")
    ap.add_argument("--no-baseline", action="store_true", help="skip the plain openpyxl baselines")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    if args.quick:
        args.platforms, args.postings, args.forms = 200, 10_000, 20
    work = tempfile.mkdtemp(prefix="bench-reports-")
    try:
        url = args.url or f"sqlite:///{work}/ledger.db"
        say(f"populating {url}")
        t0 = time.perf_counter()
        info = measured("populate", url=url, platforms=args.platforms, postings=args.postings, forms=args.forms)
        info["populate_seconds"] = time.perf_counter() - t0
        figures: dict[str, Any] = {"setup": {k: v for k, v in info.items() if k != "form_claims"}}
        forms = info["form_claims"]
        for name, fn in (("annex3", "run_forms"), ("annex3_baseline", "run_forms_baseline")):
            if name.endswith("baseline") and args.no_baseline:
                continue
            out_dir = os.path.join(work, name)
            os.makedirs(out_dir)
            say(f"{name}: {len(forms)} forms")
            figures[name] = measured(fn, url=url, claims=forms, out_dir=out_dir)
        if "annex3_baseline" in figures and forms:
            figures["annex3_baseline"]["same_cells"] = same_cells(
                os.path.join(work, "annex3", f"{forms[0]}.xlsx"), os.path.join(work, "annex3_baseline", f"{forms[0]}.xlsx"))
        for name in ("annex3", "annex3_baseline"):
            shutil.rmtree(os.path.join(work, name), ignore_errors=True)
        runs = [("reconciliation_tenth", info["tenth_date"], False), ("reconciliation", None, False)]
        if not args.no_baseline:
            runs.append(("reconciliation_baseline", None, True))
        for name, as_of, plain in runs:
            out = os.path.join(work, f"{name}.xlsx")
            say(f"{name}{' as of ' + as_of if as_of else ''}")
            figures[name] = measured("run_reconciliation", url=url, out=out, as_of=as_of, plain=plain)
            os.remove(out)
        print(table(figures))
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(figures, f, ensure_ascii=False, indent=2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def table(f: dict[str, Any]) -> str:
    s = f["setup"]
    lines = [f"setup: {s['platforms']:,} platforms, {s['claims']:,} claims, {s['entries']:,} entries, "
             f"{s['postings']:,} postings (populated in {s['populate_seconds']:.1f} s)"]

    def row(label: str, key: str) -> None:
        if key in f:
            r = f[key]
            note = f" (from {r['start_rss_mb']:.0f} MB)" if r.get("start_rss_mb") else ""
            note += f"  reading the ledger {r['load_seconds']:.2f} s" if "load_seconds" in r else ""
            if "same_cells" in r:
                note += "  same cells as ours" if r["same_cells"] else "  CELLS DIFFER FROM OURS"
            lines.append(f"{label:<44} {r['seconds']:>9.2f} s  {r['peak_rss_mb']:>9.1f} MB peak RSS{note}")

    n = len(f.get("annex3", {})) and f["annex3"]["files"]
    row(f"annex3 forms ({n}), ours", "annex3")
    row(f"annex3 forms ({n}), plain openpyxl baseline", "annex3_baseline")
    row("reconciliation, a tenth of the journal, ours", "reconciliation_tenth")
    row("reconciliation, whole journal, ours", "reconciliation")
    row("reconciliation, whole journal, plain openpyxl", "reconciliation_baseline")
    if "annex3" in f:
        lines.append(f"{'annex3 forms per second, ours':<44} {f['annex3']['files'] / f['annex3']['seconds']:>9.1f}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
