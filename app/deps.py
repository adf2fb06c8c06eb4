"""FastAPI dependencies: the database of this app instance, and who is asking.

The API takes a bearer token (``Authorization: Bearer …``, from ``POST /api/v1/auth/token``); the pages
take the session cookie and, on every form post, the session's CSRF token (hidden field ``csrf``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.actions import Context, Page
from app.security import NotAuthenticated, Resolved, Token, csrf_matches, resolve

COOKIE = "subsidy_session"
bearer = HTTPBearer(auto_error=False, description="令牌：POST /api/v1/auth/token 取得")


def factory(request: Request) -> sessionmaker[Session]:
    return request.app.state.factory  # type: ignore[no-any-return]


async def api_context(request: Request,
                      credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Context:
    """The caller of an API route. For a read the token is looked up when the route first reads, in the
    same session as its data (one session per read, and no database work on the event loop; the most read
    routes check it in their own statement, :meth:`app.actions.Context.carries`); for a write, here.
    An unknown, expired or revoked token is refused before anything is read or changed."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("需要令牌（Authorization: Bearer …）")
    ctx = Context(factory(request), token=Token.of(credentials.credentials, kind="api"))
    if request.method != "GET":  # a write: refuse an unknown token before its body is even looked at
        await run_in_threadpool(lambda: ctx.who)
    return ctx


def page_session(request: Request) -> Resolved:
    secret = request.cookies.get(COOKIE)
    if not secret:
        raise NotAuthenticated()
    with factory(request)() as session:
        return resolve(session, secret, kind="web")


def page_context(request: Request, found: Annotated[Resolved, Depends(page_session)]) -> Context:
    request.state.csrf = found.csrf_token
    request.state.who = found.principal
    return Context(factory(request), found.principal)


class CsrfFailed(Exception):
    """A form post without the session's CSRF token (HTTP 403)."""


async def check_csrf(request: Request, found: Annotated[Resolved, Depends(page_session)]) -> None:
    form = await request.form()
    sent = form.get("csrf") or request.headers.get("X-CSRF-Token")
    if not csrf_matches(sent, found.csrf_token):
        raise CsrfFailed()


async def page(page: Annotated[int, Query(ge=1, le=1_000_000, description="页码")] = 1,
               page_size: Annotated[int, Query(ge=1, le=200, description="每页条数")] = 50) -> Page:
    """``async``: no I/O, so no trip to the thread pool (FastAPI runs a plain ``def`` dependency there)."""
    return Page(page, page_size)


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128,
                                              description="幂等键：同键同请求只办理一次")]
ApiContext = Annotated[Context, Depends(api_context)]
PageContext = Annotated[Context, Depends(page_context)]
Paging = Annotated[Page, Depends(page)]
