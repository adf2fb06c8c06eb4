"""Names for users, codes for machines (名称与代码): the one place that turns a code into what a user reads.

Pages, forms (附件3, 评价表, 公示名单, 资金下达), traces and CLI summaries show the Chinese name; codes stay in
URLs, attributes and the API, and may follow the name in parentheses (:func:`named`). Where the names live:

* programs, rule sets and payer-split schemes — the rule-set data (``programs.<id>.title``, ``title``,
  the parameter ``payer_split.scheme_titles``), read through :func:`program_title`, :func:`rule_set_title`
  and :func:`scheme_title`;
* jurisdictions and payers — the database (seeded from ``calculators/rulesets/jurisdictions.yaml``);
  :func:`jurisdiction_name` reads that seed for layers without a session;
* claim states, platform levels, trace steps — the tables below (to add a state, add a line to
  :data:`STATE_TITLES`; a test checks every state in ``ledger.models.CLAIM_STATES`` has one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Final

from calculators.formats import WAN_DECIMALS, yuan_grouped
from calculators.money import parse_yuan
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import STATE_TITLES as MODEL_STATE_TITLES
from calculators.rulesets.model import Options

STATE_TITLES: Final = MODEL_STATE_TITLES
"""A claim's state (申请状态) → its name: the table declared once with the states (calculators.rulesets.model)."""

LEVEL_TITLES: Final = {"national": "国家级", "provincial": "省级", "municipal": "市级"}

STEP_TITLES: dict[str, str] = {
    "rule-set": "适用规则", "split": "分担", "amount": "金额", "approved": "审定金额", "cap": "累计上限",
    "evaluation": "绩效评价", "exclusion": "不予支持情形", "exclusive": "不重复享受", "grade": "评价等级",
    "higher-of": "就高不重复", "investment": "设备投入", "level": "平台级别", "once": "限享一次",
    "once-in-years": "年限内限享一次", "pool": "培育库", "rate": "补助比例", "recognition": "认定",
    "record": "备案", "recorded": "记录金额", "reversed": "撤销", "span": "期限", "upgrade": "升级",
    "window": "申报年度窗口", "withdrawn": "撤回", "status": "结论", "leased": "租赁设备",
    "lease-limit": "租赁计入上限", "annual-report": "年度报告", "as-of": "截至日期", "bands": "等级分数段",
    "bonus": "加分", "change-report": "变更报告", "change-report-late": "变更报告逾期", "excellent": "优秀",
    "groups": "指标分组", "indicators": "指标", "interval": "评价间隔", "next-evaluation": "下次评价",
    "pool-notice": "入库公示", "quota": "名额", "re-evaluation": "复评", "re-evaluation-overdue": "复评逾期",
    "total": "总分",
}
"""A calculation step (``TraceStep.step``, a code in the API) → its name on pages and in the CLI."""

VALUE_TITLES: Final = {
    "scheme": "分担方案", "rule_set": "规则集", "program": "补助项目", "rate": "比例", "years": "年度",
    "level": "级别", "date": "日期", "limit": "上限", "used": "已用", "headroom": "余额", "amount": "金额",
    "gross": "计算金额", "payable": "应付", "trigger_date": "触发日期", "computed": "计算应付", "approved": "审定",
    "entitled": "上限后应享", "year": "年度", "first_year": "首年", "last_year": "末年", "times": "次数",
    "recorded": "记录金额", "national_support": "国家支持金额", "base": "计算基数", "base_total": "基数合计",
    "grade": "等级", "grades": "等级", "score": "得分", "ratio": "比例", "entered": "入库日期", "reading": "解读",
    "window_reading": "窗口解读", "last_claimed_year": "上次申报年度", "consecutive_excellent": "连续优秀",
    "auto_levels": "自动适用级别", "claim": "申请", "as_of": "截至", "publication": "发布日期",
    "working_days": "工作日", "start": "起算日", "next_due": "下次到期", "pass_score": "合格分",
    "change_date": "变更日期", "payer": "付款方", "local": "区县（市）", "city": "市级", "province": "省级", "counted": "计入", "leased": "租赁金额", "basis": "口径",
}
"""A trace value's key → its name (the values keep their codes in the API)."""


