"""Evaluation (绩效评价): scoring sheets, grades and the status a platform holds over time.

Jiaxing (细则, seed 000):

* :func:`score_annex2` — the Annex 2 sheet (附件2 年度绩效评价体系): 18 second-level indicators in six
  first-level groups (100 points) plus the 标志性成果 bonus; graded 优秀/良好/合格/不合格 for pool
  platforms (培育) by ``evaluation.grade_bands`` and 通过/不通过 for recognised 嘉兴市中试平台 by
  ``evaluation.pass_score``. The document has no score bands: both are policy data.
* :func:`status_timeline` — 细则 第三章 over dated events: pool entry (入库), annual evaluations,
  missing annual reports (= 不合格/不通过, 第三章（三）), rectification outcomes (整改), recognitions,
  and the dynamic-management removals (动态管理 (1)–(5), 注销法人登记) → dated status changes.

Shaoxing pilot bases (绍兴市科技成果转化中试基地, seed 004):

* :func:`score_shaoxing` — the 附表 sheet (基础条件 30, 服务成效 70, bonus ≤ 10);
* :func:`grade_shaoxing_cohort` — grades one evaluation round: 优秀 limited to about 30% of those
  evaluated, by rank (quota rounding and boundary ties are readings), the rest by bands;
* :func:`shaoxing_base_timeline` — designation (评定) and revocation (撤销评定, 附件 三).

Pure: no I/O. Scores are ``Decimal`` (str, int or Decimal accepted; floats refused naming the field).
Every number (weights, bands, quota, months, counts) comes from the rule set; every step cites a clause.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, TypeAdapter, ValidationError

from calculators.errors import InputErrors, InputIssue, RuleSetError
from calculators.results import TraceStep
from calculators.rulesets.model import Options, Resolved, RuleSet
from calculators.scenario import Grade, Level

POINTS_RULE = "分数写作十进制数字（不接受浮点数）"
EVENTS_RULE = "平台状态事项（docs/rules-evaluation.md）"

EXCELLENT = "优秀"
GOOD = "良好"
PASSING = "合格"
FAILING = "不合格"
PASS = "通过"
FAIL = "不通过"
BANDED_GRADES = (EXCELLENT, GOOD, PASSING)  # best first; below the last band: FAILING
POOL_GRADES = (EXCELLENT, GOOD, PASSING, FAILING)
RECOGNISED_GRADES = (PASS, FAIL)

Standing = Literal["pool", "recognised"]
STANDINGS: dict[str, Standing] = {"pool": "pool", "recognised": "recognised"}
STANDING_LABEL = {"pool": "嘉兴市中试平台（培育）", "recognised": "嘉兴市中试平台"}
STATUS_LABEL = {
    "outside": "未入库",
    "pool": "培育（在库）",
    "recognised": "嘉兴市中试平台",
    "rectification": "限期整改",
    "removed": "退库",
    "designated": "绍兴市科技成果转化中试基地",
    "revoked": "撤销评定",
    "sx-platform": "绍兴市现代化中试平台",
    "cancelled": "取消市级现代化中试平台资格",
}

# Clauses of rules that carry no number (the numbers themselves come from the rule set).
CL_POOL_ENTRY = "细则 第二章 三（二）4：公示5个工作日无异议后，形成嘉兴市中试平台培育库名单，并由市经信局发文公布"
CL_RESTART = "细则 第三章（二）：退库的中试平台如要再次争创嘉兴市中试平台的，需再次按“先培育再认定”的模式创建"
CL_EVALUATION = "细则 第三章：在库中试平台每年提交年度报告……每年开展一次绩效评价"
CL_GRADES = "细则 第三章：列为嘉兴市中试平台（培育）的，每年评价结果分为“优秀、良好、合格、不合格”；列为嘉兴市中试平台的，每年评价结果分为“通过”和“不通过”"
CL_NO_REPORT = "细则 第三章（三）：未及时提交绩效评价材料的平台，按不合格或不通过评价"
CL_EXPIRED = "细则 第三章（二）：逾期未整改的……视为自动退库"
CL_STILL_FAILING = "细则 第三章（二）：整改后仍不合格、不通过的视为自动退库"
CL_RECTIFIED = "细则 第三章（二）：予以限期整改"
CL_GUIDANCE = "细则 第三章：两年连续获评“优秀”的，且符合《浙江省现代化中试平台建设工作指引（2025 版）》对市级中试平台要求的，列为嘉兴市中试平台"
CL_MUNICIPAL_DOC = "细则 第二章 三（一）：连续两年评价为优秀的平台认定为嘉兴市中试平台（市经信局发文）"
CL_SX_RESTART = "绍兴中试基地方案 五（三）：以后年度符合条件的可重新参加评选"
CL_SX_DESIGNATION = "绍兴中试基地方案 四（四）：公示期满无异议……由市科技局发文公布"
CL_SX_PLATFORM = "绍兴指引 五（三）：公示无异议的，市科技局发文公布"
CL_SX_REPORT = "绍兴指引 六（三）：经认定的市级中试平台每年应向市科技局提交年度运行情况报告和下一年度工作计划"


# --------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------


def add_months(start: date, months: int) -> date:
    """The date ``months`` months after ``start`` (民法典 第二百零二条: the corresponding day of the
    final month, or that month's last day when it has no corresponding day)."""
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_years(start: date, years: int) -> date:
    """The date ``years`` years after ``start`` (29 February → 28 February, 民法典 第二百零二条)."""
    return add_months(start, 12 * years)


def parse_points(value: object, *, field: str) -> Decimal:
    """A score as ``Decimal`` from str, int or Decimal. Floats, bools and non-numbers are refused."""
    if isinstance(value, (bool, float)):
        raise InputErrors.one(field, POINTS_RULE, f"分数须为十进制数字，收到浮点数 {value!r}；请写成带引号的数字（如 \"85.5\"）")
    if isinstance(value, Decimal):
        dec = value
    elif isinstance(value, int):
        dec = Decimal(value)
    elif isinstance(value, str):
        try:
            dec = Decimal(value.strip())
        except InvalidOperation:
            raise InputErrors.one(field, POINTS_RULE, f"分数须为十进制数字（如 85.5），收到 {value!r}") from None
    else:
        raise InputErrors.one(field, POINTS_RULE, f"分数须为十进制数字（如 85.5），收到 {value!r}")
    if not dec.is_finite():
        raise InputErrors.one(field, POINTS_RULE, f"分数须为有限的十进制数字（如 85.5），收到 {value!r}")
    return dec


def _points(value: object, field: str, issues: list[InputIssue]) -> Decimal | None:
    try:
        return parse_points(value, field=field)
    except InputErrors as exc:
        issues.extend(exc.issues)
        return None


def _points_upto(value: object, field: str, maximum: int, rule: str, what: str,
                 issues: list[InputIssue]) -> Decimal | None:
    """Points between 0 and ``maximum``; ``None`` (the problem in ``issues``) otherwise."""
    pts = _points(value, field, issues)
    if pts is not None and not (Decimal(0) <= pts <= maximum):
        issues.append(InputIssue(field, rule, f"{what}须在 0 至 {maximum} 分之间，收到 {_fmt(pts)}"))
        return None
    return pts


def _param(rs: RuleSet, name: str, on: date, options: Options | None) -> Resolved:
    if not rs.has(name):
        raise InputErrors.one("rule_set", f"{rs.short}：参数 {name}",
                              f"规则集 {rs.id} 没有参数 {name}，不能用于这项评价；请选择规定了评价指标的规则集")
    return rs.param(name, on, options)


def _fmt(d: Decimal) -> str:
    """A score for display: no exponent, no trailing zeros beyond the integer part."""
    text = format(d.normalize(), "f")
    return text


def _bands(bands: Resolved, rs: RuleSet) -> list[tuple[str, Decimal]]:
    """Grade bands (best first), checked: exactly 优秀/良好/合格, minimums not increasing."""
    table = bands.value
    if set(table) != set(BANDED_GRADES):
        raise RuleSetError(rs.source, f"parameters.{bands.name}",
                           f"等次分档须恰好列出 {'、'.join(BANDED_GRADES)}，收到 {'、'.join(table)}")
    out = [(g, Decimal(int(table[g]))) for g in BANDED_GRADES]
    for (g1, m1), (g2, m2) in pairwise(out):
        if m2 > m1:
            raise RuleSetError(rs.source, f"parameters.{bands.name}",
                               f"{g2}的最低分 {m2} 高于{g1}的最低分 {m1}；请更正分档")
    return out


def band_grade(total: Decimal, bands: list[tuple[str, Decimal]]) -> str:
    """The best grade whose minimum ``total`` reaches; 不合格 below every band."""
    for grade, minimum in bands:
        if total >= minimum:
            return grade
    return FAILING


def _model_errors(exc: ValidationError, prefix: str) -> InputErrors:
    issues = []
    for err in exc.errors():
        loc = prefix
        for part in err["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else f".{part}"
        issues.append(InputIssue(loc, EVENTS_RULE, err["msg"]))
    return InputErrors(issues)


_Date = date  # for annotations in classes that have a field named ``date``
_H = TypeVar("_H", bound="_BaseHistory")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------------------------------
# Score sheets
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorScore:
    """One second-level indicator (二级指标) as scored.

    Attributes:
        key: ``一级/二级`` as in the rule set.
        first / second: the first- and second-level names.
        score: points given.
        weight: the indicator's full points (分值).
    """

    key: str
    first: str
    second: str
    score: Decimal
    weight: int


@dataclass(frozen=True)
class GroupTotal:
    """A first-level indicator (一级指标): points scored out of its weight."""

    name: str
    score: Decimal
    weight: int


@dataclass(frozen=True)
class ScoreSheet:
    """A scored evaluation sheet (绩效评价表).

    Attributes:
        rule_set: the rule set whose table was used.
        scheme: ``jiaxing-annex2`` or ``shaoxing-base``.
        standing: Jiaxing only: ``pool`` (培育) or ``recognised`` (嘉兴市中试平台).
        indicators: every second-level indicator, in the rule set's order.
        groups: first-level totals, in the rule set's order.
        base_total: sum of the indicators (out of the table's 100 points).
        bonus_items: bonus item → points.
        bonus: sum of the bonus items.
        total: ``base_total + bonus``.
        grade: the grade, or ``None`` where the grade is decided by the cohort (Shaoxing).
        trace: every step with its clause.
    """

    rule_set: str
    scheme: str
    standing: str | None
    indicators: tuple[IndicatorScore, ...]
    groups: tuple[GroupTotal, ...]
    base_total: Decimal
    bonus_items: tuple[tuple[str, Decimal], ...]
    bonus: Decimal
    total: Decimal
    grade: str | None
    trace: tuple[TraceStep, ...]

    def group(self, name: str) -> GroupTotal:
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_set": self.rule_set,
            "scheme": self.scheme,
            "standing": self.standing,
            "indicators": [{"key": i.key, "score": _fmt(i.score), "weight": i.weight} for i in self.indicators],
            "groups": [{"name": g.name, "score": _fmt(g.score), "weight": g.weight} for g in self.groups],
            "base_total": _fmt(self.base_total),
            "bonus_items": {k: _fmt(v) for k, v in self.bonus_items},
            "bonus": _fmt(self.bonus),
            "total": _fmt(self.total),
            "grade": self.grade,
            "trace": [t.to_dict() for t in self.trace],
        }


@dataclass(frozen=True)
class _Table:
    indicators: Resolved
    groups: Resolved
    bonus: Resolved


def _check_table(t: _Table, rs: RuleSet) -> list[tuple[str, int]]:
    """The first-level weights, after checking the indicator table adds up to them."""
    groups: dict[str, int] = {str(k): int(v) for k, v in t.groups.value.items()}
    sums = dict.fromkeys(groups, 0)
    for key, weight in t.indicators.value.items():
        first, sep, second = str(key).partition("/")
        if not sep or not second:
            raise RuleSetError(rs.source, f"parameters.{t.indicators.name}.{key}", "keys are 一级/二级")
        if first not in groups:
            raise RuleSetError(rs.source, f"parameters.{t.indicators.name}.{key}",
                               f"一级指标 {first!r} 不在 {t.groups.name} 中；请更正")
        sums[first] += int(weight)
    for name, weight in groups.items():
        if sums[name] != weight:
            raise RuleSetError(rs.source, f"parameters.{t.groups.name}.{name}",
                               f"二级指标权重之和为 {sums[name]}，应为 {weight}；请更正")
    return list(groups.items())


# size: checks every indicator and bonus item of a sheet (all problems at once), then totals and traces them
def _score(
    scores: Mapping[str, object],
    bonus: Mapping[str, object] | None,
    rs: RuleSet,
    t: _Table,
) -> tuple[tuple[IndicatorScore, ...], tuple[GroupTotal, ...], tuple[tuple[str, Decimal], ...], list[TraceStep]]:
    group_weights = _check_table(t, rs)
    weights: dict[str, int] = {str(k): int(v) for k, v in t.indicators.value.items()}
    bonus_max: dict[str, int] = {str(k): int(v) for k, v in t.bonus.value.items()}
    issues: list[InputIssue] = []
    if not isinstance(scores, Mapping):
        raise InputErrors.one("scores", t.indicators.cite(), "评分须逐项写明一级/二级指标及其分数")
    if bonus is not None and not isinstance(bonus, Mapping):
        raise InputErrors.one("bonus", t.bonus.cite(), "加分项须逐项写明加分项名称及其分数")
    for key in scores:
        if key not in weights:
            issues.append(InputIssue(f"scores.{key}", t.indicators.cite(),
                                     f"指标 {key!r} 不存在；可选：{'、'.join(weights)}"))
    parsed: dict[str, Decimal] = {}
    for key, weight in weights.items():
        field = f"scores.{key}"
        if key not in scores:
            issues.append(InputIssue(field, t.indicators.cite(), f"指标 {key}（{weight}分）未评分；请填写该指标的分数"))
            continue
        pts = _points_upto(scores[key], field, weight, f"{t.indicators.cite()}：{key}（{weight}分）", "分数", issues)
        if pts is not None:
            parsed[key] = pts
    bonus_pts: dict[str, Decimal] = {}
    for key, raw in (bonus or {}).items():
        field = f"bonus.{key}"
        if key not in bonus_max:
            issues.append(InputIssue(field, t.bonus.cite(), f"加分项 {key!r} 不存在；可选：{'、'.join(bonus_max)}"))
            continue
        pts = _points_upto(raw, field, bonus_max[key], f"{t.bonus.cite()}：{key}最高{bonus_max[key]}分", "加分", issues)
        if pts is not None:
            bonus_pts[key] = pts
    if issues:
        raise InputErrors(issues)
    indicators = tuple(
        IndicatorScore(key, key.partition("/")[0], key.partition("/")[2], parsed[key], w) for key, w in weights.items()
    )
    groups = tuple(
        GroupTotal(name, sum((i.score for i in indicators if i.first == name), Decimal(0)), w)
        for name, w in group_weights
    )
    bonus_items = tuple((k, bonus_pts.get(k, Decimal(0))) for k in bonus_max)
    steps = [
        TraceStep("indicators", t.indicators.cite(), "各二级指标得分均在0至其分值之间",
                  {i.key: f"{_fmt(i.score)}/{i.weight}" for i in indicators}),
        TraceStep("groups", t.groups.cite(), "一级指标得分为其二级指标得分之和",
                  {g.name: f"{_fmt(g.score)}/{g.weight}" for g in groups}),
        TraceStep("bonus", t.bonus.cite(), "加分项不超过其最高分",
                  {k: f"{_fmt(v)}/{bonus_max[k]}" for k, v in bonus_items}),
    ]
    return indicators, groups, bonus_items, steps


def _sheet(
    scheme: str, standing: str | None, rs: RuleSet,
    parts: tuple[tuple[IndicatorScore, ...], tuple[GroupTotal, ...], tuple[tuple[str, Decimal], ...], list[TraceStep]],
    clause: str,
) -> tuple[ScoreSheet, list[TraceStep]]:
    indicators, groups, bonus_items, steps = parts
    base_total = sum((g.score for g in groups), Decimal(0))
    bonus = sum((v for _, v in bonus_items), Decimal(0))
    total = base_total + bonus
    steps.append(TraceStep("total", clause, f"总分 = 指标得分{_fmt(base_total)} + 加分{_fmt(bonus)} = {_fmt(total)}",
                           {"base_total": _fmt(base_total), "bonus": _fmt(bonus), "total": _fmt(total)}))
    sheet = ScoreSheet(rs.id, scheme, standing, indicators, groups, base_total, bonus_items, bonus, total, None, ())
    return sheet, steps


def standing_of(value: str) -> Standing:
    """``value`` (text from a record) as a :data:`Standing`; an input error when it is neither."""
    if value not in STANDINGS:
        raise InputErrors.one("standing", CL_GRADES, f"平台身份须为 pool（培育库）或 recognised（已认定），收到 {value!r}")
    return STANDINGS[value]


def score_annex2(
    scores: Mapping[str, object],
    bonus: Mapping[str, object] | None,
    rule_set: RuleSet,
    on: date,
    *,
    standing: Standing = "pool",
    options: Options | None = None,
) -> ScoreSheet:
    """Score a Jiaxing Annex 2 sheet (细则 附件2) and grade it.

    ``scores`` maps every ``一级/二级`` indicator of ``evaluation.indicators`` to its points
    (0 ≤ points ≤ weight); ``bonus`` maps items of ``evaluation.bonus`` to points (missing = 0).
    ``standing`` = ``pool`` grades 优秀/良好/合格/不合格 by ``evaluation.grade_bands``;
    ``recognised`` grades 通过/不通过 by ``evaluation.pass_score``. The grade is on the total
    including the bonus. Every problem is reported at once (:class:`InputErrors`).
    """
    standing = standing_of(standing)
    t = _Table(
        _param(rule_set, "evaluation.indicators", on, options),
        _param(rule_set, "evaluation.first_level", on, options),
        _param(rule_set, "evaluation.bonus", on, options),
    )
    sheet, steps = _sheet("jiaxing-annex2", standing, rule_set, _score(scores, bonus, rule_set, t), t.indicators.cite())
    if standing == "pool":
        bands_p = _param(rule_set, "evaluation.grade_bands", on, options)
        bands = _bands(bands_p, rule_set)
        grade = band_grade(sheet.total, bands)
        steps.append(TraceStep("grade", bands_p.cite(),
                               f"培育平台总分{_fmt(sheet.total)}，评为“{grade}”",
                               {g: f"≥{_fmt(m)}" for g, m in bands} | {"grade": grade}))
    else:
        pass_p = _param(rule_set, "evaluation.pass_score", on, options)
        minimum = Decimal(int(pass_p.value))
        grade = PASS if sheet.total >= minimum else FAIL
        steps.append(TraceStep("grade", pass_p.cite(),
                               f"嘉兴市中试平台总分{_fmt(sheet.total)}，{'达到' if grade == PASS else '未达到'}"
                               f"{_fmt(minimum)}分，评为“{grade}”",
                               {"pass_score": _fmt(minimum), "grade": grade}))
    return _replace_sheet(sheet, grade, steps)


def _replace_sheet(sheet: ScoreSheet, grade: str | None, steps: list[TraceStep]) -> ScoreSheet:
    return ScoreSheet(sheet.rule_set, sheet.scheme, sheet.standing, sheet.indicators, sheet.groups,
                      sheet.base_total, sheet.bonus_items, sheet.bonus, sheet.total, grade, tuple(steps))


def score_shaoxing(
    scores: Mapping[str, object],
    bonus: Mapping[str, object] | None,
    rule_set: RuleSet,
    on: date,
    *,
    options: Options | None = None,
) -> ScoreSheet:
    """Score a Shaoxing pilot-base sheet (绍兴中试基地方案 附件 附表): 基础条件 30, 服务成效 70, bonus.

    The grade is left ``None``: it depends on the whole round (:func:`grade_shaoxing_cohort`).
    """
    t = _Table(
        _param(rule_set, "base.indicators", on, options),
        _param(rule_set, "base.first_level", on, options),
        _param(rule_set, "base.bonus", on, options),
    )
    sheet, steps = _sheet("shaoxing-base", None, rule_set, _score(scores, bonus, rule_set, t), t.indicators.cite())
    share = _param(rule_set, "base.excellent_share", on, options)
    steps.append(TraceStep("grade", share.cite(), "等级由同批参评基地的排名、优秀比例和分数线确定（见批次评定）"))
    return _replace_sheet(sheet, None, steps)


# --------------------------------------------------------------------------------------------------
# Shaoxing cohort grading
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortGrade:
    """One base's result in an evaluation round.

    Attributes:
        base: the base's identifier.
        total: its total points (with bonus).
        rank: competition rank by total (1, 2, 2, 4 …).
        band_grade: the grade its total reaches by the bands alone.
        grade: the grade given, after the 优秀 quota.
        note: why, in a short sentence.
    """

    base: str
    total: Decimal
    rank: int
    band_grade: str
    grade: str
    note: str


@dataclass(frozen=True)
class CohortGrading:
    """The grades of one Shaoxing evaluation round (绍兴中试基地方案 五（三）).

    Attributes:
        rule_set: the rule set used.
        size: number of bases evaluated.
        quota: 优秀 places = share × size, rounded per ``base.excellent_quota_rounding``.
        excellent: number graded 优秀 (may exceed ``quota`` only through ties under ``include``).
        grades: every base, best first.
        trace: every step with its clause.
    """

    rule_set: str
    size: int
    quota: int
    excellent: int
    grades: tuple[CohortGrade, ...]
    trace: tuple[TraceStep, ...]

    def grade_of(self, base: str) -> str:
        for g in self.grades:
            if g.base == base:
                return g.grade
        raise KeyError(base)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_set": self.rule_set,
            "size": self.size,
            "quota": self.quota,
            "excellent": self.excellent,
            "grades": [{"base": g.base, "total": _fmt(g.total), "rank": g.rank, "band_grade": g.band_grade,
                        "grade": g.grade, "note": g.note} for g in self.grades],
            "trace": [t.to_dict() for t in self.trace],
        }


