"""What a clerk needs at hand (issue 11 part 5): which programs each platform can claim now and why
not (shown on the new-claim page), the platform's timeline, the city's fund progress per district and
payer (an inline SVG chart drawn here and a table), and a notice's ready-to-publish 公示 text with its
downloads (the text, and the Word document as the bureau publishes it). Reads only; every read goes through the permission matrix and the user's jurisdiction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from app import downloads
from app.actions import Context, Page, list_platforms, no_platform
from app.deps import PageContext
from app.pages.common import render, templates
from app.permissions import allowed, authorize, authorize_object, jurisdiction_filter
from app.results import Paged
from calculators.rulesets.bundled import rulebook
from ledger.claimable import PlatformStanding, Standing, platform_standing, program_titles
from ledger.errors import NotFound
from ledger.models import Jurisdiction, Payer, Platform
from ledger.timeline import Moment, platform_timeline
from reports.fund_progress import FundProgress, fund_progress
from reports.notice_text import NoticeText, as_docx, as_text, notice_text

router = APIRouter(include_in_schema=False)
templates.env.globals["may"] = allowed  # a template shows a link only to a user who may follow it

STANDING_TITLES: dict[str, str] = {
    Standing.CLAIMABLE: "可申报", Standing.IN_PROGRESS: "已有在办申请", Standing.CAP_REACHED: "已达累计上限",
    Standing.ALREADY_RECEIVED: "已获补助", Standing.NOT_RECOGNISED: "尚未认定",
    Standing.OUTSIDE_WINDOW: "不在申报期", Standing.NOT_ELIGIBLE: "不符合条件",
}
STANDINGS_SHOWN = 20  # platforms whose standing the chooser computes at once (one page; 上一页/下一页 and 查找 for more)


# ---------------------------------------------------------------- claimable now

def _today() -> date:
    return date.today()


def standings(ctx: Context, *, platform: str | None = None, on: date | None = None,
              search: str | None = None, page: int = 1) -> Paged[PlatformStanding]:
    """The standing of one platform (checked against the user's jurisdiction), or of one page of
    :data:`STANDINGS_SHOWN` of the user's platforms — those whose name, code or operator contains
    ``search`` when given (the jurisdiction's own platforms only). A page past the last shows the last."""
    day = on or _today()
    authorize(ctx.who, "platform.read")
    if platform is not None:
        return Paged(items=tuple(_standings_of(ctx, [platform], day)), page=1, page_size=1, total=1)
    found = list_platforms(ctx, Page(page, STANDINGS_SHOWN), search=search or None)
    if not found.items and found.total and page > found.pages:
        found = list_platforms(ctx, Page(found.pages, STANDINGS_SHOWN), search=search or None)
    return Paged(items=tuple(_standings_of(ctx, [p.code for p in found.items], day)), page=found.page,
                 page_size=found.page_size, total=found.total)


def _standings_of(ctx: Context, codes: list[str], day: date) -> list[PlatformStanding]:
    out = []
    with ctx.read() as session:
        for code in codes:
            p = session.execute(select(Platform).where(Platform.code == code)).scalar_one_or_none()
            if p is None:
                raise no_platform(code)
            authorize_object(ctx.who, "platform.read", jurisdiction=p.jurisdiction_code, not_found=no_platform(code))
            out.append(platform_standing(session, p, day))
    return out


# ---------------------------------------------------------------- the platform's timeline

def timeline(ctx: Context, code: str) -> list[Moment]:
    authorize(ctx.who, "platform.read")
    with ctx.read() as session:
        p = session.execute(select(Platform).where(Platform.code == code)).scalar_one_or_none()
        if p is None:
            raise no_platform(code)
        authorize_object(ctx.who, "platform.read", jurisdiction=p.jurisdiction_code, not_found=no_platform(code))
        return platform_timeline(session, p)


# ---------------------------------------------------------------- fund progress

SERIES = (("appropriated", "预算指标", "#9db4d6"), ("committed", "已审定", "#4a78b8"),
          ("issued", "已下达", "#e0a040"), ("paid", "已拨付", "#3c9a5f"))


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    color: str
    title: str
    fen: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    groups: tuple[tuple[str, int], ...]  # (label, x of its centre)
    bars: tuple[Bar, ...]
    legend: tuple[tuple[str, str], ...]


def chart(totals: dict[str, tuple[int, int, int, int]], names: dict[str, str]) -> Chart:
    """Grouped bars, one group per payer, heights in proportion to the largest figure (integer arithmetic)."""
    top = max([v for t in totals.values() for v in t] + [1])
    bar, gap, plot, left, base = 26, 30, 220, 20, 240
    bars: list[Bar] = []
    groups: list[tuple[str, int]] = []
    x = left
    for payer, figures in totals.items():
        start = x
        for (_, title, color), fen in zip(SERIES, figures, strict=True):
            h = fen * plot // top
            bars.append(Bar(x, base - h, bar, h, color, title, fen))
            x += bar
        groups.append((names.get(payer, payer), (start + x) // 2))
        x += gap
    return Chart(max(x, 320), base + 40, tuple(groups), tuple(bars), tuple((t, c) for _, t, c in SERIES))


@router.get("/bureau/funds", response_class=HTMLResponse)
def funds(request: Request, ctx: PageContext,
          year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> HTMLResponse:
    authorize(ctx.who, "report.reconciliation")
    with ctx.read(snapshot=True) as session:
        found: FundProgress = fund_progress(session, year=year, jurisdiction=jurisdiction_filter(ctx.who))
        payers = dict(session.execute(select(Payer.code, Payer.name)).all())
        districts = dict(session.execute(select(Jurisdiction.code, Jurisdiction.name)).all())
    totals = found.payer_totals()
    return render(request, "bureau_funds.html", found=found, totals=totals, payers=payers, districts=districts,
                  chart=chart(totals, payers), series=SERIES, year=year)


# ---------------------------------------------------------------- a notice's 公示 text

def _notice(ctx: Context, notice_id: int) -> NoticeText:
    authorize(ctx.who, "report.notice_list")
    with ctx.read() as session:
        found = notice_text(session, notice_id, program_titles(rulebook()), jurisdiction_filter(ctx.who))
    if found is None:
        raise NotFound("notices", f"没有第 {notice_id} 号公示", field="notice")
    return found


def safe_filename(title: str, suffix: str) -> str:
    """A file name from a typed title: letters (any script), digits, ``-`` and ``_`` kept, the rest ``_``;
    no leading dot, at most 60 characters before the suffix."""
    name = re.sub(r"[^\w\-]+", "_", title, flags=re.UNICODE).strip("._")[:60] or "公示"
    return f"{name}{suffix}"


@router.get("/bureau/notices/{notice_id}", response_class=HTMLResponse)
def notice_page(request: Request, ctx: PageContext, notice_id: int) -> HTMLResponse:
    t = _notice(ctx, notice_id)
    return render(request, "notice_text.html", t=t, text=as_text(t))


@router.get("/bureau/notices/{notice_id}/publicity.txt")
def notice_download(ctx: PageContext, notice_id: int) -> Response:
    from app.pages.district import download

    t = _notice(ctx, notice_id)
    content = ("\ufeff" + as_text(t)).encode("utf-8")  # the BOM: Windows editors then read it as UTF-8
    return download(downloads.Download(safe_filename(t.title, ".txt"), content, "text/plain; charset=utf-8"))


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.get("/bureau/notices/{notice_id}/publicity.docx")
def notice_document(ctx: PageContext, notice_id: int) -> Response:
    """The 公示 as a Word document, laid out as the bureau publishes it (reports/notice_text.py)."""
    from app.pages.district import download

    t = _notice(ctx, notice_id)
    return download(downloads.Download(safe_filename(t.title, ".docx"), as_docx(t), DOCX))
