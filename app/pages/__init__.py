"""The web pages in Simplified Chinese (server-rendered, no front-end build)."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Mount the page routes, static files and the HTML error renderer."""
