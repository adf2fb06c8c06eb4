"""附件2 嘉兴市中试平台（培育）年度绩效评价 score sheet for one platform's year.

The evaluation record is the platform event of kind ``evaluation`` for that year (scheme ``jiaxing``):
its date and recorded grade. The ledger has no columns for indicator scores; when the record's ``note``
holds a JSON object ``{"scores": {"一级/二级": "points", …}, "bonus": {"标志性成果": "points"},
"standing": "pool" | "recognised"}``, the sheet is scored by ``calculators.evaluation.score_annex2``
(weights, bands and pass mark from the rule set in force on the evaluation date) and the computed grade is
set beside the recorded one. Without scores, the sheet is the blank scoring table for the year with the
recorded grade. The indicator weights always come from the rule set (``evaluation.indicators``,
``evaluation.first_level``, ``evaluation.bonus``); the 三级指标 wording is the document's (seed 000 附件2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from calculators.errors import InputErrors
from calculators.evaluation import score_annex2, standing_of
from calculators.labels import rule_set_title
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import RuleSet
from ledger.models import Platform, PlatformEvent
from reports.xlsx import (
    CENTER,
    GRID,
    HEADER_FILL,
    LEFT,
    TITLE_FONT,
    Formula,
    ReportError,
    a4,
    cn_date,
    font,
    put,
    save,
)

TITLE = "嘉兴市中试平台（培育）年度绩效评价表"
# 附件2 三级指标, verbatim (line breaks of the print joined).
THIRD_LEVEL = {
    "目标定位/总体定位": "定位是否准确，目标是否明确，特色是否鲜明，研究方向是否聚焦",
    "目标定位/目标任务": "对照短期和中长期目标，各项任务完成情况",
    "中试基础/中试场地": "相对集中的中试场地，不少于 500 平方米",
    "中试基础/仪器设备": "科研仪器设备原值情况，不少于 300 万",
    "中试基础/中试投入": "上年度中试经费投入情况，如中试人才投入、中试材料投入等，不少于 200 万",
    "人才聚集/人才引进": "国家级、省级、市级科技领域领军人才",
    "人才聚集/研发团队": "全部研发人员情况，包括全职、兼职、柔性引进等情况",
    "人才聚集/人才结构": "具有硕士以上或高级职称人员数的比重",
    "人才聚集/人才培养": "科教融合培养产业人才数（含自主培养与联合培养），服务企业联合培养人才等情况",
    "科研攻关/科研任务": "承担国家级、省级科研任务情况",
    "科研攻关/科研成果": "上年度新产品、新工艺验收情况；获得知识产权情况、主持制定各类标准情况",
    "科研攻关/科技奖励": "获得有重大影响的奖励情况",
    "成果转化/成果转化": "科技成果转化情况，如产品被认定为首台（套）、技术转让收入、孵化企业产值等",
    "成果转化/造血能力": "累计技术开发、咨询、服务费用；非财政资金收入占总收入的比例",
    "成果转化/产业培育": "孵化/服务企业数量",
    "管理运行/体制机制": "规范制度建设（现代化管理、市场化运行、多元化投入、灵活化用人等体制机制创新，以及财务预算制度、项目管理等制度）",
    "管理运行/开放与交流": "仪器设备共享情况、国内外学术交流情况、科普宣传等",
    "管理运行/中试服务机制": "建立系统化的中试服务收费标准和规范化的服务机制",
}
BONUS_TEXT = {"标志性成果": "国家级、省级重大平台；凝练创新性举措、特色亮点。"}
RECOGNISED_GRADES = ("通过", "不通过")


@dataclass(frozen=True)
class IndicatorLine:
    first: str
    first_weight: int
    second: str
    weight: int
    description: str
    score: Decimal | None


@dataclass(frozen=True)
class EvaluationSheet:
    platform_code: str
    platform_name: str
    operator: str
    year: int
    evaluated_on: date
    rule_set: str
    standing: str
    indicators: tuple[IndicatorLine, ...]
    bonus: tuple[tuple[str, int, str, Decimal | None], ...]
    base_total: Decimal | None
    bonus_total: Decimal | None
    total: Decimal | None
    computed_grade: str | None
    recorded_grade: str | None
    note: str

    @property
    def grades_agree(self) -> bool | None:
        if self.computed_grade is None or self.recorded_grade is None:
            return None
        return self.computed_grade == self.recorded_grade


def _rule_set(on: date) -> RuleSet:
    candidates = [rs for rs in rulebook().rule_sets.values() if rs.has("evaluation.indicators")]
    in_force = [rs for rs in candidates if rs.in_force(on)]
    pool = in_force or [rs for rs in candidates if rs.in_force_from <= on] or candidates
    if not pool:
        raise ReportError("没有规则集规定评价指标（evaluation.indicators）；请载入附件2的规则集")
    return max(pool, key=lambda rs: rs.in_force_from)


def _parse_note(note: str) -> dict[str, Any]:
    text = (note or "").strip()
    if not text.startswith("{"):
        return {}
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# size: reads the evaluation record, its scores and the rule set's weights for one sheet; each refusal names what is missing
def load(session: Session, platform_code: str, year: int) -> EvaluationSheet:
    platform = session.execute(select(Platform).where(Platform.code == platform_code)).scalar_one_or_none()
    if platform is None:
        raise ReportError(f"平台编号 {platform_code!r} 不存在；请核对平台编号")
    event = session.execute(
        select(PlatformEvent).where(PlatformEvent.platform_id == platform.id, PlatformEvent.kind == "evaluation",
                                    PlatformEvent.year == year)
        .order_by(PlatformEvent.date.desc(), PlatformEvent.id.desc())
    ).scalars().first()
    if event is None:
        raise ReportError(f"平台 {platform_code} 没有 {year} 年度的评价记录；请先登记评价")
    if event.scheme not in (None, "", "jiaxing"):
        raise ReportError(f"平台 {platform_code} 的 {year} 年度评价按 {event.scheme} 体系评价，不是附件2；该评分表只用于附件2的评价")
    on = event.date
    rs = _rule_set(on)
    weights: dict[str, int] = {k: int(v) for k, v in rs.param("evaluation.indicators", on).value.items()}
    first_weights: dict[str, int] = {k: int(v) for k, v in rs.param("evaluation.first_level", on).value.items()}
    bonus_max: dict[str, int] = {k: int(v) for k, v in rs.param("evaluation.bonus", on).value.items()}
    data = _parse_note(event.note)
    standing = str(data.get("standing") or ("recognised" if event.grade in RECOGNISED_GRADES else "pool"))
    scores = data.get("scores")
    bonus = data.get("bonus") or {}
    sheet = None
    if isinstance(scores, dict):
        try:
            sheet = score_annex2(scores, bonus, rs, on, standing=standing_of(standing))
        except InputErrors as exc:
            raise ReportError(f"平台 {platform_code} 的 {year} 年度评价分数有误："
                              + "；".join(f"{i.field}：{i.message}" for i in exc.issues)) from None
    scored = {i.key: i.score for i in sheet.indicators} if sheet else {}
    bonus_scored = dict(sheet.bonus_items) if sheet else {}
    lines = tuple(IndicatorLine(key.partition("/")[0], first_weights.get(key.partition("/")[0], 0),
                                key.partition("/")[2], w, THIRD_LEVEL.get(key, ""), scored.get(key))
                  for key, w in weights.items())
    return EvaluationSheet(
        platform_code=platform.code, platform_name=platform.name, operator=platform.operator, year=year,
        evaluated_on=on, rule_set=rs.id, standing=standing, indicators=lines,
        bonus=tuple((k, m, BONUS_TEXT.get(k, ""), bonus_scored.get(k)) for k, m in bonus_max.items()),
        base_total=sheet.base_total if sheet else None, bonus_total=sheet.bonus if sheet else None,
        total=sheet.total if sheet else None, computed_grade=sheet.grade if sheet else None,
        recorded_grade=event.grade, note="" if data else (event.note or ""),
    )


def _cell(ws: Any, ref: str, value: Any, *, bold: bool = False, align: Any = CENTER, fmt: str | None = None,
          size: float = 11, fill: Any = None) -> None:
    c = put(ws[ref], value)
    c.font = font(size, bold=bold)
    c.alignment = align
    c.border = GRID
    if fmt:
        c.number_format = fmt
    if fill is not None:
        c.fill = fill


def _score_fmt(d: Decimal | None) -> str:
    if d is None:
        return "General"
    exp = d.normalize().as_tuple().exponent
    places = max(0, -exp) if isinstance(exp, int) else 0
    return "0" + ("." + "0" * places if places else "")


# size: lays out the printed 附件2 sheet top to bottom: head, indicators, bonus, totals, grades; cell positions read in order
def workbook(data: EvaluationSheet) -> Workbook:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{data.year}年度评价"
    for col, width in zip("ABCDE", (14, 16, 8, 60, 10), strict=True):
        ws.column_dimensions[col].width = width
    ws.merge_cells("A1:E1")
    put(ws["A1"], TITLE)
    ws["A1"].font = font(16, bold=True, name=TITLE_FONT)
    ws["A1"].alignment = CENTER
    ws.row_dimensions[1].height = 34
    info = [f"平台名称：{data.platform_name}（{data.platform_code}）", f"依托单位：{data.operator}",
            f"评价年度：{data.year}年度    评价日期：{cn_date(data.evaluated_on)}    "
            f"类别：{'嘉兴市中试平台' if data.standing == 'recognised' else '嘉兴市中试平台（培育）'}    "
            f"规则集：{rule_set_title(data.rule_set)}"]
    row = 2
    for text in info:
        ws.merge_cells(f"A{row}:E{row}")
        put(ws[f"A{row}"], text)
        ws[f"A{row}"].font = font(11)
        ws[f"A{row}"].alignment = LEFT
        row += 1
    for col, heading in zip("ABCDE", ("一级指标", "二级指标", "分值", "三级指标（评价内容）", "得分"), strict=True):
        _cell(ws, f"{col}{row}", heading, bold=True, fill=HEADER_FILL)
    header = row
    row += 1
    first_row = row
    start: dict[str, int] = {}
    for line in data.indicators:
        start.setdefault(line.first, row)
        _cell(ws, f"A{row}", f"{line.first}\n（{line.first_weight}分）")
        _cell(ws, f"B{row}", line.second)
        _cell(ws, f"C{row}", line.weight)
        _cell(ws, f"D{row}", line.description, align=LEFT)
        _cell(ws, f"E{row}", line.score, fmt=_score_fmt(line.score))
        ws.row_dimensions[row].height = 30
        row += 1
    last_indicator = row - 1
    for first, r0 in start.items():
        r1 = max(i for i, line in enumerate(data.indicators, first_row) if line.first == first)
        if r1 > r0:
            ws.merge_cells(f"A{r0}:A{r1}")
    for name, maximum, text, score in data.bonus:
        _cell(ws, f"A{row}", "加分项")
        _cell(ws, f"B{row}", name)
        _cell(ws, f"C{row}", maximum)
        _cell(ws, f"D{row}", text, align=LEFT)
        _cell(ws, f"E{row}", score, fmt=_score_fmt(score))
        row += 1
    last_bonus = row - 1
    totals = [("指标得分（100分）", data.base_total), ("加分", data.bonus_total), ("总分", data.total)]
    for label, value in totals:
        ws.merge_cells(f"A{row}:D{row}")
        _cell(ws, f"A{row}", label, bold=True)
        _cell(ws, f"E{row}", value, bold=True, fmt=_score_fmt(value))
        row += 1
    ws.merge_cells(f"A{row}:D{row}")
    _cell(ws, f"A{row}", "总分（公式核对）", align=CENTER)
    _cell(ws, f"E{row}", Formula(f"SUM(E{first_row}:E{last_indicator})+SUM(E{last_indicator + 1}:E{last_bonus})"))
    row += 1
    grade_lines = [("评价等级（按规则集计算）", data.computed_grade or "—"),
                   ("评价等级（评价记录）", data.recorded_grade or "—")]
    if data.grades_agree is False:
        grade_lines.append(("核对", "计算等级与记录等级不一致"))
    for label, grade in grade_lines:
        ws.merge_cells(f"A{row}:D{row}")
        _cell(ws, f"A{row}", label, bold=True)
        _cell(ws, f"E{row}", grade, bold=True)
        row += 1
    if data.note:
        ws.merge_cells(f"A{row}:E{row}")
        _cell(ws, f"A{row}", f"备注：{data.note}", align=LEFT)
        row += 1
    ws.freeze_panes = f"A{header + 1}"
    a4(ws, fit_width=1, fit_height=1)
    ws.print_area = f"A1:E{row - 1}"
    return wb


def write(session: Session, platform_code: str, year: int, out: str | Path) -> Path:
    return save(workbook(load(session, platform_code, year)), out)
