"""Evaluation (绩效评价): Annex 2 scoring, the Jiaxing status timeline, Shaoxing base scoring, cohort
grading and revocation. Worked examples with literal expected values, then properties."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculators.errors import InputErrors, RuleSetError
from calculators.evaluation import (
    EXCELLENT,
    AnnualEvaluation,
    BaseDesignation,
    BaseEvaluation,
    BaseRevocation,
    LevelRecognition,
    PoolEntry,
    RectificationOutcome,
    Removal,
    ScoreSheet,
    add_months,
    add_years,
    grade_shaoxing_cohort,
    parse_base_events,
    parse_points,
    parse_status_events,
    score_annex2,
    score_shaoxing,
    shaoxing_base_timeline,
    status_timeline,
)
from calculators.facts import Facts
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import Options
from calculators.scenario import EvaluationRecord, PlatformInfo, PoolSpell, Scenario

JX = rulebook().get("jiaxing-rules-2026")
SX = rulebook().get("shaoxing-base-plan")
ON = date(2026, 3, 1)

# A worked Annex 2 sheet: 82 points on the indicators.
ANNEX2 = {
    "目标定位/总体定位": "2.5", "目标定位/目标任务": "2",                                   # 4.5
    "中试基础/中试场地": "5", "中试基础/仪器设备": "8", "中试基础/中试投入": "7.5",           # 20.5
    "人才聚集/人才引进": "2", "人才聚集/研发团队": "4", "人才聚集/人才结构": "3.5",
    "人才聚集/人才培养": "1",                                                             # 10.5
    "科研攻关/科研任务": "2", "科研攻关/科研成果": "4", "科研攻关/科技奖励": "1",             # 7
    "成果转化/成果转化": "8", "成果转化/造血能力": "15", "成果转化/产业培育": "4",             # 27
    "管理运行/体制机制": "2", "管理运行/开放与交流": "6", "管理运行/中试服务机制": "4.5",     # 12.5
}


def issues_of(exc: pytest.ExceptionInfo[InputErrors]) -> dict[str, str]:
    return {i.field: i.rule for i in exc.value.issues}


# ---------------------------------------------------------------- period arithmetic (民法典 第二百零二条)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2027, 3, 10), 1, date(2027, 4, 10)),
    (date(2027, 1, 31), 1, date(2027, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2027, 12, 15), 1, date(2028, 1, 15)),
    (date(2026, 3, 1), -36, date(2023, 3, 1)),
])
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_years_from_29_february_ends_on_28_february() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)


# ---------------------------------------------------------------- Annex 2 scoring (细则 附件2)


def test_annex2_worked_example_pool_platform() -> None:
    sheet = score_annex2(ANNEX2, {"标志性成果": "8"}, JX, ON)
    assert [(g.name, g.score, g.weight) for g in sheet.groups] == [
        ("目标定位", Decimal("4.5"), 5), ("中试基础", Decimal("20.5"), 25), ("人才聚集", Decimal("10.5"), 15),
        ("科研攻关", Decimal("7"), 10), ("成果转化", Decimal("27"), 30), ("管理运行", Decimal("12.5"), 15),
    ]
    assert sheet.base_total == Decimal("82")
    assert sheet.bonus == Decimal("8")
    assert sheet.total == Decimal("90")
    assert sheet.grade == "优秀"  # 90 reaches the 优秀 band (≥ 90) only with the bonus
    assert [t.step for t in sheet.trace] == ["indicators", "groups", "bonus", "total", "grade"]
    assert sheet.trace[-1].clause.startswith("细则 第三章")
    assert sheet.trace[0].clause.startswith("细则 附件2")
    d = sheet.to_dict()
    assert d["total"] == "90" and d["groups"][0] == {"name": "目标定位", "score": "4.5", "weight": 5}


def test_annex2_without_bonus_is_good_not_excellent() -> None:
    sheet = score_annex2(ANNEX2, None, JX, ON)
    assert (sheet.total, sheet.grade) == (Decimal("82"), "良好")
    assert dict(sheet.bonus_items) == {"标志性成果": Decimal("0")}


@pytest.mark.parametrize(("changes", "total", "grade"), [
    ({}, "82", "良好"),
    ({"成果转化/造血能力": "8"}, "75", "良好"),
    ({"成果转化/造血能力": "7.5"}, "74.5", "合格"),
    ({"成果转化/造血能力": "0", "成果转化/成果转化": "1"}, "60", "合格"),
    ({"成果转化/造血能力": "0", "成果转化/成果转化": "0.5"}, "59.5", "不合格"),
])
def test_annex2_bands_are_inclusive_lower_bounds(changes: dict[str, str], total: str, grade: str) -> None:
    sheet = score_annex2(dict(ANNEX2, **changes), None, JX, ON)
    assert (sheet.total, sheet.grade) == (Decimal(total), grade)


def test_annex2_recognised_platform_is_pass_or_fail() -> None:
    assert score_annex2(ANNEX2, None, JX, ON, standing="recognised").grade == "通过"
    low = {k: "0" for k in ANNEX2} | {"中试基础/仪器设备": "10", "中试基础/中试投入": "10", "成果转化/造血能力": "15",
                                      "成果转化/成果转化": "10", "管理运行/开放与交流": "8", "人才聚集/研发团队": "5"}
    sheet = score_annex2(low, {"标志性成果": "1.5"}, JX, ON, standing="recognised")
    assert sheet.total == Decimal("59.5")
    assert sheet.grade == "不通过"
    assert "60" in sheet.trace[-1].note and sheet.trace[-1].clause.startswith("细则 第三章")


def test_annex2_every_problem_reported_at_once_with_its_clause() -> None:
    scores = dict(ANNEX2)
    del scores["目标定位/目标任务"]                 # missing
    scores["中试基础/仪器设备"] = "10.5"            # above its weight (10)
    scores["人才聚集/人才引进"] = "-1"              # negative
    scores["科研攻关/科研任务"] = 2.5               # a float
    scores["管理运行/财务"] = "1"                   # unknown
    with pytest.raises(InputErrors) as exc:
        score_annex2(scores, {"标志性成果": "11", "专利": "1"}, JX, ON)  # type: ignore[dict-item]
    found = issues_of(exc)
    assert set(found) == {
        "scores.目标定位/目标任务", "scores.中试基础/仪器设备", "scores.人才聚集/人才引进", "scores.科研攻关/科研任务",
        "scores.管理运行/财务", "bonus.标志性成果", "bonus.专利",
    }
    assert "仪器设备（10分）" in found["scores.中试基础/仪器设备"]
    assert found["scores.中试基础/仪器设备"].startswith("细则 附件2")
    assert "不接受浮点数" in found["scores.科研攻关/科研任务"]
    assert "最高10分" in found["bonus.标志性成果"]
    assert found["bonus.专利"].startswith("细则 附件2 加分项")


@pytest.mark.parametrize("bad", [1.0, True, "x", "NaN", None, [1]])
def test_points_refuse_floats_and_non_numbers_naming_the_field(bad: object) -> None:
    with pytest.raises(InputErrors) as exc:
        parse_points(bad, field="scores.a")
    assert exc.value.issues[0].field == "scores.a"


def test_points_accept_str_int_decimal() -> None:
    assert parse_points(" 2.50 ", field="f") == Decimal("2.5")
    assert parse_points(3, field="f") == Decimal(3)
    assert parse_points(Decimal("0.1"), field="f") == Decimal("0.1")


def test_bands_are_policy_data_what_if() -> None:
    opts = Options(overrides={"evaluation.grade_bands": {"优秀": 80, "良好": 70, "合格": 50}})
    sheet = score_annex2(ANNEX2, None, JX, ON, options=opts)
    assert sheet.grade == "优秀"
    assert "（假设测算）" in sheet.trace[-1].clause


def test_bands_out_of_order_are_a_rule_set_error() -> None:
    opts = Options(overrides={"evaluation.grade_bands": {"优秀": 70, "良好": 80, "合格": 60}})
    with pytest.raises(RuleSetError) as exc:
        score_annex2(ANNEX2, None, JX, ON, options=opts)
    assert "evaluation.grade_bands" in exc.value.key


def test_indicator_table_must_add_up_to_first_level_weights() -> None:
    opts = Options(overrides={"evaluation.first_level": {"目标定位": 6, "中试基础": 25, "人才聚集": 15,
                                                         "科研攻关": 10, "成果转化": 30, "管理运行": 15}})
    with pytest.raises(RuleSetError) as exc:
        score_annex2(ANNEX2, None, JX, ON, options=opts)
    assert "目标定位" in exc.value.key and "之和为 5，应为 6" in exc.value.message


def test_a_rule_set_without_annex2_is_refused() -> None:
    with pytest.raises(InputErrors) as exc:
        score_annex2(ANNEX2, None, rulebook().get("zhejiang-2025"), ON)
    assert exc.value.issues[0].field == "rule_set"


WEIGHTS = JX.param("evaluation.indicators", ON).value
GRADE_RANK = {"不合格": 0, "合格": 1, "良好": 2, "优秀": 3}


def _tenths(maximum: int) -> st.SearchStrategy[Decimal]:
    return st.integers(0, maximum * 10).map(lambda n: Decimal(n) / 10)


SHEETS = st.fixed_dictionaries({k: _tenths(int(w)) for k, w in WEIGHTS.items()})


@settings(max_examples=60, deadline=None)
@given(SHEETS, _tenths(10), SHEETS, _tenths(10))
def test_annex2_totals_are_sums_and_grade_is_monotonic(
    a: dict[str, Decimal], ba: Decimal, b: dict[str, Decimal], bb: Decimal
) -> None:
    sa = score_annex2(a, {"标志性成果": ba}, JX, ON)
    sb = score_annex2(b, {"标志性成果": bb}, JX, ON)
    for s, scores, bonus in ((sa, a, ba), (sb, b, bb)):
        assert s.base_total == sum(scores.values(), Decimal(0))
        assert s.total == s.base_total + bonus
        assert s.base_total == sum((g.score for g in s.groups), Decimal(0))
        for g in s.groups:
            assert g.score == sum((v for k, v in scores.items() if k.startswith(g.name + "/")), Decimal(0))
            assert Decimal(0) <= g.score <= g.weight
    if sa.total <= sb.total:
        assert GRADE_RANK[sa.grade or ""] <= GRADE_RANK[sb.grade or ""]
    else:
        assert GRADE_RANK[sa.grade or ""] >= GRADE_RANK[sb.grade or ""]
    rec = score_annex2(a, {"标志性成果": ba}, JX, ON, standing="recognised")
    assert rec.grade == ("通过" if rec.total >= 60 else "不通过")


# ---------------------------------------------------------------- Jiaxing status timeline (细则 第三章)


def ev(year: int, grade: str | None, on: date | None = None, **kw: object) -> AnnualEvaluation:
    return AnnualEvaluation(date=on or date(year + 1, 3, 10), year=year, grade=grade, **kw)  # type: ignore[arg-type]


def summary(tl: object) -> list[tuple[str, str, bool]]:
    return [(c.date.isoformat(), c.status, c.recognised) for c in tl.changes]  # type: ignore[attr-defined]


def test_two_consecutive_excellent_make_a_municipal_platform() -> None:
    tl = status_timeline([PoolEntry(date=date(2026, 3, 1), document_number="嘉经信〔2026〕1号"),
                          ev(2026, "优秀"), ev(2027, "优秀")], JX)
    assert summary(tl) == [("2026-03-01", "pool", False), ("2028-03-10", "recognised", True)]
    rec = tl.changes[-1]
    assert rec.clause == "细则 第三章：两年连续获评“优秀”的……列为嘉兴市中试平台（解读 R-13）"
    assert "2026、2027年度连续获评“优秀”" in rec.note
    assert tl.recognitions() == (rec,)
    assert "嘉经信〔2026〕1号" in tl.changes[0].note


def test_excellent_run_broken_by_good_or_a_gap_year() -> None:
    tl = status_timeline([PoolEntry(date=date(2026, 3, 1)), ev(2026, "优秀"), ev(2027, "良好"),
                          ev(2028, "优秀"), ev(2030, "优秀")], JX)
    assert summary(tl) == [("2026-03-01", "pool", False)]
    tl2 = status_timeline([PoolEntry(date=date(2026, 3, 1)), ev(2026, "优秀"), ev(2027, "良好"),
                           ev(2028, "优秀"), ev(2029, "优秀")], JX)
    assert summary(tl2)[-1] == ("2030-03-10", "recognised", True)


def test_provincial_guidance_condition_defers_recognition() -> None:
    tl = status_timeline([PoolEntry(date=date(2026, 3, 1)), ev(2026, "优秀"),
                          ev(2027, "优秀", meets_provincial_guidance=False), ev(2028, "优秀")], JX)
    assert summary(tl) == [("2026-03-01", "pool", False), ("2029-03-10", "recognised", True)]
    assert any("不符合省指引" in t.note and "浙江省现代化中试平台建设工作指引" in t.clause for t in tl.trace)


def test_provincial_recognition_while_in_pool_is_automatic() -> None:
    tl = status_timeline([PoolEntry(date=date(2026, 3, 1)), ev(2026, "良好"),
                          LevelRecognition(date=date(2027, 9, 1), level="provincial", document_number="浙经信〔2027〕9号")],
                         JX)
    assert summary(tl)[-1] == ("2027-09-01", "recognised", True)
    assert tl.changes[-1].clause.startswith("细则 第三章：期间获评国家级、省级中试平台的自动认定")
    assert "浙经信〔2027〕9号" in tl.changes[-1].note


def test_provincial_recognition_outside_the_pool_changes_nothing() -> None:
    tl = status_timeline([LevelRecognition(date=date(2026, 5, 1), level="national")], JX)
    assert tl.changes == ()
    assert "不在培育库" in tl.trace[-1].note and tl.trace[-1].clause.startswith("细则 第三章")


def test_failing_grade_opens_one_month_rectification_then_rectified_back_to_pool() -> None:
    tl = status_timeline([PoolEntry(date=date(2026, 3, 1)), ev(2026, "不合格", date(2027, 1, 31)),
                          RectificationOutcome(date=date(2027, 2, 28), rectified=True)], JX)
    assert summary(tl) == [("2026-03-01", "pool", False), ("2027-01-31", "rectification", False),
                           ("2027-02-28", "pool", False)]
    assert tl.changes[1].deadline == date(2027, 2, 28)  # 1 month from 31 January: month end
    assert tl.changes[1].clause == "细则 第三章（二）：整改期为1个月（解读 R-26）"
    assert tl.pending_deadline is None


def test_not_rectified_in_time_is_removed_the_day_after_the_deadline() -> None:
    events = [PoolEntry(date=date(2026, 3, 1)), ev(2026, "不合格", date(2027, 3, 10))]
    open_tl = status_timeline(events, JX, as_of=date(2027, 4, 10))
    assert summary(open_tl)[-1] == ("2027-03-10", "rectification", False)
    assert open_tl.pending_deadline == date(2027, 4, 10)
    tl = status_timeline(events, JX, as_of=date(2027, 4, 11))
    assert summary(tl)[-1] == ("2027-04-11", "removed", False)
    assert tl.changes[-1].clause == "细则 第三章（二）：逾期未整改的……视为自动退库"
    assert tl.changes[-1].event is None


def test_late_rectification_outcome_is_noted_but_changes_nothing() -> None:
    tl = status_timeline([PoolEntry(date=date(2026, 3, 1)), ev(2026, "不合格", date(2027, 3, 10)),
                          RectificationOutcome(date=date(2027, 4, 20), rectified=True)], JX)
    assert summary(tl)[-1] == ("2027-04-11", "removed", False)
    assert "晚于整改期限" in tl.trace[-1].note


def test_still_failing_after_rectification_is_removed_on_that_day() -> None:
    tl = status_timeline([PoolEntry(date=date(2026, 3, 1)), ev(2026, "不合格", date(2027, 3, 10)),
                          RectificationOutcome(date=date(2027, 4, 1), rectified=False)], JX)
    assert summary(tl)[-1] == ("2027-04-01", "removed", False)
    assert tl.changes[-1].clause == "细则 第三章（二）：整改后仍不合格、不通过的视为自动退库"


def test_missing_report_counts_as_fail_and_recognised_platform_keeps_title_while_rectifying() -> None:
    tl = status_timeline([
        PoolEntry(date=date(2026, 3, 1)), ev(2026, "优秀"), ev(2027, "优秀"),
        ev(2028, None, date(2029, 3, 10), report_submitted=False),
        RectificationOutcome(date=date(2029, 4, 2), rectified=True),
    ], JX)
    assert summary(tl) == [("2026-03-01", "pool", False), ("2028-03-10", "recognised", True),
                           ("2029-03-10", "rectification", True), ("2029-04-02", "recognised", True)]
    assert "不通过" in tl.changes[2].note
    assert any(t.step == "report-missing" and t.clause.startswith("细则 第三章（三）") for t in tl.trace)


def test_missing_report_in_the_pool_is_a_fail() -> None:
    tl = status_timeline([PoolEntry(date=date(2026, 3, 1)), ev(2026, None, report_submitted=False)], JX)
    assert summary(tl)[-1] == ("2027-03-10", "rectification", False)
    assert "不合格" in tl.changes[-1].note


def test_dynamic_management_removal_cites_its_ground_and_restart_needs_a_new_entry() -> None:
    tl = status_timeline([
        PoolEntry(date=date(2026, 3, 1)), ev(2026, "优秀"),
        Removal(date=date(2027, 6, 1), ground="safety-environment-accident"),
        PoolEntry(date=date(2028, 3, 1)), ev(2027, "优秀", date(2028, 3, 20)), ev(2028, "优秀"),
    ], JX)
    assert summary(tl) == [("2026-03-01", "pool", False), ("2027-06-01", "removed", False),
                           ("2028-03-01", "pool", False), ("2029-03-10", "recognised", True)]
    assert tl.changes[1].clause == "细则 第三章 动态管理（2）：发生较大安全生产事故或较大环境污染事故"
    assert "先培育再认定" in tl.changes[2].clause
    # the 2026 优秀 before the removal does not pair with the 2027 优秀 after re-entry
    assert "2027、2028年度" in tl.changes[3].note


def test_deregistration_removes_a_recognised_platform() -> None:
    tl = status_timeline([PoolEntry(date=date(2026, 3, 1)),
                          LevelRecognition(date=date(2026, 8, 1), level="national"),
                          Removal(date=date(2027, 1, 5), ground="deregistered")], JX)
    assert summary(tl) == [("2026-03-01", "pool", False), ("2026-08-01", "recognised", True),
                           ("2027-01-05", "removed", False)]
    assert "注销法人登记" in tl.changes[-1].clause


def test_inconsistent_histories_are_refused_with_every_problem() -> None:
    with pytest.raises(InputErrors) as exc:
        status_timeline([
            ev(2025, "良好", date(2026, 1, 20)),                            # 0: not in the pool
            PoolEntry(date=date(2026, 3, 1)),                               # 1
            PoolEntry(date=date(2026, 4, 1)),                               # 2: already in
            ev(2026, "通过"),                                               # 3: pool platforms are not 通过
            ev(2027, "优秀", report_submitted=False),                       # 4: 优秀 without a report
            RectificationOutcome(date=date(2028, 6, 1), rectified=True),   # 5: none open
            Removal(date=date(2028, 7, 1), ground="bankrupt"),             # 6: unknown ground
        ], JX)
    found = issues_of(exc)
    assert set(found) == {"events[0]", "events[2]", "events[3].grade", "events[4].grade", "events[5]",
                          "events[6].ground"}
    assert found["events[0]"].startswith("细则 第三章")
    assert found["events[4].grade"].startswith("细则 第三章（三）")
    assert found["events[6].ground"] == "细则 第三章 动态管理"


def test_events_after_as_of_are_not_used() -> None:
    events = [PoolEntry(date=date(2026, 3, 1)), ev(2026, "优秀"), ev(2027, "优秀")]
    tl = status_timeline(events, JX, as_of=date(2028, 3, 9))
    assert summary(tl) == [("2026-03-01", "pool", False)]
    assert tl.status_on(date(2027, 1, 1)) == tl.changes[0]
    assert tl.status_on(date(2026, 2, 28)) is None


def test_parse_status_events_from_data() -> None:
    events = parse_status_events([
        {"kind": "pool-entry", "date": "2026-03-01"},
        {"kind": "evaluation", "date": "2027-03-10", "year": 2026, "grade": "优秀"},
        {"kind": "recognition", "date": "2027-05-01", "level": "provincial"},
    ])
    assert summary(status_timeline(events, JX))[-1] == ("2027-05-01", "recognised", True)
    with pytest.raises(InputErrors) as exc:
        parse_status_events([{"kind": "evaluation", "date": "2027-03-10", "year": 2026.0, "grade": "好"},
                             {"kind": "moved", "date": "2027-01-01"}])
    fields = {i.field for i in exc.value.issues}
    assert {"events[0].evaluation.year", "events[0].evaluation.grade", "events[1]"} <= fields


POOL_GRADES = st.sampled_from(["优秀", "良好", "合格"])


@settings(max_examples=80, deadline=None)
@given(st.lists(POOL_GRADES, min_size=1, max_size=6), st.integers(2026, 2030))
def test_timeline_agrees_with_facts_on_municipal_recognition(grades: list[str], first_year: int) -> None:
    """Pool entry then annual 优秀/良好/合格 results: the timeline and Facts.municipal_recognition
    (used by the award program) find the same recognition date."""
    entered = date(first_year, 3, 1)
    events: list[PoolEntry | AnnualEvaluation] = [PoolEntry(date=entered)]
    records = []
    run = 0
    for k, g in enumerate(grades):
        year = first_year + k
        events.append(ev(year, g))
        records.append(EvaluationRecord(year=year, grade=g, date=date(year + 1, 3, 10)))  # type: ignore[arg-type]
        run = run + 1 if g == EXCELLENT else 0
        if run == 2:
            break  # once recognised, grades are 通过/不通过
    tl = status_timeline(events, JX)
    scenario = Scenario(platform=PlatformInfo(id="p", name="p", jurisdiction="330402"),
                        pool=[PoolSpell(entered=entered)], evaluations=records)
    trig = Facts(scenario).municipal_recognition(date(2040, 1, 1), consecutive_excellent=2,
                                                 auto_levels=("national", "provincial"))
    recs = tl.recognitions()
    assert (recs[0].date if recs else None) == (trig.date if trig else None)
    assert [c.date for c in tl.changes] == sorted(c.date for c in tl.changes)
    assert all(c.clause.startswith("细则") for c in tl.changes)


# ---------------------------------------------------------------- Shaoxing bases: scoring (附表)

SX_SCORES = {
    "中试基础条件/中试场地面积": "4", "中试基础条件/中试仪器设备原值": "5", "中试基础条件/本科及以上中试人才总数": "3.5",
    "中试基础条件/中试基地研发费用": "4", "中试基础条件/相关管理服务制度情况": "5", "中试基础条件/相关资质情况": "3",
    "中试服务成效/中试服务成果（项目）数": "8", "中试服务成效/中试服务收入": "15",
    "中试服务成效/中试服务成果（项目）落地数": "12", "中试服务成效/中试落地成果（项目）经济效益": "16",
}
SX_ON = date(2025, 6, 1)


def test_shaoxing_sheet_worked_example() -> None:
    sheet = score_shaoxing(SX_SCORES, {"社会经济效益": "4"}, SX, SX_ON)
    assert [(g.name, g.score, g.weight) for g in sheet.groups] == [
        ("中试基础条件", Decimal("24.5"), 30), ("中试服务成效", Decimal("51"), 70)]
    assert (sheet.base_total, sheet.bonus, sheet.total) == (Decimal("75.5"), Decimal("4"), Decimal("79.5"))
    assert sheet.grade is None
    assert sheet.trace[0].clause == "绍兴中试基地方案 附件 附表 绩效评价指标体系"


def test_shaoxing_sheet_refuses_out_of_range_and_bonus_over_ten() -> None:
    scores = dict(SX_SCORES, **{"中试服务成效/中试服务收入": "21"})
    with pytest.raises(InputErrors) as exc:
        score_shaoxing(scores, {"社会经济效益": "10.5"}, SX, SX_ON)
    found = issues_of(exc)
    assert set(found) == {"scores.中试服务成效/中试服务收入", "bonus.社会经济效益"}
    assert "中试服务收入（20分）" in found["scores.中试服务成效/中试服务收入"]
    assert "最高10分" in found["bonus.社会经济效益"]


# ---------------------------------------------------------------- Shaoxing bases: cohort grading (五（三）)


def grades(cohort: dict[str, str], **readings: str) -> dict[str, str]:
    opts = Options(overrides=readings, readings=frozenset(readings)) if readings else None
    g = grade_shaoxing_cohort(cohort, SX, SX_ON, options=opts)
    return {x.base: x.grade for x in g.grades}


def test_cohort_of_ten_three_excellent_by_rank() -> None:
    cohort = {"A": "95", "B": "92", "C": "90", "D": "88", "E": "88", "F": "86", "G": "80", "H": "74", "I": "65",
              "J": "50"}
    g = grade_shaoxing_cohort(cohort, SX, SX_ON)
    assert (g.size, g.quota, g.excellent) == (10, 3, 3)
    assert {x.base: x.grade for x in g.grades} == {
        "A": "优秀", "B": "优秀", "C": "优秀", "D": "良好", "E": "良好", "F": "良好", "G": "良好", "H": "合格",
        "I": "合格", "J": "不合格"}
    d = next(x for x in g.grades if x.base == "D")
    assert (d.rank, d.band_grade) == (4, "优秀") and "超出优秀名额3个" in d.note
    assert [x.rank for x in g.grades] == [1, 2, 3, 4, 4, 6, 7, 8, 9, 10]
    assert g.trace[0].clause.startswith("绍兴中试基地方案 五（三）：其中“优秀”比例控制在30%左右")


def test_cohort_boundary_ties_include_by_default_exclude_as_reading() -> None:
    cohort = {"A": "95", "B": "90", "C": "90", "D": "90", "E": "80", "F": "70", "G": "50"}
    g = grade_shaoxing_cohort(cohort, SX, SX_ON)
    assert (g.quota, g.excellent) == (2, 4)  # round(0.3 × 7 = 2.1) = 2; B, C, D tie for 2nd
    assert grades(cohort) == {"A": "优秀", "B": "优秀", "C": "优秀", "D": "优秀", "E": "良好", "F": "合格",
                              "G": "不合格"}
    assert grades(cohort, **{"base.excellent_quota_ties": "exclude"}) == {
        "A": "优秀", "B": "良好", "C": "良好", "D": "良好", "E": "良好", "F": "合格", "G": "不合格"}


def test_cohort_quota_rounding_reading() -> None:
    cohort = {"A": "99", "B": "98", "C": "97", "D": "96", "E": "95"}
    assert grade_shaoxing_cohort(cohort, SX, SX_ON).quota == 2  # 1.5 → 2
    opts = Options(overrides={"base.excellent_quota_rounding": "down"}, readings=frozenset({"base.excellent_quota_rounding"}))
    g = grade_shaoxing_cohort(cohort, SX, SX_ON, options=opts)
    assert (g.quota, g.excellent) == (1, 1)
    assert "（按所选解读）" in g.trace[0].clause


def test_cohort_excellent_needs_the_band_even_with_places_left() -> None:
    g = grade_shaoxing_cohort({"A": "84.5", "B": "80", "C": "60", "D": "59.5"}, SX, SX_ON)
    assert (g.quota, g.excellent) == (1, 0)
    assert {x.base: x.grade for x in g.grades} == {"A": "良好", "B": "良好", "C": "合格", "D": "不合格"}


def test_cohort_accepts_sheets_and_refuses_foreign_sheets_and_floats() -> None:
    sheet = score_shaoxing(SX_SCORES, {"社会经济效益": "10"}, SX, SX_ON)  # 85.5
    g = grade_shaoxing_cohort({"A": sheet, "B": "70", "C": "71"}, SX, SX_ON)
    assert g.grade_of("A") == "优秀" and g.quota == 1
    jx_sheet = score_annex2(ANNEX2, None, JX, ON)
    with pytest.raises(InputErrors) as exc:
        grade_shaoxing_cohort({"A": jx_sheet, "B": 70.0, "C": "111"}, SX, SX_ON)  # type: ignore[dict-item]
    assert set(issues_of(exc)) == {"cohort.A", "cohort.B", "cohort.C"}


COHORTS = st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3), st.integers(0, 110).map(Decimal),
                          min_size=0, max_size=25)


@settings(max_examples=150, deadline=None)
@given(COHORTS, st.sampled_from(["include", "exclude"]), st.sampled_from(["half-up", "down"]))
def test_cohort_quota_properties(cohort: dict[str, Decimal], ties: str, rounding: str) -> None:
    readings = {"base.excellent_quota_ties": ties, "base.excellent_quota_rounding": rounding}
    g = grade_shaoxing_cohort(cohort, SX, SX_ON, options=Options(overrides=readings, readings=frozenset(readings)))
    exact = Decimal("0.3") * len(cohort)
    assert g.quota in (int(exact), int(exact) + 1)
    assert g.quota <= exact if rounding == "down" else abs(g.quota - exact) <= Decimal("0.5")
    excellent = [x for x in g.grades if x.grade == EXCELLENT]
    assert len(excellent) == g.excellent
    if ties == "exclude":
        assert g.excellent <= g.quota
    elif g.excellent > g.quota:  # only a tie at the last place can overshoot
        lowest = min(x.total for x in excellent)
        assert sum(1 for x in excellent if x.total > lowest) < g.quota
        assert sum(1 for x in excellent if x.total == lowest) >= 2
    # ranking is respected: grades never improve as the total falls
    order = [GRADE_RANK[x.grade] for x in g.grades]
    assert order == sorted(order, reverse=True)
    assert all(x.total >= 85 for x in excellent)
    assert all(x.grade == x.band_grade or (x.band_grade == EXCELLENT and x.grade == "良好") for x in g.grades)


# ---------------------------------------------------------------- Shaoxing bases: revocation (附件 三)


def sx(events: list[BaseDesignation | BaseEvaluation | BaseRevocation], **kw: object):  # type: ignore[no-untyped-def]
    return shaoxing_base_timeline(events, SX, **kw)  # type: ignore[arg-type]


def bev(year: int, grade: str | None, **kw: object) -> BaseEvaluation:
    return BaseEvaluation(date=date(year, 11, 1), round_year=year, grade=grade, **kw)  # type: ignore[arg-type]


def test_two_consecutive_failures_revoke() -> None:
    tl = sx([BaseDesignation(date=date(2023, 6, 1)), bev(2025, "合格"), bev(2027, "不合格"), bev(2029, "不合格")])
    assert summary(tl) == [("2023-06-01", "designated", False), ("2029-11-01", "revoked", False)]
    assert tl.changes[-1].clause == "绍兴中试基地方案 附件 三（三）：连续两次绩效评价“不合格”的，撤销评定"
    assert tl.next_evaluation_year is None


def test_failures_not_consecutive_do_not_revoke_and_next_round_is_due() -> None:
    tl = sx([BaseDesignation(date=date(2023, 6, 1)), bev(2025, "不合格"), bev(2027, "良好"), bev(2029, "不合格")])
    assert summary(tl) == [("2023-06-01", "designated", False)]
    assert tl.next_evaluation_year == 2031
    assert tl.trace[-1].step == "next-evaluation" and tl.trace[-1].note == "下次绩效评价应于2031年进行"
    assert sx([BaseDesignation(date=date(2023, 6, 1))]).next_evaluation_year == 2025


def test_missing_an_evaluation_without_reason_revokes_excused_absence_does_not() -> None:
    tl = sx([BaseDesignation(date=date(2023, 6, 1)), bev(2025, None, participated=False)])
    assert summary(tl)[-1] == ("2025-11-01", "revoked", False)
    assert tl.changes[-1].clause == "绍兴中试基地方案 附件 三（三）：无故不参加绩效评价的，撤销评定"
    excused = sx([BaseDesignation(date=date(2023, 6, 1)), bev(2025, "不合格"),
                  bev(2027, None, participated=False, excused=True), bev(2029, "不合格")])
    # an excused absence neither counts as 不合格 nor breaks the run
    assert summary(excused)[-1] == ("2029-11-01", "revoked", False)


def test_revocation_ground_and_redesignation() -> None:
    tl = sx([BaseDesignation(date=date(2023, 6, 1)),
             BaseRevocation(date=date(2024, 2, 1), ground="false-material"),
             BaseDesignation(date=date(2026, 6, 1), document_number="绍科〔2026〕8号")])
    assert summary(tl) == [("2023-06-01", "designated", False), ("2024-02-01", "revoked", False),
                           ("2026-06-01", "designated", False)]
    assert tl.changes[1].clause == "绍兴中试基地方案 附件 三（二）：有提供虚假材料或数据等严重失信行为的"
    assert "以后年度符合条件的可重新参加评选" in tl.changes[2].clause


def test_base_history_errors() -> None:
    with pytest.raises(InputErrors) as exc:
        sx([bev(2024, "合格"), BaseDesignation(date=date(2024, 12, 1)), bev(2026, "良好"), bev(2026, "良好"),
            BaseRevocation(date=date(2027, 12, 1), ground="moved-away"), bev(2028, None)])
    found = issues_of(exc)
    assert set(found) == {"events[0]", "events[3].round_year", "events[4].ground", "events[5].grade"}
    assert found["events[0]"].startswith("绍兴中试基地方案 五（三）")


def test_short_interval_is_noted() -> None:
    tl = sx([BaseDesignation(date=date(2023, 6, 1)), bev(2025, "良好"), bev(2026, "良好")])
    assert any(t.step == "interval" and "不足2年" in t.note for t in tl.trace)


def test_parse_base_events() -> None:
    events = parse_base_events([{"kind": "designation", "date": "2023-06-01"},
                                {"kind": "evaluation", "date": "2025-11-01", "round_year": 2025,
                                 "participated": False}])
    assert summary(shaoxing_base_timeline(events, SX))[-1] == ("2025-11-01", "revoked", False)


def test_score_sheet_is_frozen() -> None:
    sheet = score_shaoxing(SX_SCORES, None, SX, SX_ON)
    assert isinstance(sheet, ScoreSheet)
    with pytest.raises(AttributeError):
        sheet.total = Decimal(1)  # type: ignore[misc]
