"""Who may do what (权限矩阵): the permission matrix as data, and the one function that applies it.

Every write and every read of the service goes through :func:`authorize`. District and county staff
act only on their own jurisdiction's platforms and claims; a finance user pays only its own payer's
share; auditors read everything and change nothing. The matrix is also what the permission test walks.

An object named by its number or id (a claim, platform, objection, payment, recovery) that lies in
another jurisdiction is, to a district user, an object that does not exist: :func:`authorize_object`
answers exactly the 404 that a made-up number gets (:class:`OutOfScope`), so a refusal confirms no
guess and names no jurisdiction; the action log records the true reason. A role that may not take
the action at all is refused 403 *before* anything is looked up, whether the object exists or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ledger.errors import LedgerError, NotFound


def _city_payer() -> str:
    """The city's finance bureau (嘉兴市财政局), the payer whose level is ``city`` in the rule book's
    jurisdictions data (calculators/rulesets/jurisdictions.yaml)."""
    from calculators.rulesets.bundled import rulebook

    (code,) = [p.code for p in rulebook().payers.values() if p.level == "city"]
    return code


CITY_PAYER = _city_payer()

ROLE_TITLES: dict[str, str] = {
    "district_econ": "区县经信部门",
    "district_finance": "区县财政部门",
    "city_bureau": "市经信局",
    "city_finance": "市财政局",
    "auditor": "审计人员",
    "admin": "系统管理员",
}

DISTRICT_ROLES = frozenset({"district_econ", "district_finance"})
FINANCE_ROLES = frozenset({"district_finance", "city_finance"})

Scope = Literal["any", "jurisdiction", "payer"]
"""How an allowed role is further limited: ``jurisdiction`` — district roles only on their own
jurisdiction's platforms and claims; ``payer`` — only for the user's own payer."""


@dataclass(frozen=True)
class Rule:
    """One action of the service: its Chinese title, the roles that may take it, and its scope."""

    title: str
    roles: frozenset[str]
    scope: Scope = "jurisdiction"
    writes: bool = True


def _r(title: str, roles: str, scope: Scope = "jurisdiction", *, writes: bool = True) -> Rule:
    return Rule(title, frozenset(roles.split()), scope, writes)


EVERYONE = "district_econ district_finance city_bureau city_finance auditor admin"
READERS = "district_econ district_finance city_bureau city_finance auditor"

MATRIX: dict[str, Rule] = {
    # reading
    "platform.read": _r("查看平台", READERS, writes=False),
    "claim.read": _r("查看申请", READERS, writes=False),
    "notice.read": _r("查看公示", READERS, writes=False),
    "budget.read": _r("查看预算指标", READERS, writes=False),
    "calc.preview": _r("试算补助", READERS, writes=False),
    "rules.read": _r("查看规则", EVERYONE, "any", writes=False),
    "ledger.read": _r("查看总账与试算平衡", "city_bureau city_finance auditor", "any", writes=False),
    "ledger.verify": _r("校验账链", "city_bureau city_finance auditor admin", "any", writes=False),
    "actions.read": _r("查看操作日志", "auditor admin", "any", writes=False),
    "report.annex3": _r("下载附件3申请表", READERS, writes=False),
    "report.notice_list": _r("下载公示名单", "city_bureau city_finance auditor", "any", writes=False),
    "report.fund_issue": _r("下载资金下达表", "district_finance city_bureau city_finance auditor", "payer",
                            writes=False),
    "report.reconciliation": _r("下载累计上限对账表", "city_bureau city_finance auditor", "any", writes=False),
    "report.trial_balance": _r("下载试算平衡表", "city_bureau city_finance auditor", "any", writes=False),
    "report.evaluation": _r("下载年度评价评分表", READERS, writes=False),
    "forecast.read": _r("预算测算", "city_bureau city_finance", "any", writes=False),
    # the platform's record
    "platform.create": _r("登记平台", "district_econ city_bureau"),
    "platform.event": _r("登记平台事项（入库、认定、评价等）", "district_econ city_bureau"),
    # the procedure (细则 第四章（一）(2))
    "claim.file": _r("申报", "district_econ"),
    "claim.review.economic": _r("区级经信部门审核", "district_econ"),
    "claim.review.finance": _r("区级财政部门审核", "district_finance"),
    "claim.audit": _r("录入审计结果", "city_bureau", "any"),
    "claim.approve": _r("党组会审定", "city_bureau", "any"),
    "notice.publish": _r("发布公示", "city_bureau", "any"),
    "objection.file": _r("登记异议", "city_bureau", "any"),
    "objection.resolve": _r("处理异议", "city_bureau", "any"),
    "funds.issue": _r("下达资金", "city_bureau city_finance", "any"),
    "payment.pay": _r("拨付制单", "district_finance city_finance", "payer"),
    "payment.confirm": _r("拨付复核", "district_finance city_finance", "payer"),
    "payment.reverse": _r("冲销拨付", "district_finance city_finance", "payer"),
    "payment.withdraw": _r("作废制单", "district_finance city_finance", "payer"),
    "recovery.order": _r("追回", "city_bureau", "any"),
    "provincial.allocate": _r("录入省级下达文件", "city_finance", "any"),
    "provincial.transfer": _r("上级转移支付到账、转拨", "city_finance", "any"),
    "recovery.receive": _r("追回款入库", "district_finance city_finance", "payer"),
    "budget.appropriate": _r("录入预算指标", "district_finance city_finance", "payer"),
    # administration
    "user.manage": _r("管理用户", "admin", "any"),
    "holidays.load": _r("载入节假日安排", "admin", "any"),
}


@dataclass(frozen=True)
class Principal:
    """The signed-in person as the rules see them."""

    username: str
    role: str
    jurisdiction: str | None = None
    payer: str | None = None  # the finance authority a finance user pays for
    display_name: str = ""

    @property
    def role_title(self) -> str:
        return ROLE_TITLES.get(self.role, self.role)


class Forbidden(Exception):
    """The role or jurisdiction does not allow the action (HTTP 403). Nothing was changed."""

    status = 403

    def __init__(self, action: str, message: str) -> None:
        self.action = action
        self.rule = f"权限矩阵 {action}"
        self.message = message
        self.field = ""
        super().__init__(message)

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


def allowed(who: Principal, action: str, *, jurisdiction: str | None = None, payer: str | None = None) -> bool:
    try:
        authorize(who, action, jurisdiction=jurisdiction, payer=payer)
    except Forbidden:
        return False
    return True


def authorize(who: Principal, action: str, *, jurisdiction: str | None = None, payer: str | None = None) -> None:
    """Refuse with :class:`Forbidden` unless ``who`` may take ``action`` on an object of ``jurisdiction``
    (the platform's) or for ``payer``. Pass the object's jurisdiction/payer whenever there is one."""
    rule = MATRIX[action]
    if who.role not in rule.roles:
        raise Forbidden(action, f"{who.role_title}无权{rule.title}")
    if who.role in DISTRICT_ROLES and jurisdiction is not None and jurisdiction != who.jurisdiction:
        raise Forbidden(action, f"{who.role_title}只能办理本辖区（{who.jurisdiction}）的平台和申请")
    if rule.scope == "payer" and who.role in FINANCE_ROLES and payer is not None and payer != who.payer:
        raise Forbidden(action, f"只能办理本级财政（{who.payer}）的份额，不能代 {payer} 办理")


class OutOfScope(NotFound):
    """Another jurisdiction's object, answered as if it did not exist (404, the not-found error's very
    field, rule and message); :attr:`reason` is the true refusal, for the action log only."""

    def __init__(self, not_found: LedgerError, reason: Forbidden) -> None:
        super().__init__(not_found.rule, not_found.message, field=not_found.field, **not_found.details)
        self.reason = reason


def authorize_object(who: Principal, action: str, *, jurisdiction: str, not_found: LedgerError,
                     payer: str | None = None) -> None:
    """:func:`authorize` for an object found by its number or id: outside a district user's jurisdiction
    it raises :class:`OutOfScope` made from ``not_found`` (what a missing object raises). Call
    ``authorize(who, action)`` — the role alone — before looking the object up."""
    try:
        authorize(who, action, jurisdiction=jurisdiction, payer=payer)
    except Forbidden as exc:
        if who.role in DISTRICT_ROLES and jurisdiction != who.jurisdiction:
            raise OutOfScope(not_found, exc) from None
        raise


def logged_refusal(exc: Forbidden | LedgerError) -> tuple[str, dict[str, Any]]:
    """How the action log records a refusal: the outcome (``forbidden`` for the permission matrix,
    hidden or not; ``refused`` for the ledger's rules) and the true error."""
    if isinstance(exc, OutOfScope):
        return "forbidden", {**exc.reason.to_dict(), "answered": exc.to_dict()}
    return ("forbidden" if isinstance(exc, Forbidden) else "refused"), exc.to_dict()


def jurisdiction_filter(who: Principal) -> str | None:
    """The jurisdiction a list must be limited to for this user, or None for city-level users."""
    return who.jurisdiction if who.role in DISTRICT_ROLES else None
