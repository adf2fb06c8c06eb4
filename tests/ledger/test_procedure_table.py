"""The transition table (the rule sets' ``procedures``) against the services, by property: random sequences of
steps — mostly ones the claim's procedure allows from where the claim stands, some out of turn — on a claim of
each program. Before every call the table alone predicts the answer: a step it allows must succeed and leave the
claim in one of the step's states; a step it does not allow must be refused (``IllegalTransition``) with
nothing changed. So no sequence reaches a state by a move the table does not allow.

The runs must get everywhere: every state each procedure declares is reached, and every step of every
procedure succeeds at least once — a step that always refuses fails this test."""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from calculators.rulesets.bundled import rulebook
from ledger import provincial
from ledger import services as S
from ledger.db import ensure_schema, make_engine, session_factory
from ledger.errors import IllegalTransition, LedgerError
from ledger.journal import verify
from ledger.models import (
    Claim,
    ClaimEvent,
    JournalEntry,
    Notice,
    NoticeClaim,
    Objection,
    Payment,
    PaymentConfirmation,
    Recovery,
)
from tests.ledger.world import setup_world

CITY = "330400"
# program → (platform, filing arguments)
RULE_SETS = {"equipment-subsidy": "jiaxing-rules-2026", "municipal-award": "jiaxing-rules-2026",
             "provincial-award": "jiaxing-plan-2025", "zj-new-provincial": "zhejiang-2025"}
PROGRAMS: dict[str, tuple[str, dict[str, Any]]] = {
    "equipment-subsidy": ("P1", {"invoices": [S.InvoiceIn("A", "1", date(2024, 6, 1), 1_000_000_00)]}),
    "municipal-award": ("P1", {}),
    "provincial-award": ("PA1", {}),
    "zj-new-provincial": ("P1", {"recorded_amount_fen": 2_000_000_00}),
}
START = date(2026, 3, 2)
REACHED: dict[str, set[str]] = defaultdict(set)  # procedure → states reached
TAKEN: dict[str, set[str]] = defaultdict(set)  # procedure → steps that succeeded
JOURNAL = (JournalEntry.id,)


class _World:
    pass


@cache
def _template() -> Path:
    path = Path(tempfile.mkdtemp()) / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    db = _World()
    db.sessions = session_factory(engine)  # type: ignore[attr-defined]
    setup_world(db)
    with db.sessions.begin() as s:  # type: ignore[attr-defined]
        S.create_platform(s, code="PA1", name="海宁省级平台", jurisdiction="330481")
        S.add_platform_event(s, "PA1", kind="recognition", on=date(2025, 9, 10), level="provincial")
        S.appropriate(s, payer="330481", fiscal_year=2026, program="provincial-award", amount_fen=20_000_000_00,
                      on=date(2026, 1, 5))
    engine.dispose()
    return path


