"""Random sequences of service calls; after every step the books balance, no cap or budget is exceeded,
and the hash chain verifies. A refused call must change nothing."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from ledger import accounts as A
from ledger import services as S
from ledger.db import ensure_schema, make_engine, session_factory
from ledger.errors import LedgerError
from ledger.journal import verify
from ledger.models import Claim, JournalEntry
from ledger.queries import balance, trial_balance

PLATFORMS = {"N1": ("330402", "provincial"), "N2": ("330402", "national"), "H1": ("330481", "provincial")}
CAPS = {"provincial": 5_000_000_00, "national": 10_000_000_00}


@cache
def _template() -> Path:
    path = Path(tempfile.mkdtemp()) / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    factory = session_factory(engine)
    with factory.begin() as s:
        S.sync_reference_data(s)
        for code, (juris, level) in PLATFORMS.items():
            S.create_platform(s, code=code, name=f"平台{code}", jurisdiction=juris)
            S.add_platform_event(s, code, kind="recognition", on=date(2026, 1, 20), level=level)
        for payer in ("330400", "330402", "330481"):
            for year in range(2026, 2032):
                S.appropriate(s, payer=payer, fiscal_year=year, program="equipment-subsidy",
                              amount_fen=3_000_000_00, on=date(year, 1, 2))
    engine.dispose()
    return path


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        folder = Path(tempfile.mkdtemp())
        shutil.copy(_template(), folder / "db.sqlite")
        self.engine = make_engine(f"sqlite:///{folder / 'db.sqlite'}")
        self.sessions = session_factory(self.engine)
        self.today = date(2026, 2, 1)
        self.claims: list[str] = []
        self.filed_years: set[tuple[str, int]] = set()

    def teardown(self) -> None:
        self.engine.dispose()

    @initialize()
    def start(self) -> None:
        pass

    def _entries(self) -> int:
        with self.sessions() as s:
            return int(s.execute(select(func.count(JournalEntry.id))).scalar_one())

    def _try(self, fn, **kw) -> None:  # type: ignore[no-untyped-def]
        before = self._entries()
        try:
            with self.sessions.begin() as s:
                fn(s, **kw)
        except LedgerError:
            assert self._entries() == before, "a refused call changed the journal"

    def _state(self, number: str) -> str:
        with self.sessions() as s:
            return str(s.execute(select(Claim.state).where(Claim.number == number)).scalar_one())

    def _pick(self, data: st.DataObject, *states: str) -> str | None:
        """A claim in one of ``states`` (mostly), or any claim (sometimes, to try illegal moves)."""
        with self.sessions() as s:
            rows = list(s.execute(select(Claim.number).where(Claim.state.in_(states))).scalars())
        if rows and data.draw(st.integers(0, 9)) > 0:
            return str(data.draw(st.sampled_from(sorted(rows))))
        return str(data.draw(st.sampled_from(self.claims))) if self.claims else None

    @rule(days=st.integers(1, 15))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule(code=st.sampled_from(sorted(PLATFORMS)), requested=st.integers(1, 3_000_000_00))
    def file(self, code: str, requested: int) -> None:
        if (code, self.today.year) in self.filed_years or self.today.year > 2031:
            return
        try:
            with self.sessions.begin() as s:
                out = S.file_claim(s, platform_code=code, program="equipment-subsidy", application_date=self.today,
                                   requested_fen=requested, actor="clerk")
            self.claims.append(out.claim)
            self.filed_years.add((code, self.today.year))
        except LedgerError:
            pass

    @precondition(lambda self: self.claims)
    @rule(data=st.data(), approve=st.booleans())
    def review(self, data: st.DataObject, approve: bool) -> None:
        number = self._pick(data, "filed", "econ_reviewed")
        assert number is not None
        department = "economic" if self._state(number) == "filed" else "finance"
        self._try(S.review, claim_number=number, department=department,
                  approve=approve or data.draw(st.integers(0, 5)) > 0, opinion="意见", on=self.today)

    @precondition(lambda self: self.claims)
    @rule(data=st.data(), amounts=st.lists(st.integers(0, 9_000_000_00), min_size=4, max_size=4))
    def audit(self, data: st.DataObject, amounts: list[int]) -> None:
        number = self._pick(data, "district_reviewed")
        with self.sessions() as s:
            years = s.execute(select(Claim.years).where(Claim.number == number)).scalar_one() or []
        self._try(S.record_audit, claim_number=number, firm="事务所", report_number=f"R{number}", on=self.today,
                  years=dict(zip(years, amounts, strict=False)))

    @precondition(lambda self: self.claims)
    @rule(data=st.data(), cut=st.integers(0, 100_000_00))
    def approve(self, data: st.DataObject, cut: int) -> None:
        number = self._pick(data, "audited")
        with self.sessions() as s:
            computed = s.execute(select(Claim.computed_fen).where(Claim.number == number)).scalar_one()
        amount = max(1, computed - cut) if cut else None
        self._try(S.approve, claim_number=number, meeting_date=self.today, minutes_number="m", approved_fen=amount,
                  reason="核减" if cut else "", actor="bureau")

    @precondition(lambda self: self.claims)
    @rule(data=st.data())
    def publish(self, data: st.DataObject) -> None:
        self._try(S.publish_notice, claim_numbers=[self._pick(data, "approved")],
                  publication_date=self.today, title="公示")

    @precondition(lambda self: self.claims)
    @rule(data=st.data(), upheld=st.booleans())
    def objection(self, data: st.DataObject, upheld: bool) -> None:
        number = self._pick(data, "in_notice")
        try:
            with self.sessions.begin() as s:
                out = S.file_objection(s, claim_number=number, filed=self.today, content="异议")
        except LedgerError:
            return
        self._try(S.resolve_objection, objection_id=out.objection, upheld=upheld, on=self.today, resolution="处理")

    @precondition(lambda self: self.claims)
    @rule(data=st.data())
    def issue(self, data: st.DataObject) -> None:
        if data.draw(st.booleans()):
            self.today += timedelta(days=12)  # usually past the five working days of the notice
        self._try(S.issue_funds, claim_number=self._pick(data, "in_notice"), document_number="下达",
                  on=self.today)

    @precondition(lambda self: self.claims)
    @rule(data=st.data(), payer=st.sampled_from(["330400", "330402", "330481"]), part=st.integers(1, 3))
    def pay(self, data: st.DataObject, payer: str, part: int) -> None:
        number = self._pick(data, "issued")
        with self.sessions() as s:
            claim = s.execute(select(Claim).where(Claim.number == number)).scalar_one()
            owed = S.payable_to(s, claim, payer)
        self._try(S.pay, claim_number=number, payer=payer, voucher_number=f"V{number}{payer}{self._entries()}",
                  on=self.today, amount_fen=max(1, owed // part))

    @precondition(lambda self: self.claims)
    @rule(data=st.data(), amount=st.integers(1, 1_000_000_00))
    def recover(self, data: st.DataObject, amount: int) -> None:
        self._try(S.recover, claim_number=self._pick(data, "paid", "issued"), payer="330400",
                  amount_fen=amount, on=self.today, reason="虚假材料")

    @precondition(lambda self: self.claims)
    @rule(data=st.data(), amount=st.integers(0, 5_000_000_00))
    def advance(self, data: st.DataObject, amount: int) -> None:
        """Take one claim one legal step further, so that sequences reach payment and recovery."""
        number = data.draw(st.sampled_from(self.claims))
        state = self._state(number)
        with self.sessions() as s:
            claim = s.execute(select(Claim).where(Claim.number == number)).scalar_one()
            owed = {p: S.payable_to(s, claim, p) for p in ("330400", "330402", "330481")}
        if state == "filed":
            self._try(S.review, claim_number=number, department="economic", approve=True, opinion="同意", on=self.today)
        elif state == "econ_reviewed":
            self._try(S.review, claim_number=number, department="finance", approve=True, opinion="同意", on=self.today)
        elif state == "district_reviewed":
            self._try(S.record_audit, claim_number=number, firm="事务所", report_number=f"R{number}", on=self.today,
                      years={y: amount % 1_500_000_00 for y in (claim.years or [])})
        elif state == "audited":
            self._try(S.approve, claim_number=number, meeting_date=self.today, minutes_number="m", actor="bureau")
        elif state == "approved":
            self._try(S.publish_notice, claim_numbers=[number], publication_date=self.today, title="公示")
        elif state == "in_notice":
            self.today += timedelta(days=14)
            self._try(S.issue_funds, claim_number=number, document_number="下达", on=self.today)
        elif state == "issued":
            for payer, value in owed.items():  # each payer on its own day
                if value > 0:
                    self.today += timedelta(days=1)
                    self._try(S.pay, claim_number=number, payer=payer, on=self.today, amount_fen=value,
                              voucher_number=f"A{number}{payer}{self._entries()}")
        elif state == "paid" and amount:
            self._try(S.recover, claim_number=number, payer="330400", amount_fen=1 + amount % 100_000_00,
                      on=self.today, reason="虚假材料")

    @invariant()
    def books_balance_and_verify(self) -> None:
        with self.sessions() as s:
            rows = trial_balance(s)
            for view in ("budgetary", "financial", "memorandum"):
                assert sum(r.balance for r in rows if r.view == view) == 0, view
            assert verify(s).ok

    @invariant()
    def caps_and_budgets_hold(self) -> None:
        with self.sessions() as s:
            for pid, (_, level) in enumerate(PLATFORMS.values(), start=1):
                assert S.committed(s, pid, "equipment-subsidy") <= CAPS[level]
            for payer in ("330400", "330402", "330481"):
                for year in range(2026, 2032):
                    available = -balance(s, [A.APPROPRIATION_AVAILABLE], payer=payer, fiscal_year=year,
                                         program="equipment-subsidy")
                    assert available >= 0, (payer, year)


LedgerMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestLedgerStateMachine = LedgerMachine.TestCase
