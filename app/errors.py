"""One error shape for the whole service: ``{"error": {"field", "rule", "message"}}`` with a 4xx status.

A refusal from the ledger (procedure, cap, budget, duplicate, bad input), the permission matrix or
sign-in becomes its own status; a body or query that does not fit the schema becomes 422 naming the
field. Pages get the same message rendered in Chinese, or a redirect to the sign-in page. No input
produces a 500: an unexpected exception is logged and answered 500 with no detail — and is a bug.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.deps import CsrfFailed
from app.permissions import Forbidden
from app.security import NotAuthenticated
from calculators.errors import CalculatorError, InputErrors, schema_text
from ledger.errors import LedgerError
from ledger.messages import issues_text, label

log = logging.getLogger("subsidy")

PageRenderer = Callable[[Request, int, dict[str, Any]], Response]


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _respond(request: Request, status: int, error: dict[str, Any]) -> Response:
    renderer: PageRenderer | None = getattr(request.app.state, "render_error", None)
    if not _is_api(request) and renderer is not None:
        return renderer(request, status, error)
    return JSONResponse({"error": error}, status_code=status)


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def _message(error: Any) -> str:
    """A schema error's message in Chinese, with the value received (``须为不小于0的金额，最多两位小数（元），
    如 1000000.00，收到 -5``; ``须在 2000-01-01 至 2100-12-31 之间…``)."""
    return schema_text(dict(error))


def _issues(errors: Any) -> list[dict[str, Any]]:
    """Each schema error: the field's machine name, its Chinese name, the message and pydantic's type."""
    return [{"field": _loc(tuple(e.get("loc", ()))), "label": label(tuple(e.get("loc", ()))), "message": _message(e),
             "type": e.get("type", "")} for e in errors]


def _schema_error(issues: list[dict[str, Any]], rule: str) -> dict[str, Any]:
    """The refusal of a body or query that does not fit its schema: ``field`` the first field's machine name,
    ``message`` every field named in Chinese with what is wrong (``审定金额：须为…，收到 -5``)."""
    if not issues:
        return {"field": "body", "rule": rule, "message": "请求内容不符合格式；请按接口文档填写", "issues": []}
    text = "；".join(f"{i['label']}：{i['message']}" for i in issues)
    return {"field": issues[0]["field"], "rule": rule, "message": text, "issues": issues}


HTTP_MESSAGES = {
    400: "请求有误；请检查后重试", 401: "尚未登录或登录已失效；请重新登录", 403: "无权办理",
    404: "找不到该地址或对象；请核对链接", 405: "该地址不支持这种请求方式", 406: "无法按要求的格式答复",
    413: "上传的内容过大", 415: "不支持的内容类型", 429: "请求过于频繁；请稍后再试",
}
"""Starlette's own refusals (an unknown path, a wrong method) in Chinese, by status."""


INVALID_REQUEST = "api.invalid-request"


def _log_refused_request(request: Request, error: dict[str, Any]) -> None:
    """A write refused by the schema (before any use case ran) goes into the action log too, under the
    signed-in user's name; without a valid token there is no one to name, and nothing is logged."""
    from datetime import UTC, datetime

    from app.security import resolve
    from ledger.models import ActionRecord

    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return
    factory = request.app.state.factory

    def clean(value: Any) -> Any:  # PostgreSQL stores no NUL character, even inside JSON
        if isinstance(value, str):
            return value.replace("\x00", "\\u0000")
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    try:
        with factory() as session, session.begin():
            who = resolve(session, secret.strip(), kind="api").principal
            session.add(ActionRecord(at=datetime.now(UTC), username=who.username, role=who.role,
                                     action=INVALID_REQUEST, target=clean(f"POST {request.url.path}")[:120],
                                     outcome="refused", detail=clean({"error": error})))
    except NotAuthenticated:
        return


def install(app: FastAPI) -> None:
    @app.exception_handler(LedgerError)
    async def ledger_error(request: Request, exc: LedgerError) -> Response:
        return _respond(request, exc.status, exc.to_dict())

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _respond(request, 403, exc.to_dict())

    @app.exception_handler(CsrfFailed)
    async def csrf(request: Request, exc: CsrfFailed) -> Response:
        return _respond(request, 403, {"field": "csrf", "rule": "CSRF 防护", "message": "表单已失效，请刷新页面后重试"})

    @app.exception_handler(NotAuthenticated)
    async def unauthenticated(request: Request, exc: NotAuthenticated) -> Response:
        if not _is_api(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return JSONResponse({"error": exc.to_dict()}, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        error = _schema_error(_issues(exc.errors()), "请求格式（OpenAPI 模式）")
        if _is_api(request) and request.method == "POST":
            await run_in_threadpool(_log_refused_request, request, error)
        return _respond(request, 422, error)

    @app.exception_handler(ValidationError)
    async def invalid_model(request: Request, exc: ValidationError) -> Response:
        return _respond(request, 422, _schema_error(_issues(exc.errors()), "输入格式"))

    @app.exception_handler(InputErrors)
    async def calc_input(request: Request, exc: InputErrors) -> Response:
        first = exc.issues[0]
        return _respond(request, 422, {"field": first.field, "rule": first.rule,
                                       "message": issues_text(exc.issues)})

    @app.exception_handler(CalculatorError)
    async def calc_error(request: Request, exc: CalculatorError) -> Response:
        return _respond(request, 422, {"field": "", "rule": "规则集", "message": str(exc)})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail)
        if not any("\u4e00" <= ch <= "\u9fff" for ch in detail):
            detail = HTTP_MESSAGES.get(exc.status_code, f"请求未能办理（HTTP {exc.status_code}）")
        return _respond(request, exc.status_code, {"field": "", "rule": "HTTP", "message": detail})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": {"field": "", "rule": "internal", "message": "内部错误，已记录"}},
                            status_code=500)
