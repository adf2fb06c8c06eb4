"""The web pages in Simplified Chinese (server-rendered with Jinja2; no front-end build step).

One module per kind of user — ``district`` (区县经信/财政), ``bureau`` (市经信局), ``finance`` (财政拨付),
``auditor`` (审计), ``admin`` (管理) — plus ``common`` (sign-in, layout, money formatting) and ``home``.
Every page calls :mod:`app.actions`, so the permission matrix and the action log apply as in the API;
every form post carries the session's CSRF token.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.pages import admin, auditor, bureau, clerk, common, district, finance, forecast, home


def install(app: FastAPI) -> None:
    """Mount the page routes, static files and the HTML error renderer."""
    app.state.render_error = common.render_error
    app.mount("/static", StaticFiles(directory=str(common.HERE / "static")), name="static")
    for module in (common, home, district, clerk, bureau, finance, auditor, admin, forecast):
        app.include_router(module.router)