AMOUNT_KEYS: Final = frozenset({
    "amount", "gross", "payable", "computed", "approved", "entitled", "limit", "used", "headroom", "recorded",
    "national_support", "base", "base_total", "leased", "counted"})
"""Trace values that are amounts in 元 (written ``1234.56`` by the calculators; ``1,234.56 元`` on pages)."""
_YUAN_TEXT: Final = re.compile(r"^-?\d+\.\d{2}$")


def named(name: str, code: str) -> str:
    """``南湖区（330402）``; the bare name where it is the code (nothing to add)."""
    return name if not code or name == code else f"{name}（{code}）"


def state_title(code: str | None) -> str:
    return STATE_TITLES.get(code or "", code or "—")


def level_title(code: str | None) -> str:
    return LEVEL_TITLES.get(code or "", code or "—")


def step_title(code: str) -> str:
    return STEP_TITLES.get(code, code)


def program_title(program: str, rule_set: str = "") -> str:
    """The program's name in ``rule_set`` (else in any rule set that defines it); the code if none does."""
    book = rulebook()
    rs = book.rule_sets.get(rule_set)
    if rs is not None and program in rs.programs:
        return rs.programs[program].title
    for other in book.rule_sets.values():
        if program in other.programs:
            return other.programs[program].title
    return program


def rule_set_title(rule_set: str) -> str:
    """``jiaxing-rules-2026`` → ``嘉兴市中试平台管理评价细则``; the code if no rule set has it."""
    rs = rulebook().rule_sets.get(rule_set)
    return rs.title if rs is not None else rule_set


def _scheme_titles(rule_set: str, on: date | None) -> Mapping[str, str]:
    book = rulebook()
    ordered = [book.rule_sets[rule_set]] if rule_set in book.rule_sets else []
    ordered += [rs for rs in book.rule_sets.values() if rs.id != rule_set]
    titles: dict[str, str] = {}
    for rs in reversed(ordered):  # the named rule set's titles win
        p = rs.parameters.get("payer_split.scheme_titles")
        if p is not None and p.values:
            dv = p.at(on) if on is not None else None
            titles.update((dv or p.values[-1]).value or {})
    return titles


def scheme_title(scheme: str, rule_set: str = "", on: date | None = None) -> str:
    """A payer-split scheme's name: ``city-50-local-50`` → ``市、区（县）各承担50%``; the code if unnamed."""
    return str(_scheme_titles(rule_set, on).get(scheme, scheme))


def jurisdiction_name(code: str) -> str:
    """A jurisdiction's name from the bundled seed (pages and reports read the database's names)."""
    j = rulebook().jurisdictions.get(code)
    return j.name if j is not None else code


def payer_name(code: str) -> str:
    """A finance payer's name (嘉兴市财政局) from the bundled seed; the code if unknown."""
    p = rulebook().payers.get(code)
    return p.name if p is not None else code


def value_text(key: str, value: str, rule_set: str = "") -> tuple[str, str]:
    """A trace value as a user reads it: its key's name (a payer's code → the payer's name), and a code
    value (scheme, rule set, program) replaced by its name."""
    shown = {"scheme": lambda: scheme_title(value, rule_set), "rule_set": lambda: rule_set_title(value),
             "program": lambda: program_title(value, rule_set)}.get(key)
    title = VALUE_TITLES.get(key) or payer_name(key)
    if shown is None and (key in AMOUNT_KEYS or key in rulebook().payers) and _YUAN_TEXT.match(value):
        return title, f"{yuan_grouped(parse_yuan(value, field=key, allow_negative=True))} 元"
    return title, (shown() if shown else value)


DISPLAY_RULE_SET: Final = "jiaxing-rules-2026"
"""The rule set whose reading ``display.wan_decimals`` says how 万元 is shown (细则, the primary one)."""


def wan_decimals(on: date | None = None, options: Options | None = None) -> int:
    """How many decimals 万元 carries on forms and pages on ``on`` (today if not given): the reading
    ``display.wan_decimals`` — 4 (to the yuan, the default) or 2 — selectable like any reading."""
    rs = rulebook().rule_sets.get(DISPLAY_RULE_SET)
    if rs is None or not rs.has("display.wan_decimals"):
        return WAN_DECIMALS
    return int(rs.param("display.wan_decimals", on or date.today(), options).value)
