"""Pages of the district (区县经信): platforms (list, register, detail with history, claims and cap
gauges, add an event), the new-claim form with 试算 before 申报, invoice import from xlsx/CSV, and the
Annex 3 downloads (one claim, blank, the jurisdiction's batch as a background job).

Also the form helpers the claim pages share (:func:`validated`, :func:`failure`): a body that does
not fit its schema, or a refusal of the ledger, becomes a message naming the field and the rule,
shown next to the form; nothing is changed.
"""

from __future__ import annotations

import base64
import re
import secrets
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from app import actions as do
from app import downloads
from app import jobs as background
from app import schemas as In
from app.actions import Context, Page
from app.deps import PageContext, check_csrf
from app.invoice_import import IMPORT_COLUMNS, IMPORT_FIELDS, MAX_IMPORT_BYTES, read_rows
from app.pages import clerk, jobs
from app.pages.common import back, percent, render
from app.permissions import Forbidden, allowed, jurisdiction_filter
from app.results import PlatformRow
from calculators.errors import CalculatorError, InputErrors, schema_text
from calculators.results import ClaimResult
from ledger.errors import LedgerError
from ledger.messages import issues_text
from ledger.messages import label as field_label

router = APIRouter(include_in_schema=False)
router.include_router(jobs.router)

PAGE_SIZE = 20
B = TypeVar("B", bound=BaseModel)


# ---------------------------------------------------------------- form helpers (shared with bureau.py)

async def form_data(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(form_data)]
CSRF = [Depends(check_csrf)]


def label(loc: tuple[Any, ...] | str) -> str:
    """A field named in Chinese (``claims[3].application_date`` → ``第4条申请的申报日期``): the one table in
    :mod:`ledger.messages`."""
    return field_label(loc)


def invalid(exc: ValidationError) -> dict[str, Any]:
    """A schema refusal as the pages show it: every field named, with the rule it broke."""
    issues = [{"field": ".".join(str(p) for p in e["loc"]), "label": label(tuple(e["loc"])),
               "message": schema_text(dict(e))} for e in exc.errors()]
    text = "；".join(f"{i['label']}：{i['message']}" for i in issues)
    return {"status": 422, "field": issues[0]["field"] if issues else "", "label": issues[0]["label"] if issues else "",
            "rule": "输入格式", "message": text, "issues": issues}


def failure(exc: Exception) -> dict[str, Any]:
    """A refusal (ledger, permission matrix, calculator) as the pages show it."""
    if isinstance(exc, ValidationError):
        return invalid(exc)
    if isinstance(exc, Forbidden):
        return {"status": 403, **exc.to_dict()}
    if isinstance(exc, LedgerError):
        out = {"status": exc.status, **exc.to_dict()}
        if out.get("field"):
            out["label"] = label(str(out["field"]))
        return out
    if isinstance(exc, CalculatorError):
        if isinstance(exc, InputErrors):
            first = exc.issues[0]
            return {"status": 422, "field": first.field, "label": label(first.field), "rule": first.rule,
                    "message": issues_text(exc.issues)}
        return {"status": 422, "field": "", "rule": "规则计算", "message": str(exc)}
    raise exc


Refusal = (ValidationError, Forbidden, LedgerError, CalculatorError)


def validated(model: type[B], data: dict[str, Any]) -> B:
    return model.model_validate(data)


def text(form: FormData, name: str) -> str:
    v = form.get(name)
    return v.strip() if isinstance(v, str) else ""


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def money(value: str) -> str:
    """``"1,000,000"`` → ``"1000000"`` (thousands separators and spaces dropped; the schema checks the rest)."""
    return value.replace(",", "").replace("，", "").replace(" ", "").strip()


def download(d: downloads.Download) -> Response:
    return Response(d.content, media_type=d.media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(d.filename)}"})


# ---------------------------------------------------------------- reference lists

EVENT_KINDS = {"pool-entry": "入库（培育库）", "pool-exit": "出库", "recognition": "认定", "evaluation": "年度评价",
               "agreement-support": "协议支持", "rectification": "整改"}
LEADER_TYPES = {"enterprise": "企业", "university": "高校", "research-institute": "科研院所",
                "public-institution": "事业单位", "third-party": "第三方机构", "government": "政府部门"}
