"""Fixtures for the service: an app on a fresh database (each engine), one user per role, API clients
with bearer tokens, a live server in a thread, and a Playwright page in Debian's chromium.

Passwords here are made up per test run; nothing secret is in the repository.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from app.security import create_user
from ledger.db import transaction
from ledger.services import sync_reference_data
from tests.conftest import LedgerDB

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"

# username: (role, jurisdiction) — two districts' staff so that "other jurisdiction" can be tested
USERS: dict[str, tuple[str, str | None]] = {
    "nanhu-econ": ("district_econ", "330402"),
    "nanhu-clerk": ("district_econ", "330402"),  # files claims: not the one who reviews them (经办与复核分离)
    "nanhu-fin": ("district_finance", "330402"),
    "nanhu-fin2": ("district_finance", "330402"),  # confirms 南湖区's payments (制单/复核)
    "haining-econ": ("district_econ", "330481"),
    "haining-fin": ("district_finance", "330481"),
    "bureau": ("city_bureau", None),
    "city-fin": ("city_finance", None),
    "city-fin2": ("city_finance", None),  # confirms the city's payments (制单/复核)
    "auditor": ("auditor", None),
    "admin": ("admin", None),
}


@dataclass
class Service:
    """The app on one database, with its users."""

    db: LedgerDB
    app: FastAPI
    passwords: dict[str, str]
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def client(self) -> TestClient:
        return TestClient(self.app, raise_server_exceptions=False)

    def token(self, username: str) -> str:
        if username not in self._tokens:
            r = self.client.post("/api/v1/auth/token",
                                 json={"username": username, "password": self.passwords[username]})
            assert r.status_code == 200, r.text
            self._tokens[username] = r.json()["access_token"]
        return self._tokens[username]

    def api(self, username: str) -> TestClient:
        """A client that sends ``username``'s bearer token."""
        c = TestClient(self.app, raise_server_exceptions=False)
        c.headers["Authorization"] = f"Bearer {self.token(username)}"
        return c


def make_service(db: LedgerDB) -> Service:
    passwords = {name: f"pw-{name}-{secrets.token_hex(4)}" for name in USERS}
    with transaction(db.sessions) as session:
        sync_reference_data(session)
        for name, (role, jurisdiction) in USERS.items():
            create_user(session, username=name, password=passwords[name], role=role, jurisdiction=jurisdiction,
                        display_name=name)
    return Service(db, create_app(factory=db.sessions), passwords)


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 at its smallest cost for the test users: the same code path, a fraction of the time.
    (Production hashes with argon2-cffi's defaults; verification reads the cost from each hash.)"""
    from argon2 import PasswordHasher

    import app.security as security

    saved = security.HASHER
    security.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security.HASHER = saved


@pytest.fixture
def service(db: LedgerDB) -> Service:
    """The service on a fresh database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""
    return make_service(db)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    service: Service


@pytest.fixture
def live_server(service: Service) -> Iterator[LiveServer]:
    """The service served by uvicorn on a free local port, in a thread."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(service.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", service)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (no browser download)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"chromium not found at {CHROMIUM}")
        pytest.skip(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page_for(chromium: Any, live_server: LiveServer) -> Iterator[Any]:
    """``page_for(username)`` → a Playwright page already signed in as that user (its own context)."""
    contexts: list[Any] = []

    def open_as(username: str) -> Any:
        context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", live_server.service.passwords[username])
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_as
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot under test-artifacts/ (ignored by git) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