def grade_shaoxing_cohort(
    cohort: Mapping[str, ScoreSheet | Decimal | str | int],
    rule_set: RuleSet,
    on: date,
    *,
    options: Options | None = None,
) -> CohortGrading:
    """Grade one evaluation round of Shaoxing pilot bases.

    ``cohort`` maps each base evaluated to its :class:`ScoreSheet` (from :func:`score_shaoxing`) or its
    total points. 优秀 needs the 优秀 band *and* a place within the quota (约30%, ranked by total); a base
    that reaches the 优秀 band but not a place is 良好. Ties at the last place: ``base.excellent_quota_ties``
    (``include``: all tied bases are 优秀; ``exclude``: none of them is). Other grades by the bands.
    """
    indicators = _param(rule_set, "base.indicators", on, options)
    bonus_p = _param(rule_set, "base.bonus", on, options)
    share = _param(rule_set, "base.excellent_share", on, options)
    rounding = _param(rule_set, "base.excellent_quota_rounding", on, options)
    ties = _param(rule_set, "base.excellent_quota_ties", on, options)
    bands_p = _param(rule_set, "base.grade_bands", on, options)
    bands = _bands(bands_p, rule_set)
    maximum = sum(int(v) for v in indicators.value.values()) + sum(int(v) for v in bonus_p.value.values())
    issues: list[InputIssue] = []
    totals = _cohort_totals(cohort, rule_set, maximum, indicators, bonus_p, issues)
    if rounding.value not in ("half-up", "down"):
        issues.append(InputIssue("options", rounding.cite(), f"取整方式须为 half-up 或 down，收到 {rounding.value!r}"))
    if ties.value not in ("include", "exclude"):
        issues.append(InputIssue("options", ties.cite(), f"同分规则须为 include 或 exclude，收到 {ties.value!r}"))
    if issues:
        raise InputErrors(issues)
    size = len(totals)
    exact = Decimal(share.value) * size
    quota = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP if rounding.value == "half-up" else ROUND_DOWN))
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    excellent_min = bands[0][1]
    candidates = [t for _, t in ordered if t >= excellent_min]
    cutoff, strict = _excellent_cutoff(candidates, quota, str(ties.value))
    grades = [_cohort_grade(base, total, ordered, bands, quota, cutoff, strict) for base, total in ordered]
    n_excellent = sum(1 for g in grades if g.grade == EXCELLENT)
    trace = [
        TraceStep("quota", f"{share.cite()}；{rounding.cite()}",
                  f"参评{size}个，优秀名额 = {_fmt(Decimal(share.value) * 100)}% × {size} = {_fmt(exact)}，取整为{quota}",
                  {"size": str(size), "exact": _fmt(exact), "quota": str(quota), "rounding": str(rounding.value)}),
        TraceStep("bands", bands_p.cite(), "各等级分数线（含加分项）", {g: f"≥{_fmt(m)}" for g, m in bands}),
        TraceStep("excellent", ties.cite(),
                  f"达到优秀分数线{len(candidates)}个，名额{quota}个，边界同分按“{ties.value}”处理，评为优秀{n_excellent}个",
                  {"candidates": str(len(candidates)), "excellent": str(n_excellent), "ties": str(ties.value)}),
    ]
    return CohortGrading(rule_set.id, size, quota, n_excellent, tuple(grades), tuple(trace))