LEVELS = {"national": "国家级", "provincial": "省级", "municipal": "市级"}
GRADES = ("优秀", "良好", "合格", "不合格", "通过", "不通过")
SCHEMES = {"jiaxing": "嘉兴", "zhejiang": "浙江", "shaoxing": "绍兴"}


def programs() -> list[tuple[str, str]]:
    from calculators.rulesets.bundled import rulebook

    seen: dict[str, str] = {}
    for rs in rulebook().rule_sets.values():
        for pid, info in rs.programs.items():
            seen.setdefault(pid, info.title)
    order = ["equipment-subsidy", "municipal-award"]
    return sorted(seen.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 9, kv[0]))


def jurisdictions(ctx: Context) -> list[tuple[str, str]]:
    with ctx.read() as session:
        rows = downloads.jurisdictions(session)
    scope = jurisdiction_filter(ctx.who)
    return [(c, n) for c, n in rows if scope is None or c == scope]


# ---------------------------------------------------------------- platforms

@router.get("/platforms", response_class=HTMLResponse)
def platforms(request: Request, ctx: PageContext, q: Annotated[str, Query(max_length=100)] = "",
              page: Annotated[int, Query(ge=1, le=100000)] = 1) -> HTMLResponse:
    found = do.list_platforms(ctx, Page(page, PAGE_SIZE), search=q.strip() or None)
    return render(request, "platform_list.html", found=found, pg=found, q=q,
                  can_create=allowed(ctx.who, "platform.create"), can_file=allowed(ctx.who, "claim.file"),
                  can_batch=allowed(ctx.who, "report.annex3") and ctx.who.jurisdiction is not None,
                  jurisdictions=jurisdictions(ctx))


def _platform_form(request: Request, ctx: Context, f: dict[str, Any], error: dict[str, Any] | None = None
                   ) -> HTMLResponse:
    return render(request, "platform_new.html", status=error["status"] if error else 200, f=f, error=error,
                  jurisdictions=jurisdictions(ctx), leader_types=LEADER_TYPES)


@router.get("/platforms/new", response_class=HTMLResponse)
def platform_new(request: Request, ctx: PageContext) -> HTMLResponse:
    if not allowed(ctx.who, "platform.create"):
        raise Forbidden("platform.create", f"{ctx.who.role_title}无权登记平台")
    return _platform_form(request, ctx, {"jurisdiction": ctx.who.jurisdiction or "", "leader_type": "enterprise"})


PLATFORM_FIELDS = ("code", "name", "jurisdiction", "operator", "leader_type", "head_person", "head_phone",
                   "contact_person", "contact_mobile")


@router.post("/platforms/new", dependencies=CSRF)
def platform_create(request: Request, ctx: PageContext, form: Form) -> Response:
    f = {k: text(form, k) for k in PLATFORM_FIELDS}
    try:
        body = validated(In.PlatformIn, f)
        do.create_platform(ctx, body)
    except Refusal as exc:
        return _platform_form(request, ctx, f, failure(exc))
    return back(f"/platforms/{body.code}", f"已登记平台 {body.name}")


def _platform_page(request: Request, ctx: Context, code: str, *, event: dict[str, Any] | None = None,
                   error: dict[str, Any] | None = None) -> HTMLResponse:
    p = do.platform_detail(ctx, code)
    positions = list(p.caps)
    if "equipment-subsidy" not in {c.program for c in positions}:
        try:  # the equipment cap (累计上限) applies from recognition, before any claim
            found = do.cap_position(ctx, code, "equipment-subsidy", date.today())
            if found.cap is not None:
                positions.insert(0, found)
        except (LedgerError, CalculatorError):
            pass
    titles = dict(programs())
    caps = [{"program": c.program, "level": c.level, "cap": c.cap, "committed": c.committed,
             "headroom": c.headroom, "as_of": c.as_of, "title": titles.get(c.program, c.program),
             "percent": percent(c.committed, c.cap)} for c in positions]
    return render(request, "platform_detail.html", status=error["status"] if error else 200, p=p, caps=caps,
                  timeline=clerk.timeline(ctx, code), standing_titles=clerk.STANDING_TITLES,
                  event=event or {"kind": "recognition"}, error=error, kinds=EVENT_KINDS, levels=LEVELS,
                  grades=GRADES, schemes=SCHEMES, leader_types=LEADER_TYPES,
                  can_event=allowed(ctx.who, "platform.event", jurisdiction=p.jurisdiction),
                  can_file=allowed(ctx.who, "claim.file", jurisdiction=p.jurisdiction),
                  can_annex3=allowed(ctx.who, "report.annex3", jurisdiction=p.jurisdiction))


