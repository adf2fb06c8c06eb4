"""Sign-in (登录): Argon2 password hashes, sessions and bearer tokens, lockout after repeated failures.

Secrets never touch the repository or the database in clear: a session's or token's secret is random
(``secrets.token_urlsafe``), handed to the browser or client once, and stored only as its SHA-256.
Password hashing is argon2-cffi's ``PasswordHasher`` (the maintained reference binding of Argon2id).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, bindparam, literal_column, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.claim_read import json_object
from app.permissions import CITY_PAYER, DISTRICT_ROLES, ROLE_TITLES, Principal
from ledger.errors import Invalid
from ledger.models import ActionRecord, Jurisdiction, User, UserSession
from ledger.settings import current

HASHER = PasswordHasher()


def max_failures() -> int:
    """Wrong passwords in a row before the account is locked (``SUBSIDY_LOCKOUT_FAILURES``)."""
    return current().lockout_failures


def lockout() -> timedelta:
    """How long a locked account stays locked (``SUBSIDY_LOCKOUT_MINUTES``)."""
    return timedelta(minutes=current().lockout_minutes)


def session_lifetime() -> timedelta:
    """How long a sign-in lasts (``SUBSIDY_SESSION_HOURS``)."""
    return timedelta(hours=current().session_hours)

MIN_PASSWORD = 10


class NotAuthenticated(Exception):
    """No valid session or token (HTTP 401)."""

    status = 401

    def __init__(self, message: str = "请先登录") -> None:
        self.message = message
        self.rule = "登录"
        self.field = ""
        super().__init__(message)

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


def now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive datetimes


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid("密码长度", f"密码至少 {MIN_PASSWORD} 个字符，收到 {len(password)} 个字符；请设置更长的密码", field="password")
    return HASHER.hash(password)


def create_user(session: Session, *, username: str, password: str, role: str, jurisdiction: str | None = None,
                display_name: str = "") -> User:
    """Add a user (新增用户). District roles need a jurisdiction; other roles must not have one."""
    if role not in ROLE_TITLES:
        raise Invalid("角色", f"角色 {role!r} 不存在；可选：{'、'.join(f'{k}（{v}）' for k, v in ROLE_TITLES.items())}", field="role")
    if (role in DISTRICT_ROLES) != (jurisdiction is not None):
        raise Invalid("角色与辖区", "区县角色须填写所属区县，市级角色不填所属区县；请按角色填写或清空所属区县",
                      field="jurisdiction")
    if jurisdiction is not None and session.get(Jurisdiction, jurisdiction) is None:
        raise Invalid("细则 第五章：嘉兴市各区县", f"所属区县代码 {jurisdiction!r} 不存在；请从所属区县列表中选择",
                      field="jurisdiction")
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Invalid("用户名唯一", f"用户名 {username!r} 已被使用；请换一个用户名", field="username")
    user = User(username=username, password_hash=hash_password(password), role=role,
                jurisdiction_code=jurisdiction, display_name=display_name or username)
    session.add(user)
    session.flush()
    return user


def principal_of(session: Session, user: User) -> Principal:
    found = session.get(Jurisdiction, user.jurisdiction_code) if user.role == "district_finance" and \
        user.jurisdiction_code else None
    return _principal(user.username, user.role, user.jurisdiction_code, user.display_name,
                      found.payer_code if found else None)


def _principal(username: str, role: str, jurisdiction: str | None, display_name: str,
               jurisdiction_payer: str | None) -> Principal:
    """The principal of a user; ``jurisdiction_payer`` is the payer of the user's jurisdiction (a district
    finance user pays for it; city finance pays for the city)."""
    payer = CITY_PAYER if role == "city_finance" else (
        jurisdiction_payer if role == "district_finance" and jurisdiction else None)
    return Principal(username=username, role=role, jurisdiction=jurisdiction, payer=payer,
                     display_name=display_name)


@dataclass(frozen=True)
class SignIn:
    principal: Principal
    secret: str
    csrf_token: str
    expires_at: datetime


REFUSED = "用户名或密码错误"
"""The one answer to every refused sign-in — unknown name, wrong password, inactive or locked account —
so that the answer does not tell which (the action log keeps the true reason for auditors)."""

_dummy: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash of a random password made with the current :data:`HASHER` (its own cost), verified
    against for an unknown name or a locked account so that each refusal costs one full verification."""
    key = id(HASHER)
    if key not in _dummy:
        _dummy[key] = HASHER.hash(secrets.token_urlsafe(16))
    return _dummy[key]


