"""What every page shares: the Jinja2 environment, Chinese money formatting, the navigation by role,
the HTML error page, and sign-in/sign-out.

Amounts arrive from :mod:`app.actions` as integer fen; the filters show them through
:mod:`calculators.formats` as ``1,234,567.89 元`` and ``123.456789 万元`` (exact, never through a float).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from app.deps import COOKIE, factory
from app.permissions import MATRIX, ROLE_TITLES, Principal, allowed
from app.security import SESSION_LIFETIME, NotAuthenticated, login, sign_out
from calculators.formats import NONE_SHOWN, moment_text, wan_grouped, yuan_grouped
from calculators.formats import yuan as plain_yuan
from calculators.money import parse_yuan
from ledger.messages import STATE_TITLES, label

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

LEVEL_TITLES = {"national": "国家级", "provincial": "省级", "municipal": "市级"}


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
    """``123456789`` → ``"123.456789 万元"``: exact, as many decimals as needed (at most six), at least two."""
    fen = _fen(value)
    return NONE_SHOWN if fen is None else f"{wan_grouped(fen)} 万元"


def percent(part: int | str | None, whole: int | str | None) -> int:
    """``part`` as a whole percentage of ``whole``, between 0 and 100 (0 when there is no whole)."""
    p, w = _fen(part), _fen(whole)
    if p is None or not w:
        return 0
    return max(0, min(100, p * 100 // w))


templates.env.filters["yuan"] = yuan
templates.env.filters["wan"] = wan
templates.env.filters["moment"] = moment_text
templates.env.filters["yuan_plain"] = plain_yuan  # a form field's value: "292500.00"
templates.env.filters["state"] = lambda s: STATE_TITLES.get(s, s)
templates.env.filters["level"] = lambda s: LEVEL_TITLES.get(s or "", s or "—")
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
    response.set_cookie(COOKIE, s.secret, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
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
