"""A ledger with two platforms in two jurisdictions, taken through the procedure by the services,
for the report tests. Amounts chosen so that the reports must be exact to the fen:

* P1 (南湖区 330402, provincial): claim approved lower than computed at 500,000.01 元 (city 250,000.00,
  district 250,000.01), issued, city paid in full, district paid 100,000.00; a second claim (2027) audited.
* P2 (嘉善县 330421, national): invoices net 4,000,000.01 元 (400.000001 万元), approved 1,200,000.00 元,
  all payable by the county; paid 1,000,000.00, 200,000.00 recovered, 50,000.00 of it received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import update

from ledger import services as S
from ledger.models import Platform
from tests.ledger.world import pay_confirmed, run_to_audited, setup_world

AUDITED_P1 = {2023: 1_000_000_00, 2024: 700_000_00, 2025: 250_000_00}  # 1,950,000 → 30% = 585,000
INVOICES_P2 = [
    S.InvoiceIn("91330421C", "00030001", date(2023, 4, 1), 1_234_567_89, 160_493_83),
    S.InvoiceIn("91330421C", "00030002", date(2024, 5, 1), 2_000_000_00, 260_000_00),
    S.InvoiceIn("91330421D", "00040001", date(2025, 6, 1), 765_432_13, 99_506_18),
]
AUDITED_P2 = {2023: 1_234_567_89, 2024: 2_000_000_00, 2025: 765_432_11}  # 4,000,000.00 → 1,200,000.00


@dataclass(frozen=True)
class World:
    n1: str  # P1, paid in part
    n2: str  # P2, paid in part, partly recovered
    n3: str  # P1, 2027, audited only
    notice: int
    recovery: int


def build(db: Any) -> World:
    setup_world(db)
    with db.sessions.begin() as s:
        s.execute(update(Platform).where(Platform.code == "P1").values(
            head_person="张三", head_phone="0573-82000000", contact_person="李四", contact_mobile="13800000000"))
        S.create_platform(s, code="P2", name="嘉善县智能装备中试平台", jurisdiction="330421",
                          operator="嘉善某智能装备有限公司", head_person="王五", head_phone="0573-84000000",
                          contact_person="赵六", contact_mobile="13900000000")
        S.add_platform_event(s, "P2", kind="recognition", on=date(2026, 2, 12), level="national",
                             document_number="工信部〔2026〕3号")
        S.appropriate(s, payer="330421", fiscal_year=2026, program="equipment-subsidy", amount_fen=300_000_000,
                      on=date(2026, 1, 5), document_number="2026预算")
    n1 = run_to_audited(db, years=AUDITED_P1)
    n2 = run_to_audited(db, code="P2", years=AUDITED_P2, invoices=INVOICES_P2, filed=date(2026, 3, 3))
    with db.sessions.begin() as s:
        S.approve(s, claim_number=n1, meeting_date=date(2026, 3, 25), minutes_number="党组会〔2026〕5号",
                  approved_fen=500_000_01, reason="部分设备与中试无关", actor="bureau")
        S.approve(s, claim_number=n2, meeting_date=date(2026, 3, 25), minutes_number="党组会〔2026〕5号",
                  actor="bureau")
        notice = S.publish_notice(s, claim_numbers=[n1, n2], publication_date=date(2026, 4, 1),
                                  title="2026年第一批国家、省级中试平台补助资金公示", actor="bureau").notice
        for n in (n1, n2):
            S.issue_funds(s, claim_number=n, document_number="嘉经信〔2026〕30号", on=date(2026, 4, 10),
                          actor="city-finance")
        pay_confirmed(s, claim_number=n1, payer="330400", voucher_number="SZ-001", on=date(2026, 4, 15),
              amount_fen=250_000_00)
        pay_confirmed(s, claim_number=n1, payer="330402", voucher_number="NH-001", on=date(2026, 4, 20),
              amount_fen=100_000_00)
        pay_confirmed(s, claim_number=n2, payer="330421", voucher_number="JS-001", on=date(2026, 4, 21),
              amount_fen=1_000_000_00)
        rec = S.recover(s, claim_number=n2, payer="330421", amount_fen=200_000_00, on=date(2026, 6, 1),
                        document_number="嘉经信〔2026〕60号", reason="部分发票系虚开")
    with db.sessions.begin() as s:
        from ledger.models import Recovery

        recovery = s.query(Recovery).one().id
        S.receive_recovery(s, recovery_id=recovery, amount_fen=50_000_00, on=date(2026, 6, 20))
    n3 = run_to_audited(db, years={2026: 2_000_000_00}, filed=date(2027, 3, 2), invoices=[])
    assert rec.state == "recovered"
    return World(n1, n2, n3, notice, recovery)
