"""The demo dataset the service starts with: 36 fictional pilot platforms (中试平台) in every Jiaxing
jurisdiction, their histories, budgets and claims spread over every step of the procedure.

Everything is written through :mod:`ledger.services` — reference data, platforms and their dated
history, appropriations, and each claim's filing, reviews, audit, approval, public notice, objection,
fund issue, payment, reversal and recovery — so every amount is the calculators' and every step is
one balanced, hash-chained journal entry. Nothing is inserted directly.

The story runs in date order from January 2025 to ``today`` (default 2026-11-20); steps dated later
are not run, so ``load_demo(today=...)`` gives the ledger as it stood on an earlier day. Every date
is a working day on the official calendar. At the default ``today`` the work queues hold:

* 南湖区/海宁市/港区: claims just filed (awaiting the district economic review);
* 秀洲区/桐乡市: claims awaiting the district finance review; 平湖市: awaiting audit;
* 海盐县/桐乡市: audited claims awaiting approval (海盐县's 2026 equipment budget is nearly spent, so
  its claim does not fit until a supplementary appropriation);
* 经开区 and a 港区 plan award: approved, awaiting the public notice;
* 海盐县/秀洲区: in a notice that has not ended; 海宁市/平湖市: notice ended, awaiting fund issue;
* 嘉善县: an open objection; 秀洲区: an objection upheld (approval reversed); 平湖市: one dismissed;
* 秀洲区/海盐县: funds issued, nothing paid; 南湖区: city share paid, district share not;
* 经开区: a payment reversed (wrong account), and a recovery (追回) partly received.

It also shows both equipment caps clipping a claim (1000万 national, 500万 provincial), an upgrade
provincial → national between claims, the higher-of offset between the award and the equipment
subsidy (award first and equipment first), the institution exclusion (refused at district review),
an institution without agreement support paid in full, the 实施方案 and 浙江方案 programs, and a
provincial amount clipped at its maximum.

Limitations of the ledger met while writing it (worked around in the data, not in ``ledger/``):

* ``pool-award`` cannot be filed: ``pool_award.by_grade`` is not supplied in ``jiaxing-plan-2025``
  and ``file_claim`` takes no what-if, so the pool platforms here only carry their evaluations;
* ``publish_notice`` takes the notice period from the rule set of the lowest-numbered claim in the
  batch, and only the 细则 defines ``notice.*``: 实施方案 and 浙江方案 claims are therefore published
  in joint batches headed by an earlier-filed 细则 claim, and a 实施方案 claim approved in 2025
  (numbered ``SQ2025-…``) cannot be published at all — it waits in "approved".

Run ``python -m app.demo [--database-url URL]`` to migrate a database and load the demo.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from calculators.labels import state_title
from calculators.notice import default_calendar
from calculators.rulesets.bundled import rulebook
from ledger import provincial
from ledger import services as S
from ledger.errors import LedgerError
from ledger.models import (
    Budget,
    Claim,
    JournalEntry,
    Notice,
    Objection,
    Payment,
    Platform,
    Recovery,
)

DEMO_PREFIX = "DEMO-"
MARKER = "DEMO-NH01"  # the first demo platform: present means the demo is loaded
DEFAULT_TODAY = date(2026, 11, 20)

CITY = "330400"
PROVINCE = "330000"
MUNICIPAL_PROGRAMS_RULES = ("equipment-subsidy", "municipal-award")  # 细则
MUNICIPAL_PROGRAMS_PLAN = ("provincial-award", "national-matching")  # 实施方案 (pool-award: see module doc)
PROVINCIAL_PROGRAMS = ("zj-new-provincial", "zj-national-upgrade", "zj-excellent")  # 浙江方案


def wan(amount: str) -> int:
    """万元 (a decimal string) → integer fen."""
    fen = Decimal(amount) * 1_000_000
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} 万元 is not a whole number of fen")
    return int(fen)


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _follows(ctx: _Ctx, number: str, step: str) -> bool:
    """Whether the claim's procedure has ``step`` (the demo script names every step of the equipment
    procedure; a claim whose procedure lacks one — no audit, no 公示 — skips it)."""
    claim = ctx.session.execute(select(Claim).where(Claim.number == number)).scalar_one()
    return S.procedure_of(claim).step(step) is not None


def _actor_of_payer(payer: str) -> str:
    return {CITY: "city-finance", PROVINCE: "zj-finance"}.get(payer, f"fin-{payer}")


def _checker_of_payer(payer: str) -> str:
    """The payer's second finance user, who confirms (复核) the payments the first prepares (制单)."""
    return f"{_actor_of_payer(payer)}-checker"


# ---------------------------------------------------------------- the script: dated steps

@dataclass
class _Ctx:
    session: Session
    claims: dict[str, str] = field(default_factory=dict)  # demo key → claim number
    objections: dict[str, int] = field(default_factory=dict)  # demo key → objection id


Run = Callable[[_Ctx], Any]


@dataclass(frozen=True)
class _Step:
    on: date
    seq: int
    what: str
    run: Run


@dataclass
class _Meeting:
    on: date
    minutes: str


@dataclass
class _Batch:
    on: date
    title: str
    keys: list[str] = field(default_factory=list)


SUPPLIERS = (  # fictional equipment suppliers (统一社会信用代码 style)
    "91330400MA2DEMO01X", "91330100MA2DEMO02K", "91320500MA1DEMO03P", "91310115MA1DEMO04Q",
    "91440300MA5DEMO05R", "91330200MA2DEMO06T",
)


class _Builder:
    def __init__(self) -> None:
        self.steps: list[_Step] = []
        self.platforms: list[_Platform] = []
        self._seq = 0
        self._invoice_no = 0
        self._voucher: dict[str, int] = {}
        self._issue_no = 40

    def add(self, on: date, what: str, run: Run) -> None:
        self._seq += 1
        self.steps.append(_Step(on, self._seq, what, run))

    def invoice_number(self) -> str:
        self._invoice_no += 1
        return f"3304{self._invoice_no:04d}"

    def voucher(self, payer: str, on: date) -> str:
        self._voucher[payer] = self._voucher.get(payer, 0) + 1
        return f"{payer}-{on.year}-{self._voucher[payer]:04d}"

    def issue_document(self) -> str:
        self._issue_no += 1
        return f"嘉经信技装〔2026〕{self._issue_no}号"

    def platform(self, suffix: str, jurisdiction: str, operator: str, name: str, *, head: str, contact: str,
                 leader_type: str = "enterprise") -> _Platform:
        p = _Platform(self, f"{DEMO_PREFIX}{suffix}", jurisdiction, operator, name, leader_type, head, contact,
                      len(self.platforms) + 1)
        self.platforms.append(p)
        return p

    def meeting(self, on: str, minutes: str) -> _Meeting:
        return _Meeting(_d(on), minutes)

    def batch(self, on: str, title: str) -> _Batch:
        b = _Batch(_d(on), title)

        def publish(ctx: _Ctx) -> Any:
            numbers = [n for n in (ctx.claims[k] for k in b.keys) if _follows(ctx, n, "notice")]
            if not numbers:
                return None
            return S.publish_notice(ctx.session, claim_numbers=numbers, publication_date=b.on, title=title,
                                    actor="city-bureau")

        self.add(b.on, f"notice {title}", publish)
        return b