def _cohort_totals(cohort: Mapping[str, ScoreSheet | Decimal | str | int], rule_set: RuleSet, maximum: int,
                   indicators: Resolved, bonus_p: Resolved, issues: list[InputIssue]) -> dict[str, Decimal]:
    """Each base's total: its sheet's (scored under this rule set as a base) or the points given, within
    0..``maximum``; what is wrong goes to ``issues``."""
    totals: dict[str, Decimal] = {}
    for base, entry in cohort.items():
        field = f"cohort.{base}"
        if isinstance(entry, ScoreSheet):
            if entry.rule_set != rule_set.id or entry.scheme != "shaoxing-base":
                issues.append(InputIssue(field, indicators.cite(),
                                         f"该评分表按 {entry.rule_set}（{entry.scheme}）评分，不是 {rule_set.id}；请按同一规则集评分"))
                continue
            totals[base] = entry.total
            continue
        pts = _points_upto(entry, field, maximum, f"{indicators.cite()}；{bonus_p.cite()}", "总分", issues)
        if pts is not None:
            totals[base] = pts
    return totals


def _excellent_cutoff(candidates: list[Decimal], quota: int, ties: str) -> tuple[Decimal | None, bool]:
    """The lowest total that is 优秀 (``None``: none is) among the ``candidates`` in the 优秀 band (best
    first), and whether the totals equal to it are out (``strict``: the tied group at the last place is out)."""
    if len(candidates) <= quota:
        return (candidates[-1] if candidates else None), False
    if quota == 0:
        return None, False
    cutoff = candidates[quota - 1]
    # include: everyone tied with the last place is in; exclude: the tied group is out.
    return cutoff, ties == "exclude" and candidates[quota] == cutoff


