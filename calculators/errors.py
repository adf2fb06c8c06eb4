"""The small, documented family of errors the calculators raise.

Batch work collects :class:`InputIssue` values and raises one :class:`InputErrors` carrying all
of them, so a clerk who filed twenty bad fields sees twenty verdicts at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class CalculatorError(Exception):
    """Base of every error the calculators raise on purpose."""


@dataclass(frozen=True)
class InputIssue:
    """One thing wrong with the input.

    Attributes:
        field: dotted path of the offending field, e.g. ``claims[2].invoices[0].net``.
        rule: the rule broken, with its clause where one applies.
        message: what is wrong, in words a clerk understands.
    """

    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} [{self.rule}]"


class InputErrors(CalculatorError):
    """The input was refused; nothing was computed. ``issues`` lists every problem found."""

    def __init__(self, issues: list[InputIssue]) -> None:
        self.issues = list(issues)
        super().__init__("; ".join(str(i) for i in self.issues))

    @classmethod
    def one(cls, field: str, rule: str, message: str) -> InputErrors:
        return cls([InputIssue(field, rule, message)])


class RuleSetError(CalculatorError):
    """A rule-set or holiday-notice data file is malformed. Names the file and the key."""

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source = source
        self.key = key
        self.message = message
        super().__init__(f"{source}: {key}: {message}")


class ParameterNotSupplied(CalculatorError):
    """A program needs a parameter the rule set leaves open (e.g. the pool award table of seed 001)."""

    def __init__(self, rule_set: str, parameter: str, why: str) -> None:
        self.rule_set = rule_set
        self.parameter = parameter
        super().__init__(f"规则集 {rule_set} 未规定参数 {parameter}，无法计算：{why}")


YUAN_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
"""The pattern of an amount typed as 元 (the API's and the forms' ``Yuan``): its refusal says so."""

AMOUNT_TEXT = "须为不小于0的金额，最多两位小数（元）"
CODE_TEXT = "只能包含字母、数字和 . _ -"


def _received(value: Any) -> str:
    """The value a refusal quotes: text as typed (at most 40 characters), anything else as written; nothing
    for a mapping or a list (or a password, which the caller replaces by ``{}``)."""
    if isinstance(value, (dict, list)):
        return ""
    text = value if isinstance(value, str) else repr(value)
    text = text if len(text) <= 40 else text[:40] + "…"
    return f"，收到 {text}" if text else "，收到空白"


def _choices(expected: Any) -> str:
    return "、".join(str(expected).replace("'", "").replace(" or ", ", ").split(", "))


_SCHEMA_TEXT: dict[str, str] = {
    "missing": "为必填项；请填写",
    "string_type": "须为文字",
    "date_parsing": "须为日期（年-月-日，如 2026-03-01）",
    "date_from_datetime_parsing": "须为日期（年-月-日，如 2026-03-01）",
    "date_from_datetime_inexact": "须为日期（年-月-日，如 2026-03-01），不带时间",
    "date_type": "须为日期（年-月-日，如 2026-03-01）",
    "int_parsing": "须为整数", "int_type": "须为整数", "int_from_float": "须为整数",
    "greater_than_equal": "须不小于 {ge}", "greater_than": "须大于 {gt}",
    "less_than_equal": "须不大于 {le}", "less_than": "须小于 {lt}",
    "bool_parsing": "须为是或否（true/false）", "bool_type": "须为是或否（true/false）",
    "too_long": "最多 {max_length} 项", "too_short": "至少 {min_length} 项",
    "extra_forbidden": "不是可接受的字段；请删去",
    "dict_type": "须为键值映射（如 {{\"键\": \"值\"}}）", "list_type": "须为列表（如 [\"…\"]）",
    "model_type": "须为键值映射（对象）", "model_attributes_type": "须为键值映射（对象）",
    "json_invalid": "不是有效的 JSON", "decimal_parsing": "须为十进制数字", "float_parsing": "须为数字",
    "enum": "须为 {expected} 之一", "url_parsing": "不是有效的网址",
}


def _shaped(kind: str, ctx: Mapping[str, Any], value: Any) -> str | None:
    """The refusals whose words depend on the constraint itself (which pattern, which length)."""
    if kind == "string_pattern_mismatch":
        rule = AMOUNT_TEXT + "，如 1000000.00" if ctx.get("pattern") == YUAN_PATTERN else CODE_TEXT
        return rule + _received(value)
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return "不能为空；请填写"
        return f"至少 {ctx.get('min_length')} 个字符" + _received(value)
    if kind == "string_too_long":
        size = len(value) if isinstance(value, str) else "更多"
        return f"最多 {ctx.get('max_length')} 个字符，收到 {size} 个字符；请删减"
    if kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"须写成带引号的文字（金额如 \"1000000.00\"），收到数字 {value!r}"
    if kind == "literal_error":
        return f"须为 {_choices(ctx.get('expected', ''))} 之一" + _received(value)
    return None


def schema_text(err: Mapping[str, Any]) -> str:
    """A pydantic refusal in Chinese: what the field must be, the value received, what to do.

    ``{"type": "string_pattern_mismatch", "input": "-5", "ctx": {"pattern": YUAN_PATTERN}}`` →
    ``须为不小于0的金额，最多两位小数（元），如 1000000.00，收到 -5``. A custom error (the ``amount``, ``area``
    and date-range refusals) is already Chinese and keeps its message. A password is never quoted back."""
    kind = str(err.get("type", ""))
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    value = err.get("input")
    if any("password" in str(part) for part in err.get("loc", ())):
        value = {}
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg", "")))
    if kind in ("missing", "extra_forbidden"):
        return _SCHEMA_TEXT[kind]
    shaped = _shaped(kind, ctx, value)
    if shaped is not None:
        return shaped
    if kind in _SCHEMA_TEXT:
        return _SCHEMA_TEXT[kind].format(**{k: v for k, v in ctx.items() if isinstance(k, str)}) + _received(value)
    message = str(err.get("msg", ""))
    if any("\u4e00" <= ch <= "\u9fff" for ch in message):
        return message
    return f"格式不正确（{kind}）" + _received(value)
