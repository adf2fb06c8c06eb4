"""Demo users (演示用户): one per role, and district users for two jurisdictions (a second finance user of
南湖区 and of the city to confirm payments, 制单/复核), with passwords drawn at
random on first start and written to ``var/demo-users.txt`` (ignored by git) — no password lives in the
repository. Loaded by ``subsidy demo`` together with the demo dataset."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.permissions import ROLE_TITLES
from app.security import create_user
from ledger.db import ROOT, transaction
from ledger.models import User

CREDENTIALS = ROOT / "var" / "demo-users.txt"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    jurisdiction: str | None
    display_name: str


DEMO_USERS = (
    DemoUser("nanhu-jx", "district_econ", "330402", "南湖区经信局 王办事员"),
    DemoUser("nanhu-cz", "district_finance", "330402", "南湖区财政局 李会计"),
    DemoUser("nanhu-cz2", "district_finance", "330402", "南湖区财政局 陈复核"),
    DemoUser("haining-jx", "district_econ", "330481", "海宁市经信局 赵办事员"),
    DemoUser("haining-cz", "district_finance", "330481", "海宁市财政局 钱会计"),
    DemoUser("city-jxj", "city_bureau", None, "市经信局 孙科长"),
    DemoUser("city-czj", "city_finance", None, "市财政局 周科长"),
    DemoUser("city-czj2", "city_finance", None, "市财政局 郑复核"),
    DemoUser("auditor", "auditor", None, "市审计局 吴审计师"),
    DemoUser("admin", "admin", None, "系统管理员"),
)


def ensure_demo_users(factory: sessionmaker[Session], path: Path = CREDENTIALS) -> dict[str, str]:
    """Create the demo users that do not exist yet; returns username → password for those whose
    password is known (created now, or recorded in ``path`` by an earlier start)."""
    known: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            name, _, password = line.partition(" ")
            if name and password and not name.startswith("#"):
                known[name] = password.strip()
    with transaction(factory) as session:
        existing = set(session.execute(select(User.username)).scalars())
        for u in DEMO_USERS:
            if u.username in existing:
                continue
            password = secrets.token_urlsafe(9)
            create_user(session, username=u.username, password=password, role=u.role, jurisdiction=u.jurisdiction,
                        display_name=u.display_name)
            known[u.username] = password
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# 演示用户 username password — generated on first start; not in the repository"]
    lines += [f"{u.username} {known[u.username]}" for u in DEMO_USERS if u.username in known]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {u.username: known[u.username] for u in DEMO_USERS if u.username in known}


def describe(passwords: dict[str, str]) -> str:
    rows = []
    for u in DEMO_USERS:
        where = f"（{u.jurisdiction}）" if u.jurisdiction else ""
        rows.append(f"  {u.username:<12} {passwords.get(u.username, '（见 ' + str(CREDENTIALS) + '）'):<14} "
                    f"{ROLE_TITLES[u.role]}{where}")
    return "\n".join(rows)