def _cohort_grade(base: str, total: Decimal, ordered: list[tuple[str, Decimal]], bands: list[tuple[str, Decimal]],
                  quota: int, cutoff: Decimal | None, strict: bool) -> CohortGrade:
    """One base's rank and grade: 优秀 only within the quota, else the next band down."""
    rank = 1 + sum(1 for _, t in ordered if t > total)
    by_band = band_grade(total, bands)
    if by_band == EXCELLENT and cutoff is not None and (total > cutoff or (total == cutoff and not strict)):
        grade, note = EXCELLENT, f"第{rank}名，达到优秀分数线且在优秀名额{quota}个之内"
    elif by_band == EXCELLENT:
        grade = band_grade(total, [(g, m) for g, m in bands if g != EXCELLENT])
        note = f"第{rank}名，达到优秀分数线但超出优秀名额{quota}个，评为{grade}"
    else:
        grade, note = by_band, f"第{rank}名，按分数线评为{by_band}"
    return CohortGrade(base, total, rank, by_band, grade, note)


# --------------------------------------------------------------------------------------------------
# Status over time: events and changes
# --------------------------------------------------------------------------------------------------


class PoolEntry(_Frozen):
    """Entry into the Jiaxing cultivation pool (入库, 细则 第二章 三（二）4), on the listing date."""

    kind: Literal["pool-entry"] = "pool-entry"
    date: date
    document_number: str = ""


class AnnualEvaluation(_Frozen):
    """An annual evaluation result (年度绩效评价, 细则 第三章), published on ``date``.

    Attributes:
        year: the year evaluated.
        grade: 优秀/良好/合格/不合格 while in the pool (培育); 通过/不通过 once recognised.
        report_submitted: ``False`` when the annual report was not submitted in time: the grade is then
            不合格/不通过 (细则 第三章（三）) and ``grade`` may be left out.
        meets_provincial_guidance: whether the platform meets the provincial guidance's requirements for
            municipal platforms (细则 第三章, needed with two consecutive 优秀 to be listed).
    """

    kind: Literal["evaluation"] = "evaluation"
    date: date
    year: StrictInt
    grade: Grade | None = None
    report_submitted: StrictBool = True
    meets_provincial_guidance: StrictBool = True


