"""What every page shares: the Jinja2 environment, Chinese money formatting, the navigation by role,
the HTML error page, and sign-in/sign-out.

Amounts arrive from :mod:`app.actions` as integer fen; the filters show them through
:mod:`calculators.formats` as ``1,234,567.89 元`` and ``123.4568 万元`` (a fixed 4 decimals, or 2 under the
reading ``display.wan_decimals``; ``wan_exact`` adds the exact 元 where rounding changed the figure and no
元 stands beside it), ``壹佰元零伍分`` (大写金额) and dates as ``2026年12月3日`` (form inputs stay ISO).
Codes become names through :mod:`calculators.labels` (``program``, ``rule_set``, ``scheme``, ``state``,
``jurisdiction``, ``step``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from app.deps import COOKIE, factory
from app.permissions import MATRIX, ROLE_TITLES, Principal, allowed
from app.security import NotAuthenticated, login, session_lifetime, sign_out
from calculators import labels
from calculators.formats import NONE_SHOWN, date_cn, daxie, moment_cn, wan_text, yuan_grouped
from calculators.formats import yuan as plain_yuan
from calculators.money import parse_yuan
from ledger.messages import label

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

STATE_TITLES = labels.STATE_TITLES  # the one label table (calculators.labels)
LEVEL_TITLES = labels.LEVEL_TITLES


def _fen(value: int | str | None) -> int | None:
    """An amount as a page holds it: integer fen, or a yuan string typed into a form; ``None`` or ``""``
    for no amount."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return parse_yuan(value, field="amount", allow_negative=True)
    return value


def yuan(value: int | str | None) -> str:
    """``123456789`` → ``"1,234,567.89 元"``; no amount → ``"—"``."""
    fen = _fen(value)
    return NONE_SHOWN if fen is None else f"{yuan_grouped(fen)} 元"


def wan(value: int | str | None) -> str:
    """``123456789`` → ``"123.4568 万元"``: a fixed 4 decimals (the reading ``display.wan_decimals``), rounded
    half up — for places where the exact 元 already stands beside it."""
    fen = _fen(value)
    return NONE_SHOWN if fen is None else wan_text(fen, labels.wan_decimals(), exact_beside=False)


def wan_exact(value: int | str | None) -> str:
    """:func:`wan`, with the exact 元 beside it where rounding changed the figure: ``123.4568 万元（1,234,567.89 元）``."""
    fen = _fen(value)
    return NONE_SHOWN if fen is None else wan_text(fen, labels.wan_decimals())


def capital(value: int | str | None) -> str:
    """``10005`` → ``"壹佰元零伍分"``: the amount in capitals (大写金额); no amount → ``"—"``."""
    fen = _fen(value)
    return NONE_SHOWN if fen is None else daxie(fen)


def cn_date(value: date | datetime | str | None) -> str:
    """``2026-12-03`` (a date, or its ISO text) → ``"2026年12月3日"``; none → ``"—"``; other text as it is."""
    if value is None or value == "":
        return NONE_SHOWN
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            return date_cn(date.fromisoformat(value[:10]))
        except ValueError:
            return value
    return date_cn(value)


ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")


def cn_dates(text: str | None) -> str:
    """The ISO dates inside a text the calculators wrote (a trace note, a value) as pages write dates:
    ``入围省级中试平台（2026-02-10）`` → ``入围省级中试平台（2026年2月10日）``; the API keeps the text as it is."""
    return ISO_DATE.sub(lambda m: f"{int(m[1])}年{int(m[2])}月{int(m[3])}日", text or "")


def trace_values(values: dict[str, str], rule_set: str = "") -> list[tuple[str, str]]:
    """A trace step's values as a user reads them: names for keys and for code values (scheme, rule set),
    dates in Chinese."""
    return [(k, cn_dates(v)) for k, v in (labels.value_text(k, str(v), rule_set) for k, v in values.items())]


