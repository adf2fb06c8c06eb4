"""The peer side of the ledger benchmark: the same entries written through python-accounting.

python-accounting (a benchmark-only dependency, ``pip install -e .[bench]``) keeps its own tables, so
it gets its own database (a separate SQLite file, or a separate PostgreSQL database) on the same
engine. Each of our entries becomes one compound ``JournalEntry``: the main account is a leg whose
account appears once in the entry, the other legs are its line items (credited for our credits),
and ``Transaction.post`` writes the ledger rows, each with its chained hash, the way the library
does it (a commit per ledger row). python-accounting has no dimension columns, so the payer,
platform, program, claim and fiscal year of each leg go into the line item's narration.

python-accounting registers its event listeners on SQLAlchemy's ``Session`` class itself, so once it is
imported every session of the process is filtered by "the session's entity" and ours fail
(``'Session' object has no attribute 'entity'``). It therefore runs in a child process:

    python -m bench.ledger_peer --url URL --entries FILE.pickle --years 2019-2029

which prints its figures as one JSON line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pickle
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from ledger.accounts import CHART
from ledger.bulk import EntrySpec
from ledger.db import make_engine
from ledger.journal import Leg


def available() -> str | None:
    """``None`` when python-accounting is installed, else why not (without importing it: see above)."""
    if importlib.util.find_spec("python_accounting") is None:
        return "python-accounting is not installed; pip install -e '.[bench]'"
    return None


def _account_type(view: str, normal_side: str, code: str) -> str:
    """A python-accounting account type for one of our accounts (its reports are not used here)."""
    if view == "memorandum":
        return "CONTROL"
    if code.startswith("1"):
        return "BANK" if code == "1001" else "RECEIVABLE"
    if code.startswith("2"):
        return "PAYABLE"
    if code.startswith("4"):
        return "OPERATING_REVENUE"
    if code.startswith("5"):
        return "OPERATING_EXPENSE"
    return "CONTROL" if normal_side == "debit" else "RECONCILIATION"


@dataclass(frozen=True)
class PeerResult:
    entries: int
    postings: int  # our postings written (legs)
    ledger_rows: int  # python-accounting Ledger rows they became
    seconds: float
    chunk_rates: tuple[float, ...]  # postings/s of successive chunks, to show whether it slows down

    @property
    def postings_per_s(self) -> float:
        return self.postings / self.seconds if self.seconds else 0.0


class Peer:
    """A python-accounting book on ``engine`` (an empty database) with our chart of accounts."""

    def __init__(self, engine: Engine, years: Iterable[int]) -> None:
        from python_accounting.database.session import get_session
        from python_accounting.models import Account, Base, Currency, Entity, ReportingPeriod

        self.engine = engine
        Base.metadata.create_all(engine)
        self.session: Any = get_session(engine)
        s = self.session
        entity = Entity(name="嘉兴市中试平台补助资金")
        s.add(entity)
        s.commit()  # sets up the current year's reporting period
        currency = Currency(name="人民币", code="CNY", entity_id=entity.id)
        s.add(currency)
        s.commit()
        have = {p.calendar_year for p in s.scalars(select(ReportingPeriod))}
        count = len(have)
        for year in sorted(set(years) - have):
            count += 1  # past and future years take journal entries in ADJUSTING status
            s.add(ReportingPeriod(calendar_year=year, period_count=count, entity_id=entity.id,
                                  status=ReportingPeriod.Status.ADJUSTING))
            s.commit()
        self.entity_id = entity.id
        self.accounts: dict[str, int] = {}
        for code, name, view, side in CHART:
            account = Account(name=f"{code} {name}", account_type=Account.AccountType[_account_type(view, side, code)],
                              currency_id=currency.id, entity_id=entity.id)
            s.add(account)
            s.commit()
            self.accounts[code] = account.id
        self.number = 0

    def close(self) -> None:
        self.session.close()

    def _post(self, spec: EntrySpec) -> None:
        from python_accounting.models import LineItem
        from python_accounting.transactions import JournalEntry

        legs: list[Leg] = list(spec.legs)
        counts: dict[str, int] = {}
        for leg in legs:
            counts[leg.account] = counts.get(leg.account, 0) + 1
        main = next(leg for leg in legs if counts[leg.account] == 1)  # a line item may not repeat the main account
        s = self.session
        self.number += 1
        when = datetime(spec.entry_date.year, spec.entry_date.month, spec.entry_date.day, 12)
        entry = JournalEntry(narration=spec.description[:1000], transaction_date=when,
                             account_id=self.accounts[main.account], entity_id=self.entity_id, compound=True,
                             credited=main.amount < 0, main_account_amount=Decimal(abs(main.amount)) / 100,
                             transaction_no=f"JE{self.number:08d}", reference=spec.kind)
        s.add(entry)
        s.flush()
        items = []
        for leg in legs:
            if leg is main:
                continue
            item = LineItem(narration=f"{leg.payer}|{leg.platform_id}|{leg.program}|{leg.claim_id}|{leg.fiscal_year}",
                            account_id=self.accounts[leg.account], amount=Decimal(abs(leg.amount)) / 100,
                            credited=leg.amount < 0, entity_id=self.entity_id)
            s.add(item)
            items.append(item)
        s.flush()
        for item in items:
            entry.line_items.add(item)
        s.add(entry)
        entry.post(s)
        s.commit()

    def write(self, entries: Iterable[EntrySpec], *, chunks: int = 5) -> PeerResult:
        """Post every entry; time the whole run and each of ``chunks`` equal parts of it."""
        specs = list(entries)
        n_postings = sum(len(e.legs) for e in specs)
        size = max(1, -(-len(specs) // chunks))
        rates = []
        start = time.perf_counter()
        for part in _parts(specs, size):
            t0 = time.perf_counter()
            for spec in part:
                self._post(spec)
            rates.append(sum(len(e.legs) for e in part) / (time.perf_counter() - t0))
        seconds = time.perf_counter() - start
        return PeerResult(len(specs), n_postings, self.ledger_rows(), seconds, tuple(rates))

    def ledger_rows(self) -> int:
        from python_accounting.models import Ledger

        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Ledger.__table__)).scalar_one())

    def verify(self, sample: int = 50) -> bool:
        """python-accounting's own tamper check (``Transaction.is_secure``) on the first ``sample`` entries."""
        from python_accounting.transactions import JournalEntry

        rows = self.session.scalars(select(JournalEntry).order_by(JournalEntry.id).limit(sample)).all()
        return all(t.is_secure(self.session) for t in rows)