@router.get("/platforms/{code}", response_class=HTMLResponse)
def platform_page(request: Request, ctx: PageContext, code: str) -> HTMLResponse:
    return _platform_page(request, ctx, code)


EVENT_FIELDS = ("kind", "on", "level", "grade", "scheme", "year", "document_number", "amount", "note")


@router.post("/platforms/{code}/events", dependencies=CSRF)
def platform_event(request: Request, ctx: PageContext, code: str, form: Form) -> Response:
    f = {k: text(form, k) for k in EVENT_FIELDS}
    data: dict[str, Any] = {k: v for k, v in f.items() if v != "" or k in ("kind", "on")}
    if "amount" in data:
        data["amount"] = money(data["amount"])
    try:
        body = validated(In.PlatformEventIn, data)
        do.add_platform_event(ctx, code, body)
    except Refusal as exc:
        return _platform_page(request, ctx, code, event=f, error=failure(exc))
    return back(f"/platforms/{code}", f"已登记{EVENT_KINDS.get(body.kind, body.kind)}（{body.on}）")


# ---------------------------------------------------------------- Annex 3 downloads

@router.get("/claims/{number}/annex3.xlsx")
def annex3_claim(ctx: PageContext, number: str) -> Response:
    return download(downloads.annex3_claim(ctx, number))


@router.get("/annex3/blank.xlsx")
def annex3_blank(ctx: PageContext) -> Response:
    return download(downloads.annex3_blank(ctx))