class RectificationOutcome(_Frozen):
    """The outcome of a rectification (整改, 细则 第三章（二）) on ``date``: rectified and now passing, or not."""

    kind: Literal["rectification"] = "rectification"
    date: date
    rectified: StrictBool


class LevelRecognition(_Frozen):
    """A recognition (认定) at a level on ``date`` with its document (文件、文号)."""

    kind: Literal["recognition"] = "recognition"
    date: date
    level: Level
    document_number: str = ""


class Removal(_Frozen):
    """A dynamic-management removal (动态管理, 细则 第三章 (1)–(5)) or deregistration (注销法人登记).

    ``ground`` is a key of ``evaluation.removal_grounds`` (e.g. ``safety-environment-accident``).
    """

    kind: Literal["removal"] = "removal"
    date: date
    ground: str


StatusEvent = Annotated[
    PoolEntry | AnnualEvaluation | RectificationOutcome | LevelRecognition | Removal,
    Field(discriminator="kind"),
]
_STATUS_EVENTS: TypeAdapter[list[StatusEvent]] = TypeAdapter(list[StatusEvent])


def parse_status_events(data: Any) -> list[StatusEvent]:
    """Validate a list of event mappings (``kind`` picks the type); every problem reported at once."""
    try:
        return _STATUS_EVENTS.validate_python(data)
    except ValidationError as exc:
        raise _model_errors(exc, "events") from None


class BaseDesignation(_Frozen):
    """Designation as a 绍兴市科技成果转化中试基地 (评定, 绍兴中试基地方案 四（四)) on ``date``."""

    kind: Literal["designation"] = "designation"
    date: date
    document_number: str = ""


class BaseEvaluation(_Frozen):
    """A biennial evaluation round of a Shaoxing base (绍兴中试基地方案 五（三）), published on ``date``.

    Attributes:
        round_year: the year of the evaluation round.
        grade: 优秀/良好/合格/不合格 when the base took part.
        participated: ``False`` when the base did not take part.
        excused: when it did not take part, whether it had a reason accepted (``False`` = 无故不参加).
    """

    kind: Literal["evaluation"] = "evaluation"
    date: date
    round_year: StrictInt
    grade: Literal["优秀", "良好", "合格", "不合格"] | None = None
    participated: StrictBool = True
    excused: StrictBool = False


class BaseRevocation(_Frozen):
    """A ground for revoking a base (撤销评定, 附件 三（一）(二)(四)(五)); ``ground`` is a key of
    ``base.revocation.grounds``."""

    kind: Literal["revocation"] = "revocation"
    date: date
    ground: str


class AnnualReport(_Frozen):
    """A Shaoxing municipal platform's annual report (年度运行情况报告, 绍兴指引 六（三）) for ``year``:
    submitted, or recorded on ``date`` as not submitted."""

    kind: Literal["annual-report"] = "annual-report"
    date: date
    year: StrictInt
    submitted: StrictBool


BaseEvent = Annotated[BaseDesignation | BaseEvaluation | BaseRevocation | AnnualReport, Field(discriminator="kind")]
_BASE_EVENTS: TypeAdapter[list[BaseEvent]] = TypeAdapter(list[BaseEvent])


def parse_base_events(data: Any) -> list[BaseEvent]:
    """Validate a list of Shaoxing base event mappings; every problem reported at once."""
    try:
        return _BASE_EVENTS.validate_python(data)
    except ValidationError as exc:
        raise _model_errors(exc, "events") from None


@dataclass(frozen=True)
class StatusChange:
    """A dated change of status, with the clause that makes it.

    Attributes:
        date: the day the new status starts.
        status: ``pool`` | ``recognised`` | ``rectification`` | ``removed`` (Jiaxing);
            ``designated`` | ``revoked`` (Shaoxing bases).
        label: the status in Chinese.
        recognised: Jiaxing: whether the platform holds the 嘉兴市中试平台 title from this date.
        deadline: the rectification deadline (整改期限), while in rectification.
        clause: the clause that makes the change.
        note: what happened, in a short Chinese sentence.
        event: index of the input event that caused it; ``None`` when the passing of a deadline did.
    """

    date: date
    status: str
    label: str
    recognised: bool
    clause: str
    note: str
    event: int | None
    deadline: _Date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "status": self.status, "label": self.label,
                "recognised": self.recognised, "deadline": self.deadline.isoformat() if self.deadline else None,
                "clause": self.clause, "note": self.note, "event": self.event}


@dataclass(frozen=True)
class StatusTimeline:
    """The dated status changes of one platform or base, with the full trace.

    Attributes:
        rule_set: the rule set used.
        scheme: ``jiaxing`` or ``shaoxing-base``.
        as_of: the date the timeline runs to (events after it are not used), if given.
        changes: status changes in date order.
        trace: every step, including events that changed nothing.
        pending_deadline: Jiaxing: an open rectification deadline on ``as_of``.
        next_evaluation_year: Shaoxing: the round year the next evaluation is due, while designated.
    """

    rule_set: str
    scheme: str
    as_of: date | None
    changes: tuple[StatusChange, ...]
    trace: tuple[TraceStep, ...]
    pending_deadline: date | None = None
    next_evaluation_year: int | None = None

    def status_on(self, on: date) -> StatusChange | None:
        """The change in force on ``on`` (the last one dated on or before it), if any."""
        found: StatusChange | None = None
        for c in self.changes:
            if c.date <= on:
                found = c
        return found

    @property
    def current(self) -> StatusChange | None:
        return self.changes[-1] if self.changes else None

    def recognitions(self) -> tuple[StatusChange, ...]:
        """The changes on which the platform became a 嘉兴市中试平台 (title not held just before)."""
        out: list[StatusChange] = []
        held = False
        for c in self.changes:
            if c.recognised and not held:
                out.append(c)
            held = c.recognised
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_set": self.rule_set,
            "scheme": self.scheme,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "changes": [c.to_dict() for c in self.changes],
            "pending_deadline": self.pending_deadline.isoformat() if self.pending_deadline else None,
            "next_evaluation_year": self.next_evaluation_year,
            "trace": [t.to_dict() for t in self.trace],
        }


@dataclass
class _Rectification:
    deadline: date
    standing: Standing
    clause: str


