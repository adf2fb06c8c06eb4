"""Pages for the administrator (系统管理员): the users (list, add with role and jurisdiction) and the
official holiday notices (节假日安排: paste or upload the YAML; a file that does not parse is refused
with its error shown; a loaded one recomputes every provisional notice, and the page says which end
dates it moved, old → new). Each write goes through :mod:`app.actions`, so it is authorised and logged.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from app import actions as do
from app import schemas as In
from app.actions import Context
from app.deps import PageContext, check_csrf
from app.downloads import jurisdictions
from app.pages.common import back, render
from app.permissions import DISTRICT_ROLES, ROLE_TITLES, authorize
from app.results import HolidaysLoaded
from calculators.errors import schema_text
from calculators.formats import date_cn, moment_cn
from ledger.errors import LedgerError
from ledger.messages import label
from ledger.models import HolidayNotice, Notice, NoticeEndChange

router = APIRouter(include_in_schema=False)

MAX_UPLOAD = 100_000  # characters, as the schema allows


def _error_text(exc: Exception) -> tuple[str, str]:
    """(field, message) of a refusal, for showing next to the form."""
    if isinstance(exc, ValidationError):
        errors = exc.errors()
        if not errors:
            return "", "输入有误"
        field = ".".join(str(p) for p in errors[0]["loc"])
        return field, "；".join(f"{label(tuple(e['loc']))}：{schema_text(dict(e))}" for e in errors)
    if isinstance(exc, LedgerError):
        d = exc.to_dict()
        field = str(d.get("field", ""))
        return field, f"{label(field)}：{d.get('message', exc)}" if field else str(d.get("message", exc))
    return "", str(exc)


def _users_context(ctx: Context) -> dict[str, Any]:
    users = do.list_users(ctx)
    with ctx.read() as session:
        places = jurisdictions(session)
    return {"users": users, "jurisdictions": places, "roles": ROLE_TITLES,
            "district_roles": sorted(DISTRICT_ROLES), "names": dict(places), "key": secrets.token_hex(12)}


def holiday_notices(ctx: Context) -> list[dict[str, Any]]:
    """The holiday notices an administrator loaded (they override the bundled ones for their year)."""
    authorize(ctx.who, "holidays.load")
    with ctx.read() as session:
        return [{"year": h.year, "source": h.source, "loaded_at": moment_cn(h.loaded_at) if h.loaded_at else "",
                 "lines": h.text.count("\n") + 1}
                for h in session.execute(select(HolidayNotice).order_by(HolidayNotice.year.desc())).scalars()]


def notice_end_changes(ctx: Context) -> list[dict[str, Any]]:
    """The latest notice end dates a loaded holiday notice moved (公示截止日变更), newest first."""
    authorize(ctx.who, "holidays.load")
    with ctx.read() as session:
        rows = session.execute(select(NoticeEndChange, Notice.title).join(Notice, Notice.id == NoticeEndChange.notice_id)
                               .order_by(NoticeEndChange.id.desc()).limit(50)).all()
        return [{"notice": x.notice_id, "title": title, "year": x.holiday_year, "source": x.holiday_source,
                 "old_end": x.old_end, "old_provisional": x.old_provisional, "new_end": x.new_end,
                 "new_provisional": x.new_provisional, "actor": x.actor} for x, title in rows]


def _loaded_message(out: HolidaysLoaded) -> str:
    """The flash after loading: the year, and which notices' end dates it changed (old → new)."""
    head = f"已载入 {out.year} 年节假日安排（{out.source}）"
    if not out.moved:
        return head + "；没有公示的截止日因此变更"
    moved = "；".join(f"“{m.title}”{date_cn(m.old_end)}{'（暂定）' if m.old_provisional else ''} → {date_cn(m.new_end)}"
                      f"{'（暂定）' if m.new_provisional else ''}" for m in out.moved[:10])
    more = f"等 {len(out.moved)} 项" if len(out.moved) > 10 else ""
    return f"{head}；公示截止日随之变更：{moved}{more}"


def _holidays_context(ctx: Context) -> dict[str, Any]:
    return {"notices": holiday_notices(ctx), "changes": notice_end_changes(ctx)}


# ---------------------------------------------------------------- users

@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, ctx: PageContext) -> HTMLResponse:
    return render(request, "admin_users.html", **_users_context(ctx), form={})


@router.post("/admin/users", dependencies=[Depends(check_csrf)])
def add_user(request: Request, ctx: PageContext, username: Annotated[str, Form(max_length=64)],
             password: Annotated[str, Form(max_length=200)], role: Annotated[str, Form(max_length=40)],
             jurisdiction: Annotated[str, Form(max_length=40)] = "",
             display_name: Annotated[str, Form(max_length=100)] = "",
             key: Annotated[str, Form(max_length=64)] = "") -> Response:
    form = {"username": username, "role": role, "jurisdiction": jurisdiction, "display_name": display_name}
    try:
        body = In.UserIn(username=username, password=password, role=role,
                         jurisdiction=jurisdiction or None, display_name=display_name)
        do.add_user(ctx, body, key=key or None)
    except (ValidationError, LedgerError) as exc:
        field, message = _error_text(exc)
        return render(request, "admin_users.html", status=422, **_users_context(ctx), form=form,
                      error=message, error_field=field)
    return back("/admin/users", f"已添加用户 {username}（{ROLE_TITLES.get(role, role)}）")


# ---------------------------------------------------------------- holidays

@router.get("/admin/holidays", response_class=HTMLResponse)
def holidays_page(request: Request, ctx: PageContext) -> HTMLResponse:
    return render(request, "admin_holidays.html", **_holidays_context(ctx), form={})


@router.post("/admin/holidays", dependencies=[Depends(check_csrf)])
async def load_holidays(request: Request, ctx: PageContext, source: Annotated[str, Form(max_length=200)] = "",
                        text: Annotated[str, Form(max_length=MAX_UPLOAD)] = "",
                        file: UploadFile | None = None) -> Response:
    error = ""  # a user without the right gets 403 from the action (logged) or from re-rendering
    if file is not None and file.filename:
        raw = await file.read(MAX_UPLOAD * 4 + 1)
        try:
            uploaded = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            uploaded, error = "", "上传的文件不是 UTF-8 编码的文本"
        if len(uploaded) > MAX_UPLOAD:
            uploaded, error = "", f"文件过大（至多 {MAX_UPLOAD} 个字符）"
        text = uploaded or text
        source = source or file.filename
    form = {"source": source, "text": text}
    if not error:
        if not text.strip():
            error = "请粘贴或上传节假日安排通知（YAML）"
        else:
            try:
                out = do.load_holidays(ctx, In.HolidayNoticeIn(source=source or "管理员粘贴", text=text))
            except (ValidationError, LedgerError) as exc:
                error = _error_text(exc)[1]
            else:
                return back("/admin/holidays", _loaded_message(out))
    return render(request, "admin_holidays.html", status=422, **_holidays_context(ctx), form=form, error=error)