def _verifies(stored: str, password: str) -> bool:
    try:
        return bool(HASHER.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


class SignInRefused(NotAuthenticated):
    """A refused sign-in: the user is told :data:`REFUSED`; ``reason`` (``unknown``, ``inactive``,
    ``wrong-password``, ``locked``, ``now-locked``) and ``locked_until`` go to the action log only."""

    def __init__(self, reason: str, locked_until: datetime | None = None) -> None:
        super().__init__(REFUSED)
        self.reason = reason
        self.locked_until = locked_until

    def log_detail(self) -> dict[str, str]:
        detail = {"message": self.message, "reason": self.reason}
        if self.locked_until is not None:
            detail["locked_until"] = self.locked_until.isoformat()
        return detail


def sign_in(session: Session, username: str, password: str, *, kind: str = "web") -> SignIn:
    """Check the password; on success open a session (``web``) or issue a bearer token (``api``).

    After :func:`max_failures` wrong passwords in a row the account is locked for :func:`lockout`; a locked
    account is refused even with the right password. Every refusal is the same :class:`SignInRefused`
    after the same work (one Argon2 verification: against a dummy hash for an unknown name or a locked
    account), so neither the message nor the time tells a wrong password from an unknown or locked
    account."""
    user = session.execute(select(User).where(User.username == username).with_for_update()).scalar_one_or_none()
    moment = now()
    if user is None or not user.active:
        _verifies(_dummy_hash(), password)
        raise SignInRefused("unknown" if user is None else "inactive")
    if user.locked_until is not None and _aware(user.locked_until) > moment:
        _verifies(_dummy_hash(), password)
        raise SignInRefused("locked", _aware(user.locked_until))
    if not _verifies(user.password_hash, password):
        failures = user.failed_logins + 1
        locked = moment + lockout() if failures >= max_failures() else None
        session.execute(update(User).where(User.id == user.id)
                        .values(failed_logins=0 if locked else failures, locked_until=locked))
        raise SignInRefused("now-locked" if locked else "wrong-password", locked)
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if HASHER.check_needs_rehash(user.password_hash):
        values["password_hash"] = HASHER.hash(password)
    session.execute(update(User).where(User.id == user.id).values(**values))
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24) if kind == "web" else ""
    expires = moment + session_lifetime()
    session.add(UserSession(token_hash=digest(secret), user_id=user.id, kind=kind, csrf_token=csrf,
                            created_at=moment, expires_at=expires))
    session.flush()
    return SignIn(principal_of(session, user), secret, csrf, expires)


def csrf_matches(sent: object, expected: str) -> bool:
    """The form's CSRF token against the session's, in constant time (no early exit at the first
    differing character, so timing reveals nothing of the token)."""
    return isinstance(sent, str) and bool(expected) and hmac.compare_digest(sent.encode("utf-8"),
                                                                            expected.encode("utf-8"))


@dataclass(frozen=True)
class Resolved:
    principal: Principal
    csrf_token: str
    session_id: int


_RESOLVED = (UserSession.id, UserSession.revoked, UserSession.expires_at, UserSession.csrf_token, User.username,
             User.role, User.jurisdiction_code, User.display_name, User.active,
             Jurisdiction.payer_code.label("jurisdiction_payer"))
"""What a session or token is checked by: the session, its user and the user's jurisdiction's payer."""