@dataclass
class _Platform:
    b: _Builder
    code: str
    jurisdiction: str
    operator: str
    name: str
    leader_type: str
    head: str
    contact: str
    index: int
    documents: list[tuple[date, str]] = field(default_factory=list)
    n_claims: int = 0

    @property
    def local_payer(self) -> str:
        return rulebook().jurisdictions[self.jurisdiction].payer

    def create(self, session: Session) -> None:
        S.create_platform(session, code=self.code, name=self.name, jurisdiction=self.jurisdiction,
                          operator=self.operator, leader_type=self.leader_type, head_person=self.head,
                          head_phone=f"0573-8{3100000 + self.index * 1117:07d}", contact_person=self.contact,
                          contact_mobile=f"1390573{self.index:04d}")

    def _event(self, on: str, kind: str, **kw: Any) -> None:
        when = _d(on)
        self.b.add(when, f"{self.code} {kind}", lambda ctx: S.add_platform_event(
            ctx.session, self.code, kind=kind, on=when, **kw))

    def pool_entry(self, on: str, document: str) -> None:
        self._event(on, "pool-entry", document_number=document, note="列入嘉兴市中试平台培育库")

    def recognition(self, on: str, level: str, document: str) -> None:
        self.documents.append((_d(on), document))
        self._event(on, "recognition", level=level, document_number=document)

    def evaluation(self, on: str, year: int, grade: str, scheme: str = "jiaxing") -> None:
        self._event(on, "evaluation", year=year, grade=grade, scheme=scheme,
                    note=f"{year}年度{'省级中试平台' if scheme == 'zhejiang' else '嘉兴市中试平台（培育）'}绩效评价")

    def agreement(self, on: str, document: str, amount: str) -> None:
        self._event(on, "agreement-support", document_number=document, amount_fen=wan(amount),
                    note="市区财政资金协议支持")

    def claim(self, program: str, filed: str, *, years: Mapping[int, str | tuple[str, str]] | None = None,
              requested: str | None = None, national_support: str | None = None, recorded: str | None = None,
              evaluation_year: int | None = None) -> _Claim:
        """A claim; ``years`` maps investment year → 万元 on the invoices, or (invoiced, audited)."""
        self.n_claims += 1
        key = f"{self.code}/{self.n_claims}"
        on = _d(filed)
        invoices: list[S.InvoiceIn] = []
        audited: dict[int, int] = {}
        for year, amounts in sorted((years or {}).items()):
            invoiced, confirmed = (amounts, amounts) if isinstance(amounts, str) else amounts
            total = wan(invoiced)
            first = total * 6 // 10
            for part, day in ((first, date(year, 4, 16)), (total - first, date(year, 10, 22))):
                invoices.append(S.InvoiceIn(SUPPLIERS[(self.b._invoice_no + self.index) % len(SUPPLIERS)],
                                            self.b.invoice_number(), day, part, part * 13 // 100))
            audited[year] = wan(confirmed)
        document = next((doc for when, doc in reversed(self.documents) if when <= on), "")
        c = _Claim(self, key, program, audited)

        def file(ctx: _Ctx) -> Any:
            out = S.file_claim(
                ctx.session, platform_code=self.code, program=program, application_date=on, invoices=invoices,
                national_support_fen=wan(national_support) if national_support else None,
                recorded_amount_fen=wan(recorded) if recorded else None, evaluation_year=evaluation_year,
                requested_fen=wan(requested) if requested else None, platform_document=document,
                actor=c.applicant)
            ctx.claims[key] = out.claim
            return out

        self.b.add(on, f"{key} file {program}", file)
        return c


@dataclass
class _Claim:
    p: _Platform
    key: str
    program: str
    audited_years: dict[int, int]

    @property
    def applicant(self) -> str:
        return f"applicant-{self.p.code.removeprefix(DEMO_PREFIX).lower()}"

    def _add(self, on: date, what: str, run: Callable[[_Ctx, str], Any], step: str | None = None) -> _Claim:
        """Schedule ``run`` on ``on``: skipped when the claim's procedure has no ``step``."""
        def go(ctx: _Ctx) -> Any:
            number = ctx.claims[self.key]
            return run(ctx, number) if step is None or _follows(ctx, number, step) else None

        self.p.b.add(on, f"{self.key} {what}", go)
        return self

    def econ(self, on: str, *, approve: bool = True, opinion: str = "材料齐全，情况属实，同意上报") -> _Claim:
        return self._add(_d(on), "review-economic", lambda ctx, n: S.review(
            ctx.session, claim_number=n, department="economic", approve=approve, opinion=opinion, on=_d(on),
            actor=f"jx-{self.p.jurisdiction}-econ"))

    def finance(self, on: str, *, approve: bool = True, opinion: str = "经审核，同意") -> _Claim:
        return self._add(_d(on), "review-finance", lambda ctx, n: S.review(
            ctx.session, claim_number=n, department="finance", approve=approve, opinion=opinion, on=_d(on),
            actor=f"fin-{self.p.local_payer}"))

    def reviews(self, econ: str, finance: str) -> _Claim:
        return self.econ(econ).finance(finance)

    def audit(self, on: str) -> _Claim:
        report = f"嘉禾信审字〔{on[:4]}〕第{self.p.index:02d}{self.key.rsplit('/', 1)[1]}号"
        return self._add(_d(on), "audit", lambda ctx, n: S.record_audit(
            ctx.session, claim_number=n, firm="嘉兴禾信会计师事务所（普通合伙）", report_number=report, on=_d(on),
            years=self.audited_years or None, actor="city-bureau-audit"), step="audit")

    def approve(self, meeting: _Meeting, *, amount: str | None = None, reason: str = "") -> _Claim:
        """党组会审定 — or, for a provincial claim, the province's allocation document on that day."""
        def run(ctx: _Ctx, n: str) -> Any:
            if not _follows(ctx, n, "approve"):
                claim = ctx.session.execute(select(Claim).where(Claim.number == n)).scalar_one()
                return provincial.allocate(ctx.session, claim_number=n, on=meeting.on, actor="zj-finance",
                                           document_number=f"浙财企〔{meeting.on.year}〕{claim.id}号",
                                           amount_fen=wan(amount) if amount else claim.computed_fen)
            return S.approve(ctx.session, claim_number=n, meeting_date=meeting.on, minutes_number=meeting.minutes,
                             approved_fen=wan(amount) if amount else None, reason=reason, actor="city-bureau")

        return self._add(meeting.on, "approve", run)

    def notice(self, batch: _Batch) -> _Claim:
        batch.keys.append(self.key)
        return self

    def object(self, on: str, objector: str, content: str) -> _Claim:
        def run(ctx: _Ctx, n: str) -> Any:
            out = S.file_objection(ctx.session, claim_number=n, filed=_d(on), objector=objector, content=content,
                                   actor="city-bureau")
            ctx.objections[self.key] = out.objection
            return out

        return self._add(_d(on), "objection", run, step="object")

    def resolve(self, on: str, *, upheld: bool, resolution: str) -> _Claim:
        return self._add(_d(on), "resolve-objection", lambda ctx, n: S.resolve_objection(
            ctx.session, objection_id=ctx.objections[self.key], upheld=upheld, on=_d(on), resolution=resolution,
            actor="city-bureau"), step="object")

    def issue(self, on: str) -> _Claim:
        """下达资金 — or, for a provincial claim, the transfer received and passed on (转拨) that day."""
        document = self.p.b.issue_document()

        def run(ctx: _Ctx, n: str) -> Any:
            if _follows(ctx, n, "issue"):
                return S.issue_funds(ctx.session, claim_number=n, document_number=document, on=_d(on),
                                     actor="city-finance")
            provincial.receive_transfer(ctx.session, claim_number=n, document_number=f"到账{document}", on=_d(on),
                                        actor="city-finance")
            return provincial.pass_on(ctx.session, claim_number=n, document_number=f"转拨{document}", on=_d(on),
                                      actor="city-finance")

        return self._add(_d(on), "issue", run)

    def _payer(self, party: str) -> str:
        return {"city": CITY, "province": PROVINCE}.get(party, self.p.local_payer)

    def pay(self, party: str, on: str, amount: str | None = None) -> _Claim:
        """The payer (``city``, ``local`` or ``province``) pays ``amount`` 万元, or all it owes."""
        payer, when = self._payer(party), _d(on)
        voucher = self.p.b.voucher(payer, when)

        def run(ctx: _Ctx, n: str) -> Any:
            claim = ctx.session.execute(select(Claim).where(Claim.number == n)).scalar_one()
            fen = wan(amount) if amount else S.payable_to(ctx.session, claim, payer)
            made = S.pay(ctx.session, claim_number=n, payer=payer, voucher_number=voucher, on=when, amount_fen=fen,
                         actor=_actor_of_payer(payer))
            if made.confirmed:
                return made
            # 制单/复核: a second finance user of the payer confirms the payment the same day
            return S.confirm_payment(ctx.session, payment_id=made.payment, on=when, actor=_checker_of_payer(payer))

        return self._add(when, f"pay {payer}", run)

    def pay_all(self, city_or_only: str, local: str | None = None) -> _Claim:
        """Pay every share: a district's city share then its own; a county's or the province's one share."""
        if self.program in PROVINCIAL_PROGRAMS:  # passed on to the district or county, which pays it all
            return self.pay("local", city_or_only)
        if rulebook().jurisdictions[self.p.jurisdiction].split_class == "district":
            return self.pay("city", city_or_only).pay("local", local or city_or_only)
        return self.pay("local", city_or_only)

    def reverse_payment(self, party: str, on: str, reason: str) -> _Claim:
        payer = self._payer(party)

        def run(ctx: _Ctx, n: str) -> Any:
            payment = ctx.session.execute(select(Payment).join(Claim, Claim.id == Payment.claim_id).where(
                Claim.number == n, Payment.payer_code == payer).order_by(Payment.id.desc())).scalars().first()
            assert payment is not None
            return S.reverse_payment(ctx.session, payment_id=payment.id, on=_d(on), reason=reason,
                                     actor=_actor_of_payer(payer))

        return self._add(_d(on), f"reverse payment {payer}", run)

    def recover(self, party: str, on: str, amount: str, document: str, reason: str) -> _Claim:
        payer = self._payer(party)
        return self._add(_d(on), f"recover {payer}", lambda ctx, n: S.recover(
            ctx.session, claim_number=n, payer=payer, amount_fen=wan(amount), on=_d(on), document_number=document,
            reason=reason, actor=_actor_of_payer(payer)))

    def receive(self, party: str, on: str, amount: str) -> _Claim:
        payer = self._payer(party)

        def run(ctx: _Ctx, n: str) -> Any:
            rec = ctx.session.execute(select(Recovery).join(Claim, Claim.id == Recovery.claim_id).where(
                Claim.number == n, Recovery.payer_code == payer).order_by(Recovery.id.desc())).scalars().first()
            assert rec is not None
            return S.receive_recovery(ctx.session, recovery_id=rec.id, amount_fen=wan(amount), on=_d(on),
                                      actor=_actor_of_payer(payer))

        return self._add(_d(on), f"receive recovery {payer}", run)


# ---------------------------------------------------------------- budgets

COUNTY_PAYERS = ("330421", "330424", "330481", "330482", "330483", "JXPORT")
DISTRICT_PAYERS = ("330402", "330411", "JXETDZ")

# 万元 per payer class, fiscal year and program
BUDGETS: dict[int, dict[str, dict[str, str]]] = {
    2025: {
        "city": {"provincial-award": "3000", "national-matching": "2000"},
        "district": {"provincial-award": "1500", "national-matching": "1000"},
        "county": {"provincial-award": "1200", "national-matching": "800"},
        "province": {"zj-new-provincial": "5000", "zj-national-upgrade": "6000", "zj-excellent": "500"},
    },
    2026: {
        "city": {"equipment-subsidy": "6000", "municipal-award": "800", "provincial-award": "3000",
                 "national-matching": "2000"},
        "district": {"equipment-subsidy": "2000", "municipal-award": "300", "provincial-award": "1500",
                     "national-matching": "1000"},
        "county": {"equipment-subsidy": "1500", "municipal-award": "200", "provincial-award": "1200",
                   "national-matching": "800"},
        "province": {"zj-new-provincial": "8000", "zj-national-upgrade": "9000", "zj-excellent": "1000"},
    },
    2027: {  # 提前下达 in November 2026; the 实施方案 has been superseded
        "city": {"equipment-subsidy": "6000", "municipal-award": "800"},
        "district": {"equipment-subsidy": "2000", "municipal-award": "300"},
        "county": {"equipment-subsidy": "1500", "municipal-award": "200"},
        "province": {"zj-new-provincial": "8000", "zj-national-upgrade": "9000", "zj-excellent": "1000"},
    },
}
# 海盐县's 2026 equipment budget: 135万 + 240万 approved leaves 5万, so HY03's 90万 waits for more
NEARLY_EXHAUSTED = ("330424", 2026, "equipment-subsidy", "380")
BUDGET_DATES = {2025: ("2025-01-06", "2025-09-01"), 2026: ("2026-01-05", "2026-01-05"),
                2027: ("2026-11-16", "2026-11-16")}  # (municipal, provincial)


def _budgets(b: _Builder) -> None:
    classes = [("city", CITY)] + [("district", p) for p in DISTRICT_PAYERS] + [("county", p) for p in COUNTY_PAYERS]
    classes.append(("province", PROVINCE))
    for year, table in BUDGETS.items():
        for cls, payer in classes:
            on = _d(BUDGET_DATES[year][1 if cls == "province" else 0])
            issuer = {"city": "嘉财预", "province": "浙财企"}.get(cls, f"{payer}财预")
            for k, (program, amount) in enumerate(table[cls].items(), start=1):
                if (payer, year, program) == NEARLY_EXHAUSTED[:3]:
                    amount = NEARLY_EXHAUSTED[3]
                note = "提前下达" if on.year < year else ""
                document = f"{issuer}〔{on.year}〕{k}号{note}"

                def run(ctx: _Ctx, payer: str = payer, year: int = year, program: str = program,
                        amount: str = amount, on: date = on, document: str = document) -> Any:
                    return S.appropriate(ctx.session, payer=payer, fiscal_year=year, program=program,
                                         amount_fen=wan(amount), on=on, document_number=document,
                                         actor=_actor_of_payer(payer))

                b.add(on, f"appropriation {payer} {year} {program}", run)


# ---------------------------------------------------------------- the platforms and their histories

def _script() -> _Builder:
    """One story per platform, jurisdiction by jurisdiction; the engine runs them all in date order."""
    b = _Builder()
    _budgets(b)

    m25 = b.meeting("2025-12-23", "市经信局党组会议纪要〔2025〕21号")
    m1 = b.meeting("2026-04-14", "市经信局党组会议纪要〔2026〕5号")
    m2 = b.meeting("2026-06-09", "市经信局党组会议纪要〔2026〕9号")
    m3 = b.meeting("2026-07-14", "市经信局党组会议纪要〔2026〕11号")
    m4 = b.meeting("2026-09-15", "市经信局党组会议纪要〔2026〕15号")
    m5 = b.meeting("2026-10-20", "市经信局党组会议纪要〔2026〕17号")
    m6 = b.meeting("2026-11-03", "市经信局党组会议纪要〔2026〕18号")
    m7 = b.meeting("2026-11-17", "市经信局党组会议纪要〔2026〕19号")
    title = "2026年第{}批国家级、省级中试平台补助资金拟安排情况公示"
    b1 = b.batch("2026-04-16", title.format("一"))
    b2 = b.batch("2026-06-11", title.format("二"))
    b3 = b.batch("2026-07-16", title.format("三"))
    b4 = b.batch("2026-09-17", title.format("四"))
    b5 = b.batch("2026-10-22", title.format("五"))
    b6 = b.batch("2026-11-06", title.format("六"))
    b7 = b.batch("2026-11-16", title.format("七"))
    b8 = b.batch("2026-11-18", title.format("八"))

    # ------------------------------------------------------------ 南湖区 330402
    p = b.platform("NH01", "330402", "嘉兴禾润新材料科技有限公司", "禾润高性能分离膜中试平台",
                   head="沈立群", contact="陆晓雯")
    p.pool_entry("2025-03-18", "嘉经信技装〔2025〕18号")
    p.recognition("2026-02-10", "provincial", "浙经信技术〔2026〕9号")
    # 就高不重复 (解读 R-14), equipment first: EQ 30% × 200万 = 60万; the award (自动认定) then pays 100万 − 60万 = 40万
    (p.claim("equipment-subsidy", "2026-03-02", years={2023: "70", 2024: "80", 2025: "50"})
     .reviews("2026-03-05", "2026-03-10").audit("2026-03-24").approve(m1).notice(b1).issue("2026-04-28")
     .pay_all("2026-05-08", "2026-05-13"))
    (p.claim("municipal-award", "2026-03-02").reviews("2026-03-05", "2026-03-10").audit("2026-03-24")
     .approve(m1).notice(b1).issue("2026-04-28").pay_all("2026-05-08", "2026-05-13"))
    (p.claim("zj-new-provincial", "2026-03-03", recorded="600").reviews("2026-03-06", "2026-03-11")
     .audit("2026-03-25").approve(m1).notice(b1).issue("2026-04-28").pay_all("2026-05-15"))

    p = b.platform("NH02", "330402", "浙江鸳湖理工学院", "鸳湖理工学院智能传感中试平台",
                   head="顾明远", contact="许嘉怡", leader_type="university")
    p.pool_entry("2025-04-15", "嘉经信技装〔2025〕23号")
    p.agreement("2025-06-20", "南湖区人民政府·浙江鸳湖理工学院共建协议〔2025〕2号", "500")
    p.recognition("2026-03-16", "provincial", "浙经信技术〔2026〕21号")
    (p.claim("equipment-subsidy", "2026-04-07", years={2023: "100", 2024: "120", 2025: "80"}, requested="90")
     .econ("2026-04-10", approve=False,
           opinion="平台由高校主导，已享受市区财政资金协议支持（共建协议〔2025〕2号），"
                   "按细则第五章不再重复享受市级财政资金补助政策，不予上报"))

    p = b.platform("NH03", "330402", "嘉兴澜拓智能装备有限公司", "澜拓高端数控装备中试平台",
                   head="钱国栋", contact="朱雅琴")
    p.recognition("2026-03-20", "national", "工信厅科函〔2026〕57号")
    # 30% × 3900万 = 1170万, clipped at the national cap of 1000万; city paid, 南湖区 not yet
    (p.claim("equipment-subsidy", "2026-04-20", years={2023: "1200", 2024: "1400", 2025: ("1350", "1300")})
     .reviews("2026-04-23", "2026-04-28").audit("2026-05-20").approve(m2).notice(b2).issue("2026-06-24")
     .pay("city", "2026-07-02"))

    p = b.platform("NH04", "330402", "嘉兴云澄生物医药科技有限公司", "云澄细胞治疗中试平台",
                   head="戴文斌", contact="冯思琪")
    p.recognition("2026-06-15", "provincial", "浙经信技术〔2026〕48号")
    p.claim("equipment-subsidy", "2026-11-18", years={2023: "90", 2024: "110", 2025: "140"})

    # ------------------------------------------------------------ 秀洲区 330411
    p = b.platform("XZ01", "330411", "嘉兴秀锦光电科技有限公司", "秀锦光电显示材料中试平台",
                   head="蒋振华", contact="王书瑶")
    p.recognition("2026-01-20", "provincial", "浙经信技术〔2026〕3号")
    # provincial: 30% × 1800万 = 540万, clipped at the provincial cap of 500万
    (p.claim("equipment-subsidy", "2026-03-02", years={2023: "620", 2024: "650", 2025: "530"})
     .reviews("2026-03-05", "2026-03-10").audit("2026-03-24").approve(m1).notice(b1).issue("2026-04-28")
     .pay_all("2026-05-08", "2026-05-13"))
    (p.claim("zj-new-provincial", "2026-03-02", recorded="750").reviews("2026-03-06", "2026-03-11")
     .audit("2026-03-25").approve(m1).notice(b1).issue("2026-04-28").pay_all("2026-05-15"))
    # upgraded to national between claims: the equipment cap rises to 1000万 (500万 used)
    p.recognition("2026-08-28", "national", "工信厅科函〔2026〕112号")
    (p.claim("zj-national-upgrade", "2026-09-08").reviews("2026-09-10", "2026-09-15").audit("2026-10-13")
     .approve(m7).notice(b8))

    p = b.platform("XZ02", "330411", "嘉兴恒溪精密机械有限公司", "恒溪精密传动中试平台",
                   head="褚建新", contact="卫佳慧")
    p.pool_entry("2025-05-12", "嘉经信技装〔2025〕27号")
    p.recognition("2026-03-16", "provincial", "浙经信技术〔2026〕22号")
    # award first (100万), then equipment 30% × 500万 = 150万 pays 150万 − 100万 = 50万
    (p.claim("municipal-award", "2026-03-23").reviews("2026-03-26", "2026-03-31").audit("2026-04-21")
     .approve(m2).notice(b2).issue("2026-06-24").pay_all("2026-07-02", "2026-07-07"))
    (p.claim("equipment-subsidy", "2026-04-01", years={2023: "150", 2024: "180", 2025: "170"})
     .reviews("2026-04-03", "2026-04-09").audit("2026-09-22").approve(m5).notice(b5).issue("2026-11-03"))

    p = b.platform("XZ03", "330411", "嘉兴塍锦功能纺织科技有限公司", "塍锦功能性纤维中试平台",
                   head="沈德明", contact="韩雨桐")
    p.recognition("2026-07-06", "provincial", "浙经信技术〔2026〕55号")
    p.claim("equipment-subsidy", "2026-11-10", years={2023: "60", 2024: "75", 2025: "85"}).econ("2026-11-16")

    p = b.platform("XZ04", "330411", "嘉兴汇湖环保科技有限公司", "汇湖固废资源化中试平台",
                   head="杨树青", contact="朱晨曦")
    p.recognition("2026-05-18", "provincial", "浙经信技术〔2026〕39号")
    (p.claim("equipment-subsidy", "2026-06-15", years={2023: "210", 2024: "190", 2025: "200"})
     .reviews("2026-06-18", "2026-06-24").audit("2026-09-08").approve(m5).notice(b5)
     .object("2026-10-26", "嘉兴某环境工程有限公司（实名举报）", "部分设备发票系关联方开具，设备实际未到位")
     .resolve("2026-11-04", upheld=True, resolution="经现场核查，2024年度两台设备未到货，异议成立，撤销审定"))

    # ------------------------------------------------------------ 嘉兴经济技术开发区 JXETDZ
    p = b.platform("KF01", "JXETDZ", "嘉兴芯衡半导体材料有限公司", "芯衡第三代半导体材料中试平台",
                   head="秦海涛", contact="尤佳琪")
    p.recognition("2025-08-20", "provincial", "浙经信技术〔2025〕66号")
    p.recognition("2025-10-15", "national", "工信厅科函〔2025〕208号")
    # 实施方案 (triggers in 2025) and 浙江方案 stack: 1000万 + 1:1 matching 800万, 省 950万 + 3000万
    (p.claim("provincial-award", "2026-03-03").reviews("2026-03-06", "2026-03-11").audit("2026-03-25")
     .approve(m1).notice(b1).issue("2026-04-28").pay_all("2026-05-08", "2026-05-13"))
    (p.claim("zj-new-provincial", "2026-03-03", recorded="950").reviews("2026-03-06", "2026-03-11")
     .audit("2026-03-25").approve(m1).notice(b1).issue("2026-04-28").pay_all("2026-05-15"))
    (p.claim("national-matching", "2026-04-08", national_support="800").reviews("2026-04-10", "2026-04-15")
     .audit("2026-04-21").approve(m2).notice(b2).issue("2026-06-24").pay_all("2026-07-02", "2026-07-07"))
    (p.claim("zj-national-upgrade", "2026-04-08").reviews("2026-04-10", "2026-04-15").audit("2026-04-21")
     .approve(m2).notice(b2).issue("2026-06-24").pay_all("2026-07-10"))

    p = b.platform("KF02", "JXETDZ", "嘉兴博拓医疗器械有限公司", "博拓高值医用耗材中试平台",
                   head="许文涛", contact="何静怡")
    p.recognition("2026-02-26", "provincial", "浙经信技术〔2026〕14号")
    (p.claim("equipment-subsidy", "2026-03-09", years={2023: "300", 2024: "400", 2025: "350"})
     .reviews("2026-03-12", "2026-03-17").audit("2026-03-31").approve(m1).notice(b1).issue("2026-04-28")
     .pay_all("2026-05-08", "2026-05-13")
     .recover("city", "2026-09-15", "7.5", "嘉经信追〔2026〕1号", "专项审计发现2024年度50万元设备发票虚开")
     .recover("local", "2026-09-15", "7.5", "嘉开财追〔2026〕1号", "专项审计发现2024年度50万元设备发票虚开")
     .receive("city", "2026-10-13", "7.5").receive("local", "2026-10-20", "3"))

    p = b.platform("KF03", "JXETDZ", "嘉兴栖真智造科技有限公司", "栖真工业机器人中试平台",
                   head="吕志强", contact="施梦洁")
    p.recognition("2026-04-20", "provincial", "浙经信技术〔2026〕31号")
    (p.claim("equipment-subsidy", "2026-05-11", years={2023: "180", 2024: "220", 2025: "260"})
     .reviews("2026-05-14", "2026-05-19").audit("2026-09-22").approve(m7))

    p = b.platform("KF04", "JXETDZ", "嘉兴启衡新能源科技有限公司", "启衡固态电池中试平台",
                   head="张启明", contact="孔令仪")
    p.recognition("2026-03-30", "national", "工信厅科函〔2026〕63号")
    (p.claim("equipment-subsidy", "2026-04-13", years={2023: "500", 2024: "600", 2025: "900"})
     .reviews("2026-04-16", "2026-04-21").audit("2026-05-20").approve(m2).notice(b2).issue("2026-06-24")
     .pay_all("2026-07-02", "2026-07-07")
     .reverse_payment("local", "2026-07-09", "收款账户填写错误，款项被银行退回，冲销后重新拨付"))

    # ------------------------------------------------------------ 嘉善县 330421
    p = b.platform("JS01", "330421", "嘉善瑞祺电子材料有限公司", "瑞祺电子浆料中试平台",
                   head="曹丽华", contact="严子豪")
    p.recognition("2026-02-26", "provincial", "浙经信技术〔2026〕15号")
    (p.claim("equipment-subsidy", "2026-03-09", years={2023: "200", 2024: "250", 2025: "250"})
     .reviews("2026-03-12", "2026-03-17").audit("2026-03-31").approve(m1).notice(b1).issue("2026-04-28")
     .pay_all("2026-05-14"))

    p = b.platform("JS02", "330421", "嘉善凌霄光学科技有限公司", "凌霄精密光学中试平台",
                   head="华永康", contact="金雨萱")
    p.recognition("2026-05-25", "provincial", "浙经信技术〔2026〕42号")
    (p.claim("equipment-subsidy", "2026-06-16", years={2023: "120", 2024: "140", 2025: "140"})
     .reviews("2026-06-22", "2026-06-26").audit("2026-10-13").approve(m6).notice(b7)
     .object("2026-11-18", "匿名", "平台中试场地与生产车间混用，设备投入存在重复申报嫌疑"))

    p = b.platform("JS03", "330421", "嘉善禾丰高分子材料有限公司", "禾丰生物基材料中试平台",
                   head="魏国平", contact="陶欣然")
    p.recognition("2025-09-05", "provincial", "浙经信技术〔2025〕71号")
    (p.claim("provincial-award", "2026-03-25").reviews("2026-03-27", "2026-04-01").audit("2026-04-21")
     .approve(m2).notice(b2).issue("2026-06-24").pay_all("2026-07-08"))
    (p.claim("zj-new-provincial", "2026-03-25", recorded="500").reviews("2026-03-27", "2026-04-01")
     .audit("2026-04-21").approve(m2).notice(b2).issue("2026-06-24").pay_all("2026-07-10"))
    p.evaluation("2026-04-15", 2025, "优秀", scheme="zhejiang")
    (p.claim("zj-excellent", "2026-04-20", evaluation_year=2025).reviews("2026-04-23", "2026-04-28")
     .audit("2026-05-20").approve(m3).notice(b3).issue("2026-07-29").pay_all("2026-08-07"))

    p = b.platform("JS04", "330421", "嘉善翔云智能科技有限公司", "翔云智能网联部件中试平台（培育）",
                   head="姜海峰", contact="戚晓岚")
    p.pool_entry("2025-06-16", "嘉经信技装〔2025〕31号")
    p.evaluation("2026-03-20", 2025, "良好")

    # ------------------------------------------------------------ 海盐县 330424 (budget nearly spent)
    p = b.platform("HY01", "330424", "海盐启澜核能装备有限公司", "启澜核级阀门中试平台",
                   head="谢振宇", contact="邹佳宁")
    p.recognition("2026-03-02", "provincial", "浙经信技术〔2026〕17号")
    (p.claim("equipment-subsidy", "2026-04-08", years={2023: "150", 2024: "150", 2025: "150"})
     .reviews("2026-04-13", "2026-04-16").audit("2026-05-12").approve(m3).notice(b3).issue("2026-07-29")
     .pay_all("2026-08-05"))

    p = b.platform("HY02", "330424", "海盐锐固紧固系统有限公司", "锐固高强度紧固件中试平台",
                   head="喻建国", contact="柏晓彤")
    p.recognition("2026-04-13", "provincial", "浙经信技术〔2026〕29号")
    (p.claim("equipment-subsidy", "2026-06-02", years={2023: "250", 2024: "300", 2025: "250"})
     .reviews("2026-06-05", "2026-06-10").audit("2026-09-08").approve(m7).notice(b8))

    p = b.platform("HY03", "330424", "海盐蓝湾海洋生物科技有限公司", "蓝湾海洋生物制品中试平台",
                   head="水立新", contact="窦可欣")
    p.recognition("2026-05-11", "provincial", "浙经信技术〔2026〕37号")
    (p.claim("equipment-subsidy", "2026-08-03", years={2023: "100", 2024: "100", 2025: "100"})
     .reviews("2026-08-06", "2026-08-11").audit("2026-11-10"))

    p = b.platform("HY04", "330424", "海盐智衡检测技术有限公司", "智衡检测认证中试平台",
                   head="章文杰", contact="云舒")
    p.pool_entry("2025-03-18", "嘉经信技装〔2025〕18号")
    p.recognition("2026-04-23", "municipal", "嘉经信技装〔2026〕26号")
    (p.claim("municipal-award", "2026-05-11").reviews("2026-05-14", "2026-05-19").audit("2026-06-16")
     .approve(m4).notice(b4).issue("2026-09-29"))

    # ------------------------------------------------------------ 海宁市 330481
    p = b.platform("HN01", "330481", "海宁赛纶功能新材料有限公司", "赛纶高性能纤维中试平台",
                   head="苏建平", contact="潘雅婷")
    p.recognition("2025-09-10", "provincial", "浙经信技术〔2025〕73号")
    (p.claim("provincial-award", "2026-03-04").reviews("2026-03-09", "2026-03-12").audit("2026-03-26")
     .approve(m1).notice(b1).issue("2026-04-28").pay_all("2026-05-14"))
    # the province recorded 1234.56789万; the 浙江方案 caps it at 1000万
    (p.claim("zj-new-provincial", "2026-03-04", recorded="1234.56789").reviews("2026-03-09", "2026-03-12")
     .audit("2026-03-26").approve(m1).notice(b1).issue("2026-04-28").pay_all("2026-05-15"))

    p = b.platform("HN02", "330481", "海宁弘芯光电科技有限公司", "弘芯激光器件中试平台",
                   head="葛晓东", contact="奚文静")
    p.recognition("2026-04-08", "national", "工信厅科函〔2026〕71号")
    (p.claim("equipment-subsidy", "2026-05-06", years={2023: "200", 2024: "300", 2025: "300"})
     .reviews("2026-05-11", "2026-05-14").audit("2026-06-16").approve(m6).notice(b6))

    p = b.platform("HN03", "330481", "海宁潮城精密测量研究院", "潮城精密测量中试平台",
                   head="范伟民", contact="彭一鸣", leader_type="research-institute")
    p.recognition("2026-03-02", "provincial", "浙经信技术〔2026〕18号")
    # an institution without agreement support is not excluded (细则 第五章)
    (p.claim("equipment-subsidy", "2026-03-16", years={2023: "100", 2024: "150", 2025: "150"})
     .reviews("2026-03-19", "2026-03-24").audit("2026-04-08").approve(m2).notice(b2).issue("2026-06-24")
     .pay_all("2026-07-08"))

    p = b.platform("HN04", "330481", "海宁织梦智能家纺科技有限公司", "织梦数码印花中试平台",
                   head="郎志刚", contact="鲁思雨")
    p.recognition("2026-09-14", "provincial", "浙经信技术〔2026〕70号")
    p.claim("equipment-subsidy", "2026-11-19", years={2023: "80", 2024: "95", 2025: "105"})

    # ------------------------------------------------------------ 平湖市 330482
    p = b.platform("PH01", "330482", "平湖澄光机电科技有限公司", "澄光伺服电机中试平台",
                   head="韦国强", contact="昌雪莹")
    p.recognition("2026-06-08", "provincial", "浙经信技术〔2026〕46号")
    (p.claim("equipment-subsidy", "2026-10-19", years={2023: "130", 2024: "160", 2025: "190"})
     .reviews("2026-10-22", "2026-10-28"))

    p = b.platform("PH02", "330482", "平湖星衡航空部件有限公司", "星衡航空复合材料中试平台",
                   head="马骏", contact="苗欣怡")
    p.recognition("2025-12-01", "national", "工信厅科函〔2025〕251号")
    (p.claim("national-matching", "2026-05-18", national_support="500").reviews("2026-05-21", "2026-05-26")
     .audit("2026-06-23").approve(m6).notice(b6))

    p = b.platform("PH03", "330482", "平湖川能氢能装备有限公司", "川能氢能储运装备中试平台",
                   head="方志远", contact="俞佳颖")
    p.recognition("2026-04-20", "provincial", "浙经信技术〔2026〕32号")
    (p.claim("equipment-subsidy", "2026-05-18", years={2023: "160", 2024: "200", 2025: "240"})
     .reviews("2026-05-21", "2026-05-26").audit("2026-06-23").approve(m4).notice(b4)
     .object("2026-09-21", "平湖某装备制造有限公司", "质疑平台部分设备为租赁取得")
     .resolve("2026-09-24", upheld=False, resolution="经核查设备均为自购，发票及付款凭证齐全，异议不成立")
     .issue("2026-09-29").pay_all("2026-10-13"))

    p = b.platform("PH04", "330482", "平湖牧野智能农机有限公司", "牧野智能农机中试平台（培育）",
                   head="任立新", contact="袁小满")
    p.pool_entry("2025-07-14", "嘉经信技装〔2025〕35号")
    p.evaluation("2026-03-20", 2025, "优秀")

    # ------------------------------------------------------------ 桐乡市 330483
    p = b.platform("TX01", "330483", "桐乡梧桐复材科技有限公司", "梧桐玻纤复合材料中试平台",
                   head="柳国华", contact="酆雅楠")
    p.recognition("2026-03-09", "provincial", "浙经信技术〔2026〕19号")
    (p.claim("equipment-subsidy", "2026-04-07", years={2023: "400", 2024: "350", 2025: "250"})
     .reviews("2026-04-10", "2026-04-15").audit("2026-05-12")
     .approve(m3, amount="280", reason="部分设备用于批量生产而非中试，党组会审定核减20万元")
     .notice(b3).issue("2026-07-29").pay_all("2026-08-05"))

    p = b.platform("TX02", "330483", "桐乡织云针织科技有限公司", "织云智能针织中试平台",
                   head="鲍建华", contact="史晓雨")
    p.pool_entry("2025-04-21", "嘉经信技装〔2025〕21号")
    p.recognition("2026-05-25", "provincial", "浙经信技术〔2026〕43号")
    (p.claim("equipment-subsidy", "2026-06-15", years={2023: "150", 2024: "200", 2025: "150"})
     .reviews("2026-06-18", "2026-06-23").audit("2026-07-21").approve(m4).notice(b4).issue("2026-09-29")
     .pay_all("2026-10-13"))

    p = b.platform("TX03", "330483", "桐乡本草源生物科技有限公司", "本草源中药制剂中试平台",
                   head="唐振兴", contact="费诗涵")
    p.recognition("2026-07-20", "provincial", "浙经信技术〔2026〕58号")
    p.claim("equipment-subsidy", "2026-11-09", years={2023: "70", 2024: "90", 2025: "110"}).econ("2026-11-12")

    p = b.platform("TX04", "330483", "桐乡凤栖数控机床有限公司", "凤栖五轴数控中试平台",
                   head="廉永生", contact="岑若曦")
    p.recognition("2026-06-22", "provincial", "浙经信技术〔2026〕50号")
    (p.claim("equipment-subsidy", "2026-08-10", years={2023: "220", 2024: "260", 2025: "300"})
     .reviews("2026-08-13", "2026-08-18").audit("2026-11-10"))

    # ------------------------------------------------------------ 嘉兴港区 JXPORT
    p = b.platform("GQ01", "JXPORT", "嘉兴港区澜海化工新材料有限公司", "澜海特种聚酯中试平台",
                   head="薛宏伟", contact="雷雅琪")
    p.recognition("2026-02-26", "provincial", "浙经信技术〔2026〕16号")
    (p.claim("equipment-subsidy", "2026-03-16", years={2023: "500", 2024: "500", 2025: "400"})
     .reviews("2026-03-19", "2026-03-24").audit("2026-04-08").approve(m2).notice(b2).issue("2026-06-24")
     .pay_all("2026-07-08"))

    p = b.platform("GQ02", "JXPORT", "嘉兴港区沧澜氟硅材料有限公司", "沧澜含氟精细化学品中试平台",
                   head="贺长江", contact="倪晓燕")
    p.recognition("2025-11-20", "provincial", "浙经信技术〔2025〕88号")
    # approved on the 2025 budget; as an SQ2025 claim it cannot head a 2026 notice batch (see module doc)
    (p.claim("provincial-award", "2025-11-25").reviews("2025-11-28", "2025-12-03").audit("2025-12-12")
     .approve(m25))

    p = b.platform("GQ03", "JXPORT", "嘉兴港区海拓石化装备有限公司", "海拓石化装备中试平台",
                   head="汤国梁", contact="滕嘉欣")
    p.recognition("2026-08-17", "provincial", "浙经信技术〔2026〕63号")
    p.claim("equipment-subsidy", "2026-11-19", years={2023: "160", 2024: "150", 2025: "170"})

    p = b.platform("GQ04", "JXPORT", "嘉兴港区滨海化工研究院", "滨海化工安全中试平台",
                   head="殷学文", contact="罗静", leader_type="public-institution")
    p.pool_entry("2025-05-19", "嘉经信技装〔2025〕29号")
    p.agreement("2025-09-15", "嘉兴港区管委会·滨海化工研究院合作协议〔2025〕5号", "300")
    p.recognition("2026-06-22", "provincial", "浙经信技术〔2026〕51号")
    (p.claim("municipal-award", "2026-07-13", requested="100").econ("2026-07-16")
     .finance("2026-07-21", approve=False,
              opinion="依托单位为事业单位，已享受港区财政资金协议支持，按细则第五章不再享受市级奖励"))
    return b


def _check_dates(b: _Builder) -> None:
    calendar = default_calendar()
    bad = sorted({f"{s.on} ({s.what})" for s in b.steps if not calendar.is_working_day(s.on)})
    if bad:
        raise ValueError("demo steps dated on days off: " + "; ".join(bad))


# ---------------------------------------------------------------- loading and the summary

@dataclass(frozen=True)
class DemoSummary:
    """What the demo holds (counts over the demo platforms; budgets and journal over the database)."""

    created: bool
    platforms: int
    jurisdictions: int
    claims: int
    claims_by_state: Mapping[str, int]
    claims_by_program: Mapping[str, int]
    budgets: int
    notices: int
    objections: int
    payments: int
    recoveries: int
    journal_entries: int

    def line(self) -> str:
        states = "、".join(f"{state_title(k)} {v} 条" for k, v in sorted(self.claims_by_state.items()))
        return (f"{'已载入' if self.created else '已存在，未重复载入'}：{self.jurisdictions} 个区县的 {self.platforms} 个平台，"
                f"{self.claims} 条申请（{states}），{self.budgets} 项预算指标，{self.notices} 批公示，"
                f"{self.objections} 件异议，{self.payments} 笔拨付，{self.recoveries} 笔追回，"
                f"{self.journal_entries} 张凭证")

    def __str__(self) -> str:
        return self.line()


def _present(session: Session) -> bool:
    return session.execute(select(Platform.id).where(Platform.code == MARKER)).first() is not None


def summarize(session: Session, *, created: bool = False) -> DemoSummary:
    demo = select(Platform.id).where(Platform.code.startswith(DEMO_PREFIX)).scalar_subquery()
    demo_claims = select(Claim.id).where(Claim.platform_id.in_(demo)).scalar_subquery()

    def count(q: Any) -> int:
        return int(session.execute(q).scalar_one())

    by_state = {state: int(n) for state, n in session.execute(select(Claim.state, func.count(Claim.id)).where(
        Claim.platform_id.in_(demo)).group_by(Claim.state))}
    by_program = {program: int(n) for program, n in session.execute(select(Claim.program, func.count(
        Claim.id)).where(Claim.platform_id.in_(demo)).group_by(Claim.program))}
    return DemoSummary(
        created=created,
        platforms=count(select(func.count(Platform.id)).where(Platform.code.startswith(DEMO_PREFIX))),
        jurisdictions=count(select(func.count(func.distinct(Platform.jurisdiction_code))).where(
            Platform.code.startswith(DEMO_PREFIX))),
        claims=sum(by_state.values()),
        claims_by_state=by_state,
        claims_by_program=by_program,
        budgets=count(select(func.count(Budget.id))),
        notices=count(select(func.count(Notice.id))),
        objections=count(select(func.count(Objection.id)).where(Objection.claim_id.in_(demo_claims))),
        payments=count(select(func.count(Payment.id)).where(Payment.claim_id.in_(demo_claims))),
        recoveries=count(select(func.count(Recovery.id)).where(Recovery.claim_id.in_(demo_claims))),
        journal_entries=count(select(func.count(JournalEntry.id))),
    )


class DemoError(RuntimeError):
    """A step of the demo script was refused; names the step."""


def load_demo(factory: sessionmaker[Session], *, today: date = DEFAULT_TODAY) -> DemoSummary:
    """Load the demo dataset through the ledger services, in one transaction; do nothing if it is there.

    Steps dated after ``today`` are not run; a ``today`` later than the calendar day does not let a step
    dated after the calendar day through (the date rule refuses it: :class:`DemoError`). Meant for a fresh (migrated) database: budgets are added
    to whatever is appropriated already, and claims are numbered after any existing ones.
    """
    with factory() as session:
        if _present(session):
            return summarize(session)
    script = _script()
    _check_dates(script)
    try:
        with factory() as session, session.begin():
            if _present(session):  # loaded meanwhile by someone else
                return summarize(session)
            ctx = _Ctx(session)
            S.sync_reference_data(session)
            for platform in script.platforms:
                platform.create(session)
            for step in sorted(script.steps, key=lambda s: (s.on, s.seq)):
                if step.on > today:
                    break
                try:
                    # the demo's own "today" for the date rules (经办流程), never later than the real one: a
                    # step dated after the calendar day is refused like any other
                    with S.as_of(min(today, S.today())):
                        step.run(ctx)
                except LedgerError as exc:
                    raise DemoError(f"演示数据的步骤（{step.on} {step.what}）失败：{exc}") from exc
    except Exception:
        with factory() as session:
            if _present(session):  # a concurrent load won the race (our transaction was rolled back)
                return summarize(session)
        raise
    with factory() as session:
        return summarize(session, created=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.demo",
                                     description="Migrate the ledger database and load the demo dataset.")
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: DATABASE_URL or var/subsidy.db)")
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY,
                        help="run the demo story up to this date (default: %(default)s)")
    args = parser.parse_args(argv)
    from ledger.db import ensure_schema, make_engine, session_factory

    engine = make_engine(args.database_url)
    try:
        ensure_schema(engine)
        summary = load_demo(session_factory(engine), today=args.today)
    finally:
        engine.dispose()
    print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