def _parts(items: list[EntrySpec], size: int) -> Iterator[list[EntrySpec]]:
    for k in range(0, len(items), size):
        yield items[k:k + size]


def write_in_child(url: str, entries: list[EntrySpec], years: Iterable[int], workdir: str) -> dict[str, Any]:
    """Run :func:`main` in a child process on ``url`` (an empty database) and return its figures."""
    import os
    import subprocess

    path = os.path.join(workdir, "peer-entries.pickle")
    with open(path, "wb") as f:
        pickle.dump(entries, f, protocol=pickle.HIGHEST_PROTOCOL)
    ys = sorted(years)
    proc = subprocess.run([sys.executable, "-m", "bench.ledger_peer", "--url", url, "--entries", path,
                           "--years", f"{ys[0]}-{ys[-1]}"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"python-accounting run failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ledger_peer")
    ap.add_argument("--url", required=True, help="an empty database for python-accounting's tables")
    ap.add_argument("--entries", required=True, help="a pickle of the list of EntrySpec to write")
    ap.add_argument("--years", required=True, help="fiscal years to open reporting periods for, e.g. 2019-2029")
    args = ap.parse_args(argv)
    with open(args.entries, "rb") as f:
        entries: list[EntrySpec] = pickle.load(f)  # our own file, written by write_in_child
    first, _, last = args.years.partition("-")
    engine = make_engine(args.url)
    try:
        peer = Peer(engine, range(int(first), int(last or first) + 1))
        out = peer.write(entries)
        secure = peer.verify()
        peer.close()
    finally:
        engine.dispose()
    print(json.dumps({"postings": out.postings, "entries": out.entries, "ledger_rows": out.ledger_rows,
                      "seconds": out.seconds, "postings_per_s": out.postings_per_s,
                      "chunk_postings_per_s": [round(r) for r in out.chunk_rates], "hashes_verified": secure}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
