"""A small world for ledger tests: reference data, a platform with its history, budgets."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from ledger import services as S
from ledger.outcomes import PaymentMade


def setup_world(db: Any, *, jurisdiction: str = "330402", budget_fen: int = 300_000_000,
                code: str = "P1", leader_type: str = "enterprise", years: tuple[int, ...] = (2026, 2027, 2028),
                city_budget_fen: int | None = None) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
        S.create_platform(s, code=code, name="嘉兴市新材料中试平台", jurisdiction=jurisdiction,
                          operator="嘉兴某新材料科技有限公司", leader_type=leader_type)
        S.add_platform_event(s, code, kind="pool-entry", on=date(2025, 3, 1), document_number="嘉经信〔2025〕12号")
        S.add_platform_event(s, code, kind="recognition", on=date(2026, 2, 10), level="provincial",
                             document_number="浙经信〔2026〕8号")
        payers = ["330400", jurisdiction] if jurisdiction in ("330402", "330411", "JXETDZ") else [jurisdiction]
        for payer in payers:
            for year in years:
                for program in ("equipment-subsidy", "municipal-award"):
                    amount = city_budget_fen if payer == "330400" and city_budget_fen is not None else budget_fen
                    S.appropriate(s, payer=payer, fiscal_year=year, program=program, amount_fen=amount,
                                  on=date(year, 1, 5), document_number=f"{year}预算")


def invoices_2023_2025() -> list[S.InvoiceIn]:
    return [
        S.InvoiceIn("91330400A", "00010001", date(2023, 5, 10), 1_000_000_00, 130_000_00),
        S.InvoiceIn("91330400A", "00010002", date(2024, 6, 1), 700_000_00, 91_000_00),
        S.InvoiceIn("91330400B", "00020001", date(2025, 7, 1), 300_000_00, 39_000_00),
    ]


def run_to_audited(db: Any, *, code: str = "P1", years: dict[int, int] | None = None,
                   filed: date = date(2026, 3, 2), invoices: list[S.InvoiceIn] | None = None,
                   program: str = "equipment-subsidy", requested_fen: int | None = None) -> str:
    with db.sessions.begin() as s:
        invs = invoices if invoices is not None else invoices_2023_2025()
        out = S.file_claim(s, platform_code=code, program=program, application_date=filed, invoices=invs,
                           actor="clerk", requested_fen=requested_fen if requested_fen is not None or invs
                           else 600_000_00)
        number = out.claim
        S.review(s, claim_number=number, department="economic", approve=True, opinion="材料齐全，同意上报",
                 on=date(filed.year, filed.month, filed.day + 2), actor="district-econ")
        S.review(s, claim_number=number, department="finance", approve=True, opinion="同意",
                 on=date(filed.year, filed.month, filed.day + 3), actor="district-fin")
        if S.procedure_of(S._lock_claim(s, number)).step("audit") is None:
            return number  # a procedure without the audit firm (细则 第四章（二）): reviewed is as far as it goes
        S.record_audit(s, claim_number=number, firm="嘉兴某会计师事务所", report_number=f"审{number}",
                       on=date(filed.year, filed.month, 20), years=years if years is not None else {})
    return number


def race(db: Any, jobs: list[Callable[[Any], Any]]) -> list[Any]:
    """Run each job in its own thread and transaction, all released at once by a barrier; each job's
    result, or the exception it raised (the concurrency tests assert what each one is)."""
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[Any], Any]) -> Any:
        barrier.wait()
        try:
            with db.sessions.begin() as s:
                return job(s)
        except Exception as exc:  # returned, not raised: the caller asserts which refusal it is
            return exc

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))
def pay_confirmed(s: Any, *, checker: str = "checker", **kwargs: Any) -> PaymentMade:
    """A payment prepared (制单) and confirmed (复核) by a second finance user the same day: it counts."""
    made = S.pay(s, **kwargs)
    if made.confirmed:
        return made
    return S.confirm_payment(s, payment_id=made.payment, on=kwargs["on"], actor=checker)


def run_to_issued(db: Any, years: dict[int, int]) -> str:
    """A claim on a fresh world taken to fund issue (approved 2026-03-25, noticed 04-01, issued 04-10)."""
    setup_world(db)
    number = run_to_audited(db, years=years)
    with db.sessions.begin() as s:
        S.approve(s, claim_number=number, meeting_date=date(2026, 3, 25), minutes_number="m", actor="bureau")
        S.publish_notice(s, claim_numbers=[number], publication_date=date(2026, 4, 1), title="公示")
        S.issue_funds(s, claim_number=number, document_number="d", on=date(2026, 4, 10))
    return number
