"""Report downloads (报表下载) for the API and the pages: the permission check, then the report module
writes the workbook into a temporary file whose bytes are returned. Reports only read the ledger."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.actions import Context, authorized_claim, authorized_platform
from app.permissions import authorize
from ledger.errors import Invalid, NotFound
from ledger.models import Jurisdiction
from reports import annex3, evaluation_sheet, fund_issue, notice_list, reconciliation, trial_balance
from reports.common import unit
from reports.xlsx import ReportError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes
    media_type: str = XLSX


def _write(ctx: Context, filename: str, writer: Callable[[Session, Path], object]) -> Download:
    with tempfile.TemporaryDirectory(prefix="subsidy-report-") as tmp, ctx.read(snapshot=True) as session:
        out = Path(tmp) / filename
        try:
            writer(session, out)
        except ReportError as exc:
            raise NotFound("报表", str(exc), field="report") from None
        return Download(filename, out.read_bytes())


def annex3_claim(ctx: Context, number: str) -> Download:
    with ctx.read() as session:
        authorized_claim(ctx.who, session, "report.annex3", number)
    return _write(ctx, f"附件3-{number}.xlsx", lambda s, out: annex3.write_claim(s, number, out))


def annex3_blank(ctx: Context) -> Download:
    authorize(ctx.who, "report.annex3")
    return _write(ctx, "附件3-空白申请表.xlsx", lambda _s, out: annex3.write_blank(out))


def annex3_batch(ctx: Context, jurisdiction: str, year: int | None = None) -> Download:
    authorize(ctx.who, "report.annex3", jurisdiction=jurisdiction)
    with ctx.read() as session:
        if session.get(Jurisdiction, jurisdiction) is None:
            raise Invalid("细则 第五章：嘉兴市各区县", f"所属区县代码 {jurisdiction!r} 不存在；请从所属区县列表中选择",
                          field="jurisdiction")
    return _write(ctx, f"附件3-{jurisdiction}-{year or '全部'}.xlsx",
                  lambda s, out: annex3.write_batch(s, jurisdiction, out, year=year))


def notice(ctx: Context, notice_id: int, unit_key: str = "yuan") -> Download:
    authorize(ctx.who, "report.notice_list")
    u = _unit(unit_key)
    return _write(ctx, f"公示名单-{notice_id}.xlsx", lambda s, out: notice_list.write(s, notice_id, out, unit=u))


def funds(ctx: Context, payer: str, *, fiscal_year: int | None = None, as_of: date | None = None,
          unit_key: str = "yuan") -> Download:
    authorize(ctx.who, "report.fund_issue", payer=payer)
    u = _unit(unit_key)
    return _write(ctx, f"资金下达-{payer}-{fiscal_year or '全部'}.xlsx",
                  lambda s, out: fund_issue.write(s, payer, out, fiscal_year=fiscal_year, as_of=as_of, unit=u))


def reconciliation_workbook(ctx: Context, *, as_of: date | None = None) -> Download:
    authorize(ctx.who, "report.reconciliation")
    return _write(ctx, f"累计上限对账-{as_of or '至今'}.xlsx",
                  lambda s, out: reconciliation.write(s, out, as_of=as_of))


def trial_balance_workbook(ctx: Context, start: date, end: date) -> Download:
    authorize(ctx.who, "report.trial_balance")
    if end < start:
        raise Invalid("日期区间", f"结束日期 {end} 早于开始日期 {start}；请更正日期区间", field="end")
    return _write(ctx, f"试算平衡-{start}-{end}.xlsx", lambda s, out: trial_balance.write(s, start, end, out))


def evaluation(ctx: Context, code: str, year: int) -> Download:
    with ctx.read() as session:
        authorized_platform(ctx.who, session, "report.evaluation", code)
    return _write(ctx, f"评价评分表-{code}-{year}.xlsx", lambda s, out: evaluation_sheet.write(s, code, year, out))


def _unit(key: str):  # type: ignore[no-untyped-def]
    try:
        return unit(key)
    except ReportError as exc:
        raise Invalid("单位", str(exc), field="unit") from None


def jurisdictions(session: Session) -> list[tuple[str, str]]:
    return [(code, name) for code, name in session.execute(select(Jurisdiction.code, Jurisdiction.name).order_by(Jurisdiction.code))]
