"""The scenario format: one platform (中试平台) and its dated history, as JSON or YAML.

Documented in ``docs/scenarios.md``. Amounts are decimal yuan strings (``"1234.56"``); a float
anywhere an amount is expected is refused with the field named. Parsing returns a frozen
:class:`Scenario` whose amounts are integer fen.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError
from pydantic_core import PydanticCustomError

from calculators.errors import InputErrors, InputIssue, schema_text
from calculators.money import AMOUNT_RULE, fen_to_yuan, parse_yuan

FORMAT_RULE = "试算情形文件格式（docs/scenarios.md）"


class Fen(int):
    """An amount already in integer fen (分), for a scenario built from trusted typed rows (the ledger's):
    where an amount (:data:`Yuan`) is given as ``Fen(n)`` it is taken as ``n`` fen as it is, instead of being
    written as a yuan string only to be parsed back. The model holds a plain ``int``, the same scenario as
    the yuan string ``fen_to_yuan(n)`` gives; a negative one is refused as that string is, with its message.
    A plain ``int`` is still read as yuan (``1000`` = 1000 元), as the scenario format says."""

    __slots__ = ()


def _yuan(v: Any) -> int:
    if type(v) is Fen:
        if v >= 0:
            return int(v)
        v = fen_to_yuan(v)  # refused below exactly as its yuan string is
    try:
        return parse_yuan(v, field="amount")
    except InputErrors as exc:
        issue = exc.issues[0]
        raise PydanticCustomError("amount", issue.message, {"rule": issue.rule}) from None


Yuan = Annotated[int, BeforeValidator(_yuan), PlainSerializer(fen_to_yuan, return_type=str)]
"""An amount given in yuan, held as integer fen, written back (``model_dump``/JSON) as a yuan string,
so a dumped scenario parses back to the same scenario."""

Level = Literal["national", "provincial", "municipal"]
LeaderType = Literal[
    "enterprise", "university", "research-institute", "public-institution", "third-party", "government"
]
Grade = Literal["优秀", "良好", "合格", "不合格", "通过", "不通过"]
LEVEL_RANK: dict[str, int] = {"municipal": 1, "provincial": 2, "national": 3}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlatformInfo(_Frozen):
    """The platform (中试平台) and who leads it.

    Attributes:
        id: stable identifier.
        name: 平台名称.
        operator: 依托单位/申请单位名称.
        jurisdiction: code of its jurisdiction (属地), e.g. ``330402`` 南湖区.
        leader_type: 主导类型; universities, research institutes and public institutions (高校院所、
            事业单位) are subject to the institution exclusion.
    """

    id: str
    name: str
    operator: str = ""
    jurisdiction: str
    leader_type: LeaderType = "enterprise"


class Recognition(_Frozen):
    """A recognition (入围/认定) at a level, with its document (文件、文号)."""

    id: str | None = None
    level: Level
    date: date
    document_number: str = ""


class PoolSpell(_Frozen):
    """A spell in the cultivation pool (培育库): entered, and left (退库) if it has."""

    entered: date
    left: date | None = None
    document_number: str = ""


class AgreementSupport(_Frozen):
    """City–district funding under an agreement (市区财政资金协议支持)."""

    date: date
    document_number: str = ""
    amount: Yuan | None = None


class Investment(_Frozen):
    """Audited equipment investment (设备投入) of one calendar year; ``amount`` net of VAT."""

    year: int
    amount: Yuan
    vat: Yuan = 0
    audit_report: str = ""


class Invoice(_Frozen):
    """An equipment invoice (发票): unique by issuer code and number across all claims."""

    issuer_code: str
    number: str
    date: date
    net: Yuan
    vat: Yuan = 0
    audited: Yuan | None = None  # amount the audit firm accepted (net), if audited


class EvaluationRecord(_Frozen):
    """An annual evaluation result (年度绩效评价), published on ``date``."""

    year: int
    grade: Grade
    date: date
    scheme: Literal["jiaxing", "zhejiang", "shaoxing"] = "jiaxing"
    score: str | None = None


_Date = date  # for annotations after a field named ``date``


class PoolNotice(_Frozen):
    """The public notice before pool entry (培育库公示, 细则 第二章 三（二）4), published on ``date``.

    The pool entry that follows it may not be dated within the notice period (5 working days on the
    working-day calendar of claims' notices, ``pool_entry.notice_working_days``)."""

    kind: Literal["pool-notice"]
    date: date
    document_number: str = ""


class ChangeReport(_Frozen):
    """A written report of a major change (变更申报材料, 细则 第三章), submitted on ``date``.

    Attributes:
        change_date: the day the change's legal formalities were completed (相关法律手续办理完毕).
        change: what changed (重组、合并、变更名称、注册地等), as told.
    """

    kind: Literal["change-report"]
    change_date: _Date
    date: _Date
    change: str = ""


class ReEvaluation(_Frozen):
    """The province's re-evaluation of a provincial platform (两年一复评, 浙江方案 五) on ``date``.

    ``result``: 通过 keeps the provincial recognition; 不通过, or 未参加 (missed), ends it from ``date``."""

    kind: Literal["re-evaluation"]
    date: date
    result: Literal["通过", "不通过", "未参加"]
    document_number: str = ""


RecordEvent = Annotated[PoolNotice | ChangeReport | ReEvaluation, Field(discriminator="kind")]
"""A dated event on the platform's record that carries a clause's consequence (docs/rules-evaluation.md)."""


class ClaimInput(_Frozen):
    """A claim (申请) under one program.

    Attributes:
        id: the claim's identifier.
        program: program id, e.g. ``equipment-subsidy``.
        application_date: date filed (申报日期); facts later than this are not used.
        rule_set: evaluate under this rule set (what-if) instead of the one the trigger date picks.
        years: investment years claimed (equipment); default: the window the rules give.
        invoices: invoices filed with the claim.
        national_support: national support received (1:1 matching, seed 001).
        recorded_amount: amount the province decided (zj-new-provincial).
        evaluation_year: the evaluation the claim rests on (pool-award, zj-excellent).
        elected: under the exclusive reading, whether the platform elects this program.
        approved_amount: the party group's approved amount (党组会审定): the claim's final payable, never
            above the computed payable; a lower amount lowers the claim's entitlement by the same cut.
        reversed: the approval was reversed (异议成立) — the claim counts for nothing.
    """

    id: str
    program: str
    application_date: date
    rule_set: str | None = None
    years: list[int] | None = None
    invoices: list[Invoice] = Field(default_factory=list)
    national_support: Yuan | None = None
    recorded_amount: Yuan | None = None
    evaluation_year: int | None = None
    elected: bool | None = None
    approved_amount: Yuan | None = None
    reversed: bool = False


class Scenario(_Frozen):
    """One platform and its dated history; the input of :func:`calculators.engine.evaluate`."""

    name: str = ""
    description: str = ""
    platform: PlatformInfo
    recognitions: list[Recognition] = Field(default_factory=list)
    pool: list[PoolSpell] = Field(default_factory=list)
    agreement_support: list[AgreementSupport] = Field(default_factory=list)
    investments: list[Investment] = Field(default_factory=list)
    evaluations: list[EvaluationRecord] = Field(default_factory=list)
    events: list[RecordEvent] = Field(default_factory=list)
    claims: list[ClaimInput] = Field(default_factory=list)
    readings: dict[str, str] = Field(default_factory=dict)
    what_if: dict[str, str | int | list[str] | dict[str, str | int]] = Field(default_factory=dict)
    rule_set: str | None = None
    expect: list[dict[str, Any]] | None = None  # expected results, for scenario tests
    expect_errors: list[dict[str, Any]] | None = None  # expected input errors, for scenario tests


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(scenario)"


def from_data(data: Any) -> Scenario:
    """Validate already-parsed data; every problem is reported at once with its field."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            ctx = err.get("ctx") or {}
            rule = str(ctx.get("rule", AMOUNT_RULE if err["type"] == "amount" else FORMAT_RULE))
            issues.append(InputIssue(_loc(tuple(err["loc"])), rule, schema_text(dict(err))))
        raise InputErrors(issues) from None


def parse_scenario(text: str, *, fmt: str = "yaml") -> Scenario:
    """Parse a scenario from JSON or YAML text (``fmt`` = ``json`` | ``yaml``)."""
    try:
        data = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:  # ValueError: JSON errors, and YAML dates like 2026-02-30
        raise InputErrors.one("(file)", FORMAT_RULE, f"不是有效的 {fmt.upper()}：{exc}；请检查文件格式") from None
    return from_data(data)