class Run:
    """One claim, its day, and a runner per step that supplies whatever else the step needs (``None``: the
    step cannot be formed now — no objection to resolve, no payment to reverse — and is not attempted)."""

    def __init__(self, program: str) -> None:
        self.folder = Path(tempfile.mkdtemp())
        shutil.copy(_template(), self.folder / "db.sqlite")
        self.engine = make_engine(f"sqlite:///{self.folder / 'db.sqlite'}")
        self.sessions = session_factory(self.engine)
        self.today = START
        self.reversed: set[int] = set()  # payments reversed (a payment is reversed once)
        self.vouchers = 0
        self.reversing: int | None = None
        code, kw = PROGRAMS[program]
        with self.sessions.begin() as s:
            self.number = S.file_claim(s, platform_code=code, program=program, application_date=START,
                                       actor="clerk", **kw).claim

    def close(self) -> None:
        self.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    def claim(self, s: Any) -> Claim:
        return s.execute(select(Claim).where(Claim.number == self.number)).scalar_one()

    def _notice(self, s: Any) -> Notice | None:
        return s.execute(select(Notice).join(NoticeClaim).where(NoticeClaim.claim_id == self.claim(s).id)
                         .order_by(Notice.id.desc())).scalars().first()

    def runner(self, step: str) -> Callable[[Any], Any] | None:
        n, on = self.number, self.today
        with self.sessions() as s:
            claim = self.claim(s)
            notice = self._notice(s)
            objection = s.execute(select(Objection.id).where(Objection.claim_id == claim.id,
                                                             Objection.status == "open")).scalars().first()
            owed = {p: S.payable_to(s, claim, p) for p in (CITY, "330402", "330481")}
            confirmed = set(s.execute(select(PaymentConfirmation.payment_id)).scalars())
            every = list(s.execute(select(Payment).where(Payment.claim_id == claim.id)).scalars())
            payments = [p for p in every if p.id not in self.reversed and p.id in confirmed]
            prepared = next((p.id for p in every if p.id not in confirmed), None)
            unconfirmed: dict[str, int] = {}
            for p in every:
                if p.id not in confirmed:
                    unconfirmed[p.payer_code] = unconfirmed.get(p.payer_code, 0) + p.amount_fen
            recovery = s.execute(select(Recovery.id).where(Recovery.claim_id == claim.id,
                                                           Recovery.received_fen < Recovery.amount_fen)).scalar()
            years = dict.fromkeys(claim.years or [], 1_000_000_00)
        if step.startswith(("review-", "reject-")):
            kind, department = step.split("-")
            return lambda s: S.review(s, claim_number=n, department=department, approve=kind == "review",
                                      opinion="意见", on=on, actor="reviewer")
        simple: dict[str, Callable[[Any], Any]] = {
            "audit": lambda s: S.record_audit(s, claim_number=n, firm="所", report_number="R", on=on, years=years),
            "approve": lambda s: S.approve(s, claim_number=n, meeting_date=on, minutes_number="m", actor="bureau"),
            "notice": lambda s: S.publish_notice(s, claim_numbers=[n], publication_date=on, title="公示"),
            "allocate": lambda s: provincial.allocate(s, claim_number=n, document_number="浙财", on=on,
                                                      amount_fen=1_000_000_00),
            "receive-transfer": lambda s: provincial.receive_transfer(s, claim_number=n, document_number="到账", on=on),
            "pass-on": lambda s: provincial.pass_on(s, claim_number=n, document_number="转拨", on=on),
        }
        if step in simple:
            return simple[step]
        if step == "object":  # within the notice window (a later day is refused by the window, not the table)
            if notice is not None and on > notice.end_date:
                return None
            return lambda s: S.file_objection(s, claim_number=n, filed=on, content="异议")
        if step in ("dismiss-objection", "uphold-objection") and objection is not None:
            return lambda s: S.resolve_objection(s, objection_id=objection, upheld=step == "uphold-objection",
                                                 on=on, resolution="处理")
        if step == "issue":
            day = max(on, notice.end_date + timedelta(days=1)) if notice is not None else on
            return lambda s: S.issue_funds(s, claim_number=n, document_number="下达", on=day)
        if step == "prepare-payment":  # 制单: what the payer still owes, less what is prepared and unconfirmed
            payer, amount = max(((p, a - unconfirmed.get(p, 0)) for p, a in owed.items()), key=lambda kv: kv[1])
            if amount <= 0 and any(owed.values()):
                return None
            self.vouchers += 1
            voucher = f"V{self.vouchers}"
            return lambda s: S.pay(s, claim_number=n, payer=payer, voucher_number=voucher, on=on,
                                   amount_fen=max(1, amount), actor="maker")
        if step == "pay" and prepared is not None:  # 复核 by a second user of the payer
            return lambda s: S.confirm_payment(s, payment_id=prepared, on=on, actor="checker")
        if step == "reverse-payment" and payments:
            pid = self.reversing = payments[-1].id
            return lambda s: S.reverse_payment(s, payment_id=pid, on=on, reason="付款账户错误")
        if step == "recover" and payments:
            payer = payments[0].payer_code
            return lambda s: S.recover(s, claim_number=n, payer=payer, amount_fen=1, on=on, reason="虚假材料")
        if step == "receive-recovery" and recovery is not None:
            return lambda s: S.receive_recovery(s, recovery_id=recovery, amount_fen=1, on=on)
        return None

    def entries(self) -> int:
        with self.sessions() as s:
            return int(s.execute(select(func.count(JournalEntry.id))).scalar_one())

    def state(self) -> str:
        with self.sessions() as s:
            return self.claim(s).state


DETOURS = {"reject-economic", "reject-finance", "dismiss-objection", "reverse-payment"}
"""Steps off the main line (taken when a run picks among all allowed steps or any step)."""
ALL_STEPS = sorted({s.id for p in rulebook().procedures().values() for s in p.steps} - {"file"})