class _Jiaxing:
    """The walk of :func:`status_timeline` (mutable state, local to one call)."""

    def __init__(self, rs: RuleSet, options: Options | None) -> None:
        self.rs = rs
        self.options = options
        self.status = "outside"
        self.recognised = False
        self.rect: _Rectification | None = None
        self.late_rectification_possible = False
        self.run: list[AnnualEvaluation] = []
        self.years: set[int] = set()
        self.changes: list[StatusChange] = []
        self.trace: list[TraceStep] = []
        self.issues: list[InputIssue] = []

    def p(self, name: str, on: date) -> Resolved:
        return _param(self.rs, name, on, self.options)

    def change(self, on: date, status: str, clause: str, note: str, event: int | None,
               deadline: date | None = None) -> None:
        self.status = status
        if status in ("pool", "removed"):
            self.recognised = False
        if status == "recognised":
            self.recognised = True
        c = StatusChange(on, status, STATUS_LABEL[status], self.recognised, clause, note, event, deadline)
        self.changes.append(c)
        self.trace.append(TraceStep("status", clause, note, {"date": on.isoformat(), "status": c.label}))

    def note(self, step: str, clause: str, note: str, on: date) -> None:
        self.trace.append(TraceStep(step, clause, note, {"date": on.isoformat()}))

    def in_pool(self) -> bool:
        return self.status in ("pool", "recognised", "rectification")

    def standing(self) -> Standing:
        return "recognised" if self.recognised else "pool"

    def remove(self) -> None:
        self.rect = None
        self.run = []
        self.years = set()

    def expire(self, before: date) -> None:
        """A rectification whose deadline passed before ``before`` ends in removal the day after it."""
        if self.rect is not None and self.rect.deadline < before:
            deadline = self.rect.deadline
            self.remove()
            self.change(deadline + timedelta(days=1), "removed", CL_EXPIRED,
                        f"整改期限{deadline}届满未完成整改，视为自动退库", None)
            self.late_rectification_possible = True

    def pool_entry(self, i: int, e: PoolEntry) -> None:
        if self.in_pool():
            self.issues.append(InputIssue(f"events[{i}]", CL_POOL_ENTRY,
                                          f"{e.date} 已在培育库中；平台在库期间只入库一次"))
            return
        restart = self.status == "removed"
        self.remove()
        doc = f"（{e.document_number}）" if e.document_number else ""
        if restart:
            self.change(e.date, "pool", f"{CL_POOL_ENTRY}；{CL_RESTART}",
                        f"退库后重新按“先培育再认定”入库{doc}，连续优秀重新计算", i)
        else:
            self.change(e.date, "pool", CL_POOL_ENTRY, f"列入嘉兴市中试平台培育库{doc}", i)

    # size: the evaluation rules of 细则 第三章 in order: who may be evaluated, the grade, rectification, removal
    def evaluation(self, i: int, e: AnnualEvaluation) -> None:
        f = f"events[{i}]"
        if not self.in_pool():
            self.issues.append(InputIssue(f, CL_EVALUATION,
                                          f"{e.date} 不在培育库中（状态：{STATUS_LABEL[self.status]}）；只评价培育库内的平台"))
            return
        if self.rect is not None:
            self.issues.append(InputIssue(f, CL_RECTIFIED,
                                          f"评价日期 {e.date} 在整改期内（{self.rect.deadline} 届满）；请在整改期满后评价"))
            return
        if e.year in self.years:
            self.issues.append(InputIssue(f"{f}.year", CL_EVALUATION, f"{e.year} 年度在本次在库期间已评价；每年度只评价一次"))
            return
        standing = self.standing()
        allowed, fail = (POOL_GRADES, FAILING) if standing == "pool" else (RECOGNISED_GRADES, FAIL)
        if not e.report_submitted:
            if e.grade is not None and e.grade != fail:
                self.issues.append(InputIssue(f"{f}.grade", CL_NO_REPORT,
                                              f"未提交年度报告，评价等次为{fail}，不是{e.grade}；请更正等次"))
                return
            grade = fail
            self.note("report-missing", CL_NO_REPORT, f"{e.year}年度未及时提交绩效评价材料，按“{fail}”评价", e.date)
        elif e.grade is None:
            self.issues.append(InputIssue(f"{f}.grade", CL_GRADES, "已提交年度报告的，须填写评价等次"))
            return
        elif e.grade not in allowed:
            self.issues.append(InputIssue(f"{f}.grade", CL_GRADES,
                                          f"{STANDING_LABEL[standing]}的评价等次须为 {'、'.join(allowed)} 之一，收到 {e.grade}"))
            return
        else:
            grade = e.grade
        self.years.add(e.year)
        self.note("evaluation", CL_GRADES, f"{STANDING_LABEL[standing]}{e.year}年度评价为“{grade}”", e.date)
        if grade == fail:
            months = self.p("evaluation.rectification_months", e.date)
            deadline = add_months(e.date, int(months.value))
            self.rect = _Rectification(deadline, standing, months.cite())
            self.run = []
            self.change(e.date, "rectification", months.cite(),
                        f"{e.year}年度评价为“{grade}”，限期整改{months.value}个月，至{deadline}", i, deadline)
            return
        if standing == "recognised":
            return
        if grade != EXCELLENT:
            self.run = []
            return
        self.run = [*self.run, e] if self.run and self.run[-1].year == e.year - 1 else [e]
        needed = self.p("recognition.consecutive_excellent", e.date)
        if len(self.run) < int(needed.value):
            return
        years = "、".join(str(x.year) for x in self.run[-int(needed.value):])
        if not e.meets_provincial_guidance:
            self.note("recognition", CL_GUIDANCE,
                      f"{years}年度连续优秀，但不符合省指引对市级中试平台的要求，暂不列为嘉兴市中试平台", e.date)
            return
        self.change(e.date, "recognised", needed.cite(),
                    f"在库期间{years}年度连续获评“优秀”，列为嘉兴市中试平台", i)

    def rectification(self, i: int, e: RectificationOutcome) -> None:
        if self.rect is None:
            if self.late_rectification_possible:
                self.late_rectification_possible = False
                self.note("rectification", CL_EXPIRED, f"整改结果（{e.date}）晚于整改期限，平台已自动退库", e.date)
                return
            self.issues.append(InputIssue(f"events[{i}]", CL_RECTIFIED,
                                          f"{e.date} 没有进行中的整改；请核对日期"))
            return
        rect = self.rect
        if e.rectified:
            self.rect = None
            back = rect.standing if not self.recognised else "recognised"
            self.change(e.date, back, f"{CL_RECTIFIED}；{rect.clause}",
                        f"整改期限{rect.deadline}内完成整改，恢复为{STATUS_LABEL[back]}", i)
        else:
            self.remove()
            self.change(e.date, "removed", CL_STILL_FAILING, "整改后仍不合格/不通过，视为自动退库", i)

    def recognition(self, i: int, e: LevelRecognition) -> None:
        doc = e.document_number or "无文号"
        if e.level == "municipal":
            if self.recognised:
                self.note("recognition", CL_MUNICIPAL_DOC, f"已是嘉兴市中试平台，认定文件（{doc}）", e.date)
                return
            if self.status == "rectification":
                self.recognised = True
                self.change(e.date, "rectification", CL_MUNICIPAL_DOC,
                            f"发文认定为嘉兴市中试平台（{doc}），整改仍需在期限内完成", i, self.rect.deadline if self.rect else None)
                return
            where = "" if self.status == "pool" else "（未记录在库，按认定文件）"
            self.change(e.date, "recognised", CL_MUNICIPAL_DOC, f"发文认定为嘉兴市中试平台{where}（{doc}）", i)
            return
        auto = self.p("recognition.auto_levels", e.date)
        name = "国家级" if e.level == "national" else "省级"
        if e.level not in tuple(auto.value):
            self.note("recognition", auto.cite(), f"获评{name}中试平台（{doc}），该级别不自动认定", e.date)
            return
        if self.recognised:
            self.note("recognition", auto.cite(), f"获评{name}中试平台（{doc}），已是嘉兴市中试平台", e.date)
            return
        if not self.in_pool():
            self.note("recognition", auto.cite(),
                      f"获评{name}中试平台（{doc}），但当时不在培育库，不自动认定为嘉兴市中试平台", e.date)
            return
        if self.status == "rectification":
            self.recognised = True
            self.change(e.date, "rectification", auto.cite(),
                        f"在库期间获评{name}中试平台（{doc}），自动认定为嘉兴市中试平台；整改仍需在期限内完成",
                        i, self.rect.deadline if self.rect else None)
            return
        self.change(e.date, "recognised", auto.cite(),
                    f"在库期间获评{name}中试平台（{doc}），自动认定为嘉兴市中试平台", i)

    def removal(self, i: int, e: Removal) -> None:
        grounds = self.p("evaluation.removal_grounds", e.date)
        table: Mapping[str, str] = grounds.value
        if e.ground not in table:
            self.issues.append(InputIssue(f"events[{i}].ground", grounds.cite(),
                                          f"事由 {e.ground!r} 不存在；可选：{'、'.join(table)}"))
            return
        if not self.in_pool():
            self.issues.append(InputIssue(f"events[{i}]", table[e.ground],
                                          f"{e.date} 不在培育库中（状态：{STATUS_LABEL[self.status]}）"))
            return
        self.remove()
        self.late_rectification_possible = False
        self.change(e.date, "removed", table[e.ground],
                    "不再纳入市级中试平台（培育）库管理，完善整改后须重新入库", i)