@router.get("/annex3/batch")
def annex3_batch(ctx: PageContext, jurisdiction: Annotated[str, Query(max_length=40)] = "",
                 year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> Response:
    """The jurisdiction's Annex 3 workbook, built by a background job (with a progress bar)."""
    where = jurisdiction or ctx.who.jurisdiction or ""
    if not where:
        from ledger.errors import Invalid

        raise Invalid("附件3批量下载", "请选择区县", field="jurisdiction")
    from app.permissions import authorize

    authorize(ctx.who, "report.annex3", jurisdiction=where)

    job = background.submit(ctx, "annex3-batch", f"附件3批量生成（{where}{f'，{year}年' if year else ''}）",
                            {"jurisdiction": where, "year": year})
    return back(f"/jobs/{job}")


@background.kind("annex3-batch")
def annex3_batch_job(ctx: Context, params: dict[str, Any], progress: jobs.Progress) -> downloads.Download:
    """The district's Annex 3 workbook (a background job; authorised again as its owner when it runs)."""
    progress(0, 1)
    d = downloads.annex3_batch(ctx, str(params["jurisdiction"]), params.get("year"))
    progress(1, 1)
    return d


# ---------------------------------------------------------------- invoice import

BACKGROUND_ROWS = 300  # larger files are read by a background job with a progress bar


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _cell_date(v: Any) -> str:
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    s = _cell_text(v)
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError("应为日期（如 2025-07-01）" if s else "必填")


def _cell_money(v: Any, *, required: bool) -> str:
    if v is None or str(v).strip() == "":
        if required:
            raise ValueError("必填")
        return "0.00"
    if isinstance(v, bool):
        raise ValueError("应为金额")
    # a spreadsheet number arrives as a double: its shortest decimal form is the amount typed
    s = repr(v) if isinstance(v, float) else money(str(v))
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise ValueError(f"{_cell_text(v)!r} 不是金额") from None
    if not d.is_finite() or d < 0:
        raise ValueError("金额不能为负")
    if d != d.quantize(Decimal("0.01")):
        raise ValueError("金额至多两位小数（分）")
    if d >= Decimal("1e12"):
        raise ValueError("金额过大")
    return f"{d:.2f}"


def check_rows(rows: list[tuple[int, list[Any]]], progress: jobs.Progress | None = None
               ) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Each row checked on its own: the good invoice lines, and every error as (row, column, message)."""
    good: list[dict[str, str]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for k, (n, cells) in enumerate(rows):
        line: dict[str, str] = {}
        row_errors = []
        for col, field, value in zip(IMPORT_COLUMNS, IMPORT_FIELDS, cells, strict=True):
            try:
                if field == "date":
                    line[field] = _cell_date(value)
                elif field in ("net", "vat"):
                    line[field] = _cell_money(value, required=field == "net")
                else:
                    t = _cell_text(value)
                    if not t:
                        raise ValueError("必填")
                    if len(t) > 40:
                        raise ValueError("至多 40 个字符")
                    line[field] = t
            except ValueError as exc:
                row_errors.append({"row": n, "column": col, "message": str(exc)})
        if not row_errors:
            key = (line["issuer_code"], line["number"])
            if key in seen:
                row_errors.append({"row": n, "column": "发票号码",
                                   "message": f"与第 {seen[key]} 行重复（同一开票单位的同一发票只能申报一次）"})
            else:
                seen[key] = n
        if row_errors:
            errors.extend(row_errors)
        else:
            good.append(line)
        if progress and (k % 50 == 0 or k == len(rows) - 1):
            progress(k + 1, len(rows))
    return good, errors


@background.kind("invoice-import")
def invoice_import_job(ctx: Context, params: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    """A large invoice file checked row by row (a background job): the good lines and every error are kept
    in the job's result, and the claim form is filled from it (``/claims/new?job=…``)."""
    rows = read_rows(str(params["filename"]), base64.b64decode(str(params["content"])))
    good, errors = check_rows(rows, progress)
    return {"href": f"/claims/new?job={params['job_id']}",
            "message": f"导入 {len(good)} 行" + (f"，{len(errors)} 处错误，查看并更正" if errors else "，回到申报表"),
            "import": {"form": params["form"], "good": good, "errors": errors}}


# ---------------------------------------------------------------- the new claim

CLAIM_FIELDS = ("platform", "program", "application_date", "years", "requested_amount", "platform_document",
                "national_support", "recorded_amount", "evaluation_year")


def claim_form(form: FormData) -> dict[str, Any]:
    """The claim form as submitted (strings), invoice lines from the repeated row fields."""
    f: dict[str, Any] = {k: text(form, k) for k in CLAIM_FIELDS}
    cols = [form.getlist(f"inv_{c}") for c in IMPORT_FIELDS]
    lines = []
    for values in zip(*cols, strict=False):
        line = {c: (v.strip() if isinstance(v, str) else "") for c, v in zip(IMPORT_FIELDS, values, strict=True)}
        if any(line.values()):
            lines.append(line)
    f["invoices"] = lines
    return f


def claim_body(f: dict[str, Any]) -> In.ClaimIn:
    data: dict[str, Any] = {k: f[k] for k in ("platform", "program", "application_date", "platform_document")}
    for k in ("requested_amount", "national_support", "recorded_amount"):
        if f.get(k):
            data[k] = money(f[k])
    if f.get("evaluation_year"):
        data["evaluation_year"] = f["evaluation_year"]
    if f.get("years"):
        data["years"] = [y for y in re.split(r"[,，、;；\s]+", f["years"]) if y]
    data["invoices"] = [{"issuer_code": i["issuer_code"], "number": i["number"], "date": i["date"],
                         "net": money(i["net"]), "vat": money(i["vat"]) or "0.00"} for i in f["invoices"]]
    return validated(In.ClaimIn, data)


def _platform_choices(ctx: Context, search: str = "") -> tuple[PlatformRow, ...]:
    return do.list_platforms(ctx, Page(1, 200), search=search or None).items


def claim_form_page(request: Request, ctx: Context, f: dict[str, Any], *, result: ClaimResult | None = None,
                    error: dict[str, Any] | None = None, import_errors: list[dict[str, Any]] | None = None,
                    imported: int | None = None, status: int | None = None, search: str = "",
                    page: int = 1) -> HTMLResponse:
    platform = None
    if f.get("platform"):
        try:
            platform = do.platform_detail(ctx, f["platform"])
        except LedgerError:
            platform = None
    lines = list(f.get("invoices") or [])
    rows = [*lines, *({c: "" for c in IMPORT_FIELDS} for _ in range(max(2, 5 - len(lines))))]
    return render(request, "claim_new.html", status=status or (error["status"] if error else 200), f=f, rows=rows,
                  platform=platform, platforms=_platform_choices(ctx, search) if platform is None else [],
                  programs=programs(), result=result, error=error, import_errors=import_errors or [],
                  imported=imported, nonce=secrets.token_hex(12), columns=IMPORT_COLUMNS,
                  standings=clerk.standings(ctx, platform=platform.code if platform else None, search=search,
                                            page=page),
                  standing_titles=clerk.STANDING_TITLES, q=search)


@router.get("/claims/new", response_class=HTMLResponse)
def claim_new(request: Request, ctx: PageContext, platform: Annotated[str, Query(max_length=40)] = "",
              job: Annotated[str, Query(max_length=40)] = "",
              program: Annotated[str, Query(max_length=40)] = "",
              q: Annotated[str, Query(max_length=60)] = "",
              page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    f: dict[str, Any] = {k: "" for k in CLAIM_FIELDS}
    f.update(platform=platform, program=program if program in dict(programs()) else "equipment-subsidy",
             application_date=date.today().isoformat(), invoices=[])
    if job:  # the result of a background invoice import
        found = (background.get(ctx.factory, ctx.who.username, job).result or {}).get("import")
        if isinstance(found, dict):
            f.update({k: v for k, v in found["form"].items() if k != "invoices"})
            f["invoices"] = found["good"]
            return claim_form_page(request, ctx, f, import_errors=found["errors"], imported=len(found["good"]),
                                   status=422 if found["errors"] else 200)
    if platform:
        do.platform_detail(ctx, platform)  # 404/403 before the form
    return claim_form_page(request, ctx, f, search=q.strip(), page=page)


@router.post("/claims/preview", response_class=HTMLResponse, dependencies=CSRF)
def claim_preview(request: Request, ctx: PageContext, form: Form) -> HTMLResponse:
    f = claim_form(form)
    try:
        result = do.preview_claim(ctx, claim_body(f))
    except Refusal as exc:
        return claim_form_page(request, ctx, f, error=failure(exc))
    return claim_form_page(request, ctx, f, result=result)


@router.post("/claims/file", dependencies=CSRF)
def claim_file(request: Request, ctx: PageContext, form: Form) -> Response:
    f = claim_form(form)
    try:
        out = do.file_claim(ctx, claim_body(f), key=f"claim-form:{text(form, 'nonce')}" if text(form, "nonce")
                            else None)
    except Refusal as exc:
        return claim_form_page(request, ctx, f, error=failure(exc))
    warned = "".join(f"；提醒：{w}" for w in out.result.warnings)
    return back(f"/claims/{out.claim}", f"已申报，申请编号 {out.claim}{warned}")


@router.post("/claims/import", response_class=HTMLResponse, dependencies=CSRF)
def claim_import(request: Request, ctx: PageContext, form: Form) -> Response:
    """Read invoice lines from an xlsx/CSV: the good rows fill the form, every bad row is listed; the
    claim is not filed until the list is clean and the clerk files it."""
    f = claim_form(form)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return claim_form_page(request, ctx, f, error={"status": 422, "field": "file", "label": "导入文件",
                                                       "rule": "发票导入", "message": "请选择要导入的 xlsx 或 CSV 文件"})
    content = upload.file.read(MAX_IMPORT_BYTES + 1)  # never more than the limit, whatever was sent
    try:
        rows = read_rows(upload.filename, content)
    except Refusal as exc:
        return claim_form_page(request, ctx, f, error=failure(exc))
    if len(rows) > BACKGROUND_ROWS:
        keep = {k: v for k, v in f.items() if k != "invoices"}
        job_id = background.submit(ctx, "invoice-import", f"导入发票（{upload.filename}，{len(rows)} 行）",
                                   {"filename": upload.filename, "form": keep,
                                    "content": base64.b64encode(content).decode("ascii")})
        return back(f"/jobs/{job_id}")
    good, errors = check_rows(rows)
    f["invoices"] = good
    return claim_form_page(request, ctx, f, import_errors=errors, imported=len(good),
                           status=422 if errors else 200)