def _lookup(*columns: Any) -> Select[Any]:
    return (select(*columns)
            .join_from(UserSession, User, User.id == UserSession.user_id)
            .join(Jurisdiction, Jurisdiction.code == User.jurisdiction_code, isouter=True)
            .where(UserSession.token_hash == bindparam("token_hash"), UserSession.kind == bindparam("token_kind")))


_RESOLVE = _lookup(*_RESOLVED)
"""A session or token with its user and the user's jurisdiction's payer: one indexed lookup (the unique
``token_hash``), plain columns (no ORM objects), built once. Asked on every request, so that a sign-out
or a deactivated user takes effect at once in every worker process."""

_TOKEN_PAIRS: list[Any] = []
for _column in _RESOLVED:
    _TOKEN_PAIRS += [literal_column(f"'{_column.key}'"), _column]  # keys: the column names above
TOKEN_CHECK = _lookup(json_object(*_TOKEN_PAIRS)).correlate(None).scalar_subquery()
"""The same lookup as one JSON object, for a read to carry as a column of its own statement (one round
trip instead of two; never correlated with that statement's tables — the platform page reads
``jurisdictions`` too): bind ``token_hash`` and ``token_kind`` (:meth:`Token.params`) and pass the
column's value to :func:`checked`. NULL when there is no such session or token."""


@dataclass(frozen=True)
class Token:
    """A bearer token or session cookie still to be checked: its SHA-256 and kind (``api`` or ``web``)."""

    digest: str
    kind: str

    @classmethod
    def of(cls, secret: str, *, kind: str) -> Token:
        return cls(digest(secret), kind)

    def params(self) -> dict[str, str]:
        return {"token_hash": self.digest, "token_kind": self.kind}


def checked(found: Mapping[Any, Any] | str | None) -> Resolved:
    """The principal of a looked-up session or token (a row of :data:`_RESOLVE`'s columns, or the JSON
    object of :data:`TOKEN_CHECK`), or :class:`NotAuthenticated`: unknown, revoked, expired, or its user
    inactive. The one place these rules are applied, whichever way the row was read."""
    row: Mapping[Any, Any] | None = json.loads(found) if isinstance(found, str) else found  # SQLite: JSON text
    if row is None:
        raise NotAuthenticated()
    expires = row["expires_at"]
    if isinstance(expires, str):  # from JSON: ISO text (SQLite stores it without a zone: UTC)
        expires = datetime.fromisoformat(expires)
    if row["revoked"] or _aware(expires) <= now() or not row["active"]:
        raise NotAuthenticated("登录已过期，请重新登录")
    who = _principal(row["username"], row["role"], row["jurisdiction_code"], row["display_name"],
                     row["jurisdiction_payer"])
    return Resolved(who, row["csrf_token"], int(row["id"]))


def resolve(session: Session, secret: str, *, kind: str) -> Resolved:
    """The principal behind a cookie or bearer token, or :class:`NotAuthenticated`."""
    return resolve_token(session, Token.of(secret, kind=kind))


def resolve_token(session: Session, token: Token) -> Resolved:
    """:func:`resolve` for a token already digested: one statement."""
    row = session.execute(_RESOLVE, token.params()).first()
    return checked(row._mapping if row is not None else None)


def sign_out(session: Session, secret: str) -> None:
    session.execute(update(UserSession).where(UserSession.token_hash == digest(secret)).values(revoked=True))


def login(factory: sessionmaker[Session], username: str, password: str, *, kind: str = "web") -> SignIn:
    """:func:`sign_in` in its own transaction, committed on failure too so that failures count."""
    with factory() as session:
        try:
            result = sign_in(session, username, password, kind=kind)
        except SignInRefused as exc:
            # keep the failure count sign_in wrote, and log the refusal, with its true reason, for auditors
            session.add(ActionRecord(at=now(), username=username[:64], role="", action="auth.login", target=kind,
                                     outcome="refused", detail=exc.log_detail()))
            session.commit()
            raise
        session.add(ActionRecord(at=now(), username=result.principal.username, role=result.principal.role,
                                 action="auth.login", target=kind, outcome="done", detail={}))
        session.commit()
        return result
