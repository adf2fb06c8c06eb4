"""预算测算 page (``/bureau/forecast``) for the city bureau and city finance (``forecast.read``).

The form: first budget year, the extrapolation (解读 R-48), an optional what-if (the equipment rate, the
caps, the counties' split reading, a rule set) and an optional plan file (CSV, posted). The result: a bar
chart per payer (inline SVG: each budget year, the current rules beside the what-if), the table per
payer and year with the difference, the table per program and payer for each scenario, the rules of the
projection and any claim it could not project; ``/bureau/forecast.xlsx`` with the same query downloads
the workbook. A bad what-if is shown above the form: the field in Chinese, the rule, nothing computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from app import downloads
from app.deps import PageContext
from app.forecast import ACTION, ForecastIn, forecast
from app.pages.clerk import Bar
from app.pages.common import render
from app.pages.district import CSRF, Form, Refusal, download, failure, text
from app.permissions import authorize
from calculators.forecast import EXTRAPOLATIONS, Forecast
from calculators.rulesets.bundled import rulebook
from ledger.forecast import ForecastRun

router = APIRouter(include_in_schema=False)
MAX_PLAN_BYTES = 2_000_000

FIELDS: dict[str, tuple[str, str, str]] = {
    # page field → (kind, parameter or reading, Chinese label)
    "rate": ("what_if", "equipment.rate", "设备补助比例"),
    "cap_national": ("what_if", "equipment.cap.national", "国家级平台累计上限（元）"),
    "cap_provincial": ("what_if", "equipment.cap.provincial", "省级平台累计上限（元）"),
    "county_split": ("readings", "payer_split.county", "县（市）分担方案"),
}
COLORS = ("#4a78b5", "#e08a2c")


@dataclass(frozen=True)
class PayerChart:
    payer: str
    name: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    labels: tuple[tuple[str, int], ...]  # (year, x of its centre)


def charts(run: ForecastRun) -> list[PayerChart]:
    """One chart per payer: a group per budget year, a bar per scenario, heights against the payer's largest."""
    totals = [f.payer_totals() for f in run.forecasts]
    names: dict[str, str] = {}
    for f in run.forecasts:
        names.update(f.payer_names())
    from reports.forecast import _payer_key

    out = []
    bar, gap, plot, base = 22, 18, 120, 140
    for payer in sorted(names, key=_payer_key):
        figures = [[t.get(payer, {}).get(y, 0) for y in run.forecasts[0].years] for t in totals]
        top = max([v for fig in figures for v in fig] + [1])
        bars, labels, x = [], [], 10
        for k, year in enumerate(run.forecasts[0].years):
            start = x
            for s, f in enumerate(run.forecasts):
                fen = figures[s][k]
                h = fen * plot // top
                bars.append(Bar(x, base - h, bar, h, COLORS[s % 2], f"{year}年度 {f.what_if.title}", fen))
                x += bar
            labels.append((str(year), (start + x) // 2))
            x += gap
        out.append(PayerChart(payer, names[payer], x, base + 24, tuple(bars), tuple(labels)))
    return out


def body_from(query: dict[str, str]) -> tuple[ForecastIn, dict[str, str]]:
    """The request from the page's fields (raises ``ValidationError`` naming them)."""
    what_if = {name: query[f] for f, (kind, name, _) in FIELDS.items() if kind == "what_if" and query.get(f)}
    readings = {name: query[f] for f, (kind, name, _) in FIELDS.items() if kind == "readings" and query.get(f)}
    data: dict[str, Any] = {"extrapolation": query.get("extrapolation") or "mean-3"}
    if query.get("first_year"):
        data["first_year"] = query["first_year"]
    if what_if or readings or query.get("rule_set"):
        data["what_if"] = {"title": "假设测算", "what_if": what_if, "readings": readings,
                           "rule_set": query.get("rule_set") or None}
    return ForecastIn.model_validate(data), {f: query.get(f, "") for f in (*FIELDS, "first_year", "extrapolation",
                                                                               "rule_set")}


def page_error(exc: Exception) -> dict[str, Any]:
    """A refusal with the page's own field named (``what_if.equipment.rate`` → 设备补助比例)."""
    err = failure(exc)
    for _, (kind, name, title) in FIELDS.items():
        if str(err.get("field", "")) in (f"{kind}.{name}", f"what_if.{kind}.{name}"):
            err["label"] = title
    return err


def _page(request: Request, ctx: PageContext, query: dict[str, str], plan: FormData | None = None) -> HTMLResponse:
    authorize(ctx.who, ACTION)
    form: dict[str, str] = {k: query.get(k, "") for k in (*FIELDS, "first_year", "extrapolation", "rule_set")}
    result: ForecastRun | None = None
    error = None
    plan_name = ""
    try:
        plan_csv, plan_name = _plan(plan) if plan is not None else (None, "")
        body, form = body_from(query)
        result = forecast(ctx, body, plan_csv=plan_csv)
    except (*Refusal, ValidationError) as exc:
        error = page_error(exc)
    from reports.forecast import notes

    return render(request, "bureau_forecast.html", status=error["status"] if error else 200, run=result,
                  error=error, form=form, fields=FIELDS, extrapolations=EXTRAPOLATIONS, colors=COLORS,
                  rule_sets=sorted(rulebook().rule_sets), charts=charts(result) if result else [],
                  plan_name=plan_name, payer_table=payer_table(result) if result else [],
                  notes=notes(result) if result else [], request_query=urlencode({k: v for k, v in form.items() if v}))


def payer_table(run: ForecastRun) -> list[tuple[str, int, list[int]]]:
    """(payer name, year, [each scenario's fen]) rows."""
    from reports.forecast import payer_rows

    base: Forecast = run.forecasts[0]
    totals = [f.payer_totals() for f in run.forecasts]
    names = {r.payer: r.payer_name for f in run.forecasts for r in payer_rows(f)}
    return [(names[p], y, [t.get(p, {}).get(y, 0) for t in totals]) for p in names for y in base.years]


@router.get("/bureau/forecast", response_class=HTMLResponse)
def forecast_page(request: Request, ctx: PageContext) -> HTMLResponse:
    return _page(request, ctx, {k: v[:200] for k, v in request.query_params.items()})


@router.post("/bureau/forecast", response_class=HTMLResponse, dependencies=CSRF)
def forecast_with_plan(request: Request, ctx: PageContext, form: Form) -> HTMLResponse:
    """The same page with a plan file (CSV: 平台编号,年度,计划设备投资（元）) uploaded."""
    query = {k: text(form, k)[:200] for k in (*FIELDS, "first_year", "extrapolation", "rule_set")}
    return _page(request, ctx, query, form)


def _plan(form: FormData) -> tuple[str | None, str]:
    upload = form.get("plan")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, ""
    content = upload.file.read(MAX_PLAN_BYTES + 1)
    if len(content) > MAX_PLAN_BYTES:
        from ledger.errors import Invalid

        raise Invalid("投资计划文件格式（docs/forecast.md）", f"投资计划文件超过 {MAX_PLAN_BYTES // 1_000_000} MB", field="plan")
    return content.decode("utf-8-sig", errors="replace"), upload.filename or ""


@router.get("/bureau/forecast.xlsx")
def forecast_download(ctx: PageContext,
                      first_year: Annotated[str, Query(max_length=4)] = "",
                      extrapolation: Annotated[str, Query(max_length=10)] = "mean-3",
                      rate: Annotated[str, Query(max_length=20)] = "",
                      cap_national: Annotated[str, Query(max_length=20)] = "",
                      cap_provincial: Annotated[str, Query(max_length=20)] = "",
                      county_split: Annotated[str, Query(max_length=40)] = "",
                      rule_set: Annotated[str, Query(max_length=40)] = "") -> Response:
    """The workbook of the forecast the page shows (same query)."""
    from reports import forecast as R

    body, _ = body_from({"first_year": first_year, "extrapolation": extrapolation, "rate": rate,
                         "cap_national": cap_national, "cap_provincial": cap_provincial,
                         "county_split": county_split, "rule_set": rule_set})
    result = forecast(ctx, body)
    return download(downloads.Download(R.default_name(result), R.workbook_bytes(result)))