def _attempt(run: Run, procedure_id: str, step: str) -> None:
    procedure = rulebook().procedure(procedure_id)
    go = run.runner(step)
    if go is None:
        return
    state, before = run.state(), run.entries()
    allowed = procedure.allows(state, step)
    try:
        with run.sessions.begin() as s:
            go(s)
    except IllegalTransition as exc:
        assert not allowed, f"{procedure_id}: {step} from {state} is in the table but was refused: {exc}"
        assert (run.state(), run.entries()) == (state, before), f"a refused {step} changed something"
        return
    except LedgerError as exc:
        raise AssertionError(f"{procedure_id}: {step} from {state} refused by another rule: {exc}") from None
    assert allowed, f"{procedure_id}: {step} from {state} succeeded though the table does not allow it"
    after = run.state()
    step_def = procedure.step(step)
    assert step_def is not None and after in step_def.leads_to(state), (procedure_id, step, state, after)
    with run.sessions() as s:  # the next step is dated on or after this one
        latest = s.execute(select(func.max(ClaimEvent.date)).where(ClaimEvent.claim_id == run.claim(s).id)).scalar()
        run.today = max(run.today, latest or run.today)
    if step == "reverse-payment" and run.reversing is not None:
        run.reversed.add(run.reversing)
    TAKEN[procedure_id].add(step)
    REACHED[procedure_id].add(after)


SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _walk(program: str, data: st.DataObject) -> None:
    run = Run(program)
    try:
        with run.sessions() as s:
            procedure_id = run.claim(s).procedure
        REACHED[procedure_id].add("filed")
        TAKEN[procedure_id].add("file")
        procedure = rulebook().procedure(procedure_id)
        for _ in range(data.draw(st.integers(10, 28), label="length")):
            nexts = [s.id for s in procedure.steps_from(run.state())]
            onward = [s for s in nexts if s not in DETOURS]  # the ways on (not back, not out)
            roll = data.draw(st.integers(0, 9), label="in turn")  # 0–5 onward, 6–7 any allowed, 8–9 any step
            choices = onward if roll < 6 and onward else nexts if roll < 8 and nexts else ALL_STEPS
            step = data.draw(st.sampled_from(choices), label="step")
            _attempt(run, procedure_id, step)
            run.today += timedelta(days=data.draw(st.integers(0, 3), label="days"))
        with run.sessions() as s:
            assert verify(s).ok
    finally:
        run.close()


def _runs(program: str) -> Callable[[], None]:
    @SETTINGS
    @given(data=st.data())
    def runs(data: st.DataObject) -> None:
        _walk(program, data)

    return runs  # type: ignore[no-any-return]


def _toward(procedure: Any, state: str, target: str) -> str | None:
    """The first step of a shortest way (not through a detour) from ``state`` to one where ``target`` is allowed."""
    goal = set(procedure.step(target).source)
    frontier: list[tuple[str, str | None]] = [(state, None)]
    seen = {state}
    while frontier:
        here, first = frontier.pop(0)
        if here in goal:
            return first
        for step in procedure.steps_from(here):
            for there in step.to:
                if there not in seen and step.id not in DETOURS:
                    seen.add(there)
                    frontier.append((there, first or step.id))
    return None


def _directed(program: str, target: str) -> None:
    """Walk the claim the table's shortest way to where ``target`` is allowed, and take it."""
    run = Run(program)
    try:
        with run.sessions() as s:
            pid = run.claim(s).procedure
        procedure = rulebook().procedure(pid)
        for _ in range(30):
            state = run.state()
            if procedure.allows(state, target) and run.runner(target) is not None:
                _attempt(run, pid, target)
                return
            step = _toward(procedure, state, target) if not procedure.allows(state, target) else None
            step = step or next((s.id for s in procedure.steps_from(state)
                                 if s.id not in DETOURS and run.runner(s.id) is not None), None)
            if step is None:
                return
            _attempt(run, pid, step)
            run.today += timedelta(days=1)
    finally:
        run.close()


def test_no_sequence_leaves_the_table_and_every_state_and_step_is_reached() -> None:
    REACHED.clear()
    TAKEN.clear()
    for program in PROGRAMS:  # each program's claims, walked by its own runs
        _runs(program)()
    for program in PROGRAMS:
        pid = rulebook().procedure_id(RULE_SETS[program], program, START)
        procedure = rulebook().procedure(pid)
        for step in sorted({s.id for s in procedure.steps} - TAKEN[pid]):  # the random runs missed it: aim
            _directed(program, step)
        missing = set(procedure.states()) - REACHED[pid]
        assert not missing, f"{pid}: no run reached {sorted(missing)}"
        never = {s.id for s in procedure.steps} - TAKEN[pid]
        assert not never, f"{pid}: these steps always refused: {sorted(never)}"