def _in_order(events: Sequence[Any], as_of: date | None) -> list[tuple[int, Any]]:
    indexed = [(i, e) for i, e in enumerate(events) if as_of is None or e.date <= as_of]
    return sorted(indexed, key=lambda ie: (ie[1].date, ie[0]))


def status_timeline(
    events: Sequence[StatusEvent],
    rule_set: RuleSet,
    *,
    as_of: date | None = None,
    options: Options | None = None,
) -> StatusTimeline:
    """The dated status changes of a Jiaxing platform (细则 第三章).

    Events are taken in date order (same-day events in input order); events after ``as_of`` are not
    used. A rectification deadline that passed before ``as_of`` (or before a later event) removes the
    platform on the day after the deadline. Inconsistent histories (an evaluation outside the pool, a
    rectification with none open, …) are refused, every problem at once.
    """
    w = _Jiaxing(rule_set, options)
    skipped = len(events)
    for i, e in _in_order(events, as_of):
        skipped -= 1
        w.expire(e.date)
        if e.kind != "rectification":
            w.late_rectification_possible = False
        if isinstance(e, PoolEntry):
            w.pool_entry(i, e)
        elif isinstance(e, AnnualEvaluation):
            w.evaluation(i, e)
        elif isinstance(e, RectificationOutcome):
            w.rectification(i, e)
        elif isinstance(e, LevelRecognition):
            w.recognition(i, e)
        else:
            w.removal(i, e)
    if as_of is not None:
        w.expire(as_of)
        if skipped:
            w.trace.append(TraceStep("as-of", CL_EVALUATION, f"{skipped}个晚于{as_of}的事件未计入",
                                     {"as_of": as_of.isoformat()}))
    if w.issues:
        raise InputErrors(w.issues)
    pending = w.rect.deadline if w.rect is not None else None
    return StatusTimeline(rule_set.id, "jiaxing", as_of, tuple(w.changes), tuple(w.trace), pending_deadline=pending)


def shaoxing_base_timeline(
    events: Sequence[BaseEvent],
    rule_set: RuleSet,
    *,
    as_of: date | None = None,
    options: Options | None = None,
) -> StatusTimeline:
    """Designation and revocation of a Shaoxing pilot base (绍兴中试基地方案 五（三）, 附件 三).

    Revoked (撤销评定) after ``base.revocation.consecutive_fail`` consecutive 不合格 results, after an
    evaluation missed without reason (无故不参加), or on a ground of ``base.revocation.grounds``. An excused
    absence neither counts as 不合格 nor breaks a run of them. A revoked base may be designated again in a
    later round (a new designation event). Evaluations are due every ``base.evaluation_interval_years``.
    """
    base = _walk(_BaseHistory(rule_set, options), events, as_of)
    next_year = base.next_evaluation(as_of)  # traced: before the trace is taken
    return StatusTimeline(rule_set.id, "shaoxing-base", as_of, tuple(base.changes), tuple(base.trace),
                          next_evaluation_year=next_year)


def _walk(history: _H, events: Sequence[BaseEvent], as_of: date | None) -> _H:
    """Take ``events`` in date order (none after ``as_of``) through ``history``; every problem at once."""
    skipped = len(events)
    for i, e in _in_order(events, as_of):
        skipped -= 1
        if isinstance(e, BaseDesignation):
            history.designate(i, e)
        elif isinstance(e, BaseEvaluation):
            history.evaluate(i, e)
        elif isinstance(e, AnnualReport):
            history.report(i, e)
        else:
            history.revoke(i, e)
    if as_of is not None and skipped:
        history.trace.append(TraceStep("as-of", history.DESIGNATION_CLAUSE, f"{skipped}个晚于{as_of}的事件未计入",
                                       {"as_of": as_of.isoformat()}))
    if history.issues:
        raise InputErrors(history.issues)
    return history