def percent(part: int | str | None, whole: int | str | None) -> int:
    """``part`` as a whole percentage of ``whole``, between 0 and 100 (0 when there is no whole)."""
    p, w = _fen(part), _fen(whole)
    if p is None or not w:
        return 0
    return max(0, min(100, p * 100 // w))


templates.env.filters["yuan"] = yuan
templates.env.filters["wan"] = wan
templates.env.filters["wan_exact"] = wan_exact
templates.env.filters["daxie"] = capital
templates.env.filters["cn_date"] = cn_date
templates.env.filters["cn_dates"] = cn_dates
templates.env.filters["program"] = lambda code, rule_set="": labels.program_title(code or "", str(rule_set or ""))
templates.env.filters["rule_set"] = lambda code: labels.rule_set_title(code or "")
templates.env.filters["scheme"] = lambda code, rule_set="": labels.scheme_title(code or "", str(rule_set or ""))
templates.env.filters["jurisdiction"] = lambda code: labels.jurisdiction_name(code or "")
templates.env.filters["payer"] = lambda code: labels.payer_name(code or "")
templates.env.filters["step"] = labels.step_title
templates.env.globals["trace_values"] = trace_values
templates.env.filters["moment"] = moment_cn
templates.env.filters["yuan_plain"] = plain_yuan  # a form field's value: "292500.00"
templates.env.filters["state"] = labels.state_title
templates.env.filters["level"] = labels.level_title
templates.env.globals["percent"] = percent
templates.env.globals["ROLE_TITLES"] = ROLE_TITLES

NAV: tuple[tuple[str, str, str], ...] = (
    # (action the user must be allowed, link, title) — the menu shows what the role may use
    ("platform.read", "/platforms", "平台"),
    ("claim.file", "/claims/new", "新申报"),
    ("claim.read", "/claims", "申请"),
    ("claim.audit", "/bureau/queue", "审核队列"),
    ("notice.publish", "/bureau/notices", "公示"),
    ("payment.pay", "/finance/queue", "拨付"),
    ("funds.issue", "/finance/issue", "资金下达"),
    ("report.reconciliation", "/bureau/funds", "资金进度"),
    ("forecast.read", "/bureau/forecast", "预算测算"),
    ("report.reconciliation", "/audit/reconciliation", "上限对账"),
    ("ledger.read", "/audit/journal", "总账凭证"),
    ("actions.read", "/audit/actions", "操作日志"),
    ("user.manage", "/admin/users", "用户管理"),
    ("holidays.load", "/admin/holidays", "节假日安排"),
)


def nav_for(who: Principal) -> list[tuple[str, str]]:
    return [(href, title) for action, href, title in NAV if action in MATRIX and allowed(who, action)]


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page; ``who``, ``csrf`` and the navigation come from the request's session."""
    who: Principal | None = getattr(request.state, "who", None)
    return templates.TemplateResponse(
        request, name, {"who": who, "csrf": getattr(request.state, "csrf", ""),
                        "nav": nav_for(who) if who else [], **context}, status_code=status)


def render_error(request: Request, status: int, error: dict[str, Any]) -> Response:
    if error.get("field") and not error.get("label"):
        error = {**error, "label": label(str(error["field"]))}
    return render(request, "error.html", status=status, error=error)


router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=next if next.startswith("/") else "/")


@router.post("/login")
def login_submit(request: Request, username: Annotated[str, Form(max_length=64)],
                 password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form(max_length=300)] = "/"
                 ) -> Response:
    try:
        s = login(factory(request), username, password, kind="web")
    except NotAuthenticated as exc:
        return render(request, "login.html", status=401, error=exc.message, next=next, username=username)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, s.secret, max_age=int(session_lifetime().total_seconds()), httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    secret = request.cookies.get(COOKIE)
    if secret:
        with factory(request)() as session, session.begin():
            sign_out(session, secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def back(path: str, message: str = "") -> RedirectResponse:
    """Redirect after a successful form post (post/redirect/get), with a flash message in the query."""
    sep = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{sep}ok={quote(message)}" if message else path, status_code=303)