class _BaseHistory:
    """A Shaoxing pilot base's status as its events are taken in order, with the changes, the trace and the
    problems found (:func:`shaoxing_base_timeline`)."""

    DESIGNATED, OUT = "designated", "revoked"
    FAIL_PARAM = "base.revocation.consecutive_fail"
    DESIGNATION_CLAUSE, TITLE, OUT_NOTE = CL_SX_DESIGNATION, "评定为绍兴市科技成果转化中试基地", "撤销评定"
    AGAIN = "撤销后重新"

    def __init__(self, rule_set: RuleSet, options: Options | None) -> None:
        self.rule_set, self.options = rule_set, options
        self.changes: list[StatusChange] = []
        self.trace: list[TraceStep] = []
        self.issues: list[InputIssue] = []
        self.status = "outside"
        self.fails = self.absences = 0
        self.designated_year: int | None = None
        self.last_round: int | None = None
        self.reports_missing: list[int] = []

    def p(self, name: str, on: date) -> Resolved:
        return _param(self.rule_set, name, on, self.options)

    def change(self, on: date, new: str, clause: str, note: str, event: int) -> None:
        self.status = new
        self.changes.append(StatusChange(on, new, STATUS_LABEL[new], False, clause, note, event))
        self.trace.append(TraceStep("status", clause, note, {"date": on.isoformat(), "status": STATUS_LABEL[new]}))

    def designate(self, i: int, e: BaseDesignation) -> None:
        if self.status == self.DESIGNATED:
            self.issues.append(InputIssue(f"events[{i}]", self.DESIGNATION_CLAUSE, f"{e.date} 已被评定；不能重复评定"))
            return
        again = self.status == self.OUT
        self.fails = self.absences = 0
        self.designated_year, self.last_round = e.date.year, None
        self.reports_missing = []
        doc = f"（{e.document_number}）" if e.document_number else ""
        clause = self.DESIGNATION_CLAUSE
        self.change(e.date, self.DESIGNATED, f"{clause}；{CL_SX_RESTART}" if again and self.OUT == "revoked" else clause,
                    f"{self.AGAIN if again else ''}{self.TITLE}{doc}", i)

    def evaluate(self, i: int, e: BaseEvaluation) -> None:
        f = f"events[{i}]"
        interval = self.p("base.evaluation_interval_years", e.date)
        if self.status != "designated" or self.designated_year is None:
            self.issues.append(InputIssue(f, interval.cite(), f"{e.date} 不是已评定的基地；请核对日期"))
            return
        last_round = self.last_round
        if (last_round is not None and e.round_year <= last_round) or e.round_year < self.designated_year:
            self.issues.append(InputIssue(f"{f}.round_year", interval.cite(),
                                          f"评价轮次 {e.round_year} 年不晚于上一轮 "
                                          f"{last_round if last_round is not None else '（评定 ' + str(self.designated_year) + '）'}；请核对轮次年度"))
            return
        if last_round is not None and e.round_year - last_round < int(interval.value):
            self.trace.append(TraceStep("interval", interval.cite(),
                                        f"{e.round_year}年评价距上次（{last_round}年）不足{interval.value}年",
                                        {"date": e.date.isoformat()}))
        if e.participated:
            self.graded(i, e, interval)
        else:
            self.absent(i, e, interval)

    def absent(self, i: int, e: BaseEvaluation, interval: Resolved) -> None:
        """An evaluation the base did not take part in: excused, or counted towards revocation."""
        if e.grade is not None:
            self.issues.append(InputIssue(f"events[{i}].grade", interval.cite(),
                                          "未参加评价的基地没有等次；请删去等次"))
            return
        self.last_round = e.round_year
        if e.excused:
            self.trace.append(TraceStep("evaluation", interval.cite(),
                                        f"{e.round_year}年度评价因故未参加（理由已认可），不计为不合格",
                                        {"date": e.date.isoformat()}))
            return
        self.absences += 1
        limit = self.p("base.revocation.unexcused_absences", e.date)
        self.trace.append(TraceStep("evaluation", limit.cite(), f"{e.round_year}年度无故不参加绩效评价",
                                    {"date": e.date.isoformat()}))
        if self.absences >= int(limit.value):
            self.change(e.date, "revoked", limit.cite(), f"{e.round_year}年度无故不参加绩效评价，撤销评定", i)

    def graded(self, i: int, e: BaseEvaluation, interval: Resolved) -> None:
        """An evaluation with its grade: consecutive 不合格 revoke."""
        if e.grade is None:
            self.issues.append(InputIssue(f"events[{i}].grade", interval.cite(),
                                          "参加评价的基地须填写等次"))
            return
        self.last_round = e.round_year
        self.trace.append(TraceStep("evaluation", interval.cite(), f"{e.round_year}年度评价为“{e.grade}”",
                                    {"date": e.date.isoformat()}))
        self.fails = self.fails + 1 if e.grade == FAILING else 0
        needed = self.p(self.FAIL_PARAM, e.date)
        if self.fails >= int(needed.value):
            self.change(e.date, self.OUT, needed.cite(), f"连续{self.fails}次绩效评价“不合格”，{self.OUT_NOTE}", i)

    def report(self, i: int, e: AnnualReport) -> None:
        self.issues.append(InputIssue(f"events[{i}]", CL_SX_REPORT,
                                      "年度报告属于市级平台（shaoxing_platform_timeline），不属于基地；请删去该事项"))

    def revoke(self, i: int, e: BaseRevocation) -> None:
        f = f"events[{i}]"
        grounds = self.p("base.revocation.grounds", e.date)
        table: Mapping[str, str] = grounds.value
        if e.ground not in table:
            self.issues.append(InputIssue(f"{f}.ground", grounds.cite(),
                                          f"事由 {e.ground!r} 不存在；可选：{'、'.join(table)}"))
            return
        if self.status != "designated":
            self.issues.append(InputIssue(f, table[e.ground], f"{e.date} 不是已评定的基地；请核对日期"))
            return
        self.change(e.date, "revoked", table[e.ground], "撤销评定", i)

    def next_evaluation(self, as_of: date | None) -> int | None:
        """The year the next evaluation is due, for a base still designated (traced)."""
        if self.status != "designated" or self.designated_year is None:
            return None
        on = as_of or self.changes[-1].date
        interval = self.p("base.evaluation_interval_years", on)
        next_year = (self.last_round if self.last_round is not None else self.designated_year) + int(interval.value)
        self.trace.append(TraceStep("next-evaluation", interval.cite(), f"下次绩效评价应于{next_year}年进行",
                                    {"next_evaluation_year": str(next_year)}))
        return next_year


class _PlatformHistory(_BaseHistory):
    """A Shaoxing municipal platform (绍兴市现代化中试平台, 绍兴指引): cancelled (取消资格) after
    ``municipal_platform.cancellation.missing_reports`` consecutive years without an annual report, or
    ``municipal_platform.cancellation.consecutive_fail`` consecutive 不合格 (六（三）)."""

    DESIGNATED, OUT = "sx-platform", "cancelled"
    FAIL_PARAM = "municipal_platform.cancellation.consecutive_fail"
    DESIGNATION_CLAUSE, TITLE, OUT_NOTE = CL_SX_PLATFORM, "认定为绍兴市现代化中试平台", "取消市级现代化中试平台资格"
    AGAIN = "取消资格后重新"

    def evaluate(self, i: int, e: BaseEvaluation) -> None:
        """An evaluation (视情开展, no fixed interval): graded; a missed one is not a ground in the guidance."""
        needed = self.p(self.FAIL_PARAM, e.date)
        if self.status != self.DESIGNATED:
            self.issues.append(InputIssue(f"events[{i}]", needed.cite(), f"{e.date} 不是市级平台；请核对日期"))
            return
        if not e.participated:
            self.issues.append(InputIssue(f"events[{i}].participated", needed.cite(),
                                          "绍兴指引未规定未参加评价的后果；请登记评价等次"))
            return
        self.graded(i, e, needed)

    def revoke(self, i: int, e: BaseRevocation) -> None:
        self.issues.append(InputIssue(f"events[{i}]", CL_SX_REPORT,
                                      "绍兴指引未列撤销事由；请通过年度报告和评价登记"))

    def report(self, i: int, e: AnnualReport) -> None:
        """An annual report submitted (resets the run) or missing (counts towards cancellation)."""
        limit = self.p("municipal_platform.cancellation.missing_reports", e.date)
        if self.status != self.DESIGNATED:
            self.issues.append(InputIssue(f"events[{i}]", limit.cite(), f"{e.date} 不是市级平台；请核对日期"))
            return
        values = {"date": e.date.isoformat(), "year": str(e.year)}
        if e.submitted:
            self.reports_missing = []
            self.trace.append(TraceStep("annual-report", CL_SX_REPORT, f"{e.year}年度运行情况报告已提交", values))
            return
        run = self.reports_missing
        self.reports_missing = [*run, e.year] if run and run[-1] == e.year - 1 else [e.year]
        self.trace.append(TraceStep("annual-report", limit.cite(), f"{e.year}年度运行情况报告未提交", values))
        if len(self.reports_missing) >= int(limit.value):
            years = "、".join(str(y) for y in self.reports_missing)
            self.change(e.date, self.OUT, limit.cite(), f"{years}年度连续未提交年度运行情况报告，{self.OUT_NOTE}", i)


def shaoxing_platform_timeline(
    events: Sequence[BaseEvent],
    rule_set: RuleSet,
    *,
    as_of: date | None = None,
    options: Options | None = None,
) -> StatusTimeline:
    """Recognition and cancellation of a Shaoxing municipal platform (绍兴指引 五（三）, 六（三）).

    Events: ``designation`` (认定), ``annual-report`` (submitted or not), ``evaluation`` (graded; the
    guidance evaluates 视情, so ``round_year`` is the year evaluated), ``revocation`` is not a ground of the
    guidance and is refused. Cancelled from the date of the event that completes the run; a cancelled
    platform may be recognised again (a new designation).
    """
    platform = _walk(_PlatformHistory(rule_set, options), events, as_of)
    return StatusTimeline(rule_set.id, "shaoxing-platform", as_of, tuple(platform.changes), tuple(platform.trace))
