"""The clauses carried as events on the platform's record: the pool-entry notice (细则 第二章 三（二）4), the
change report (细则 第三章), the provincial re-evaluation (浙江方案 五) and the Shaoxing cancellations
(绍兴指引 六（三）; 绍兴中试基地方案 附件 三（三）)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculators.eligibility import platform_record, withdrawals
from calculators.engine import evaluate
from calculators.errors import InputErrors
from calculators.evaluation import (
    AnnualReport,
    BaseDesignation,
    BaseEvaluation,
    BaseRevocation,
    parse_base_events,
    shaoxing_base_timeline,
    shaoxing_platform_timeline,
)
from calculators.facts import Facts
from calculators.notice import WorkingCalendar
from calculators.rulesets.bundled import rulebook
from calculators.scenario import from_data

BOOK = rulebook()
SXG = BOOK.get("shaoxing-guidance-2025")
SXB = BOOK.get("shaoxing-base-plan")


def scenario(**extra: Any):  # type: ignore[no-untyped-def]
    return from_data({"platform": {"id": "P", "name": "平台", "jurisdiction": "330402"}, **extra})


# ---------------------------------------------------------------- the pool-entry notice


def test_pool_entry_the_day_after_the_notice_ends_is_accepted_and_traced() -> None:
    rec = platform_record(scenario(events=[{"kind": "pool-notice", "date": "2026-03-02"}],
                                   pool=[{"entered": "2026-03-10"}]), BOOK)
    (step,) = rec.steps
    assert step.values["end"] == "2026-03-09" and step.values["entered"] == "2026-03-10"
    assert step.clause.startswith("细则 第二章 三（二）4") and not rec.flags


@pytest.mark.parametrize("entered", ["2026-03-02", "2026-03-05", "2026-03-09"])
def test_pool_entry_within_the_notice_period_is_refused_in_chinese(entered: str) -> None:
    with pytest.raises(InputErrors) as info:
        platform_record(scenario(events=[{"kind": "pool-notice", "date": "2026-03-02"}], pool=[{"entered": entered}]),
                        BOOK)
    (issue,) = info.value.issues
    assert issue.field == "pool[0].entered" and "细则 第二章 三（二）4" in issue.rule
    assert "2026-03-09届满" in issue.message and "公示期满无异议后方可入库" in issue.message


def test_pool_notice_reading_counting_the_publication_day_moves_the_end() -> None:
    s = scenario(events=[{"kind": "pool-notice", "date": "2026-03-02"}], pool=[{"entered": "2026-03-07"}],
                 readings={"notice.count_from": "publication-day"})
    from calculators.engine import build_options

    rec = platform_record(s, BOOK, build_options(s, BOOK))
    assert rec.steps[0].values["end"] == "2026-03-06"


def test_pool_notice_without_entry_says_so_and_a_year_without_schedule_is_provisional() -> None:
    rec = platform_record(scenario(events=[{"kind": "pool-notice", "date": "2026-12-28"}]), BOOK,
                          calendar=WorkingCalendar(use_library=False))
    assert "尚未入库" in rec.steps[0].note
    assert rec.steps[0].values["provisional"] == "true" and "截止日暂定" in rec.steps[0].note


# ---------------------------------------------------------------- the change report


@pytest.mark.parametrize(("report", "late"), [("2026-04-20", 0), ("2026-05-01", 0), ("2026-05-02", 1),
                                             ("2026-06-30", 60)])
def test_change_report_is_late_only_after_the_thirtieth_day(report: str, late: int) -> None:
    rec = platform_record(scenario(events=[{"kind": "change-report", "date": report, "change_date": "2026-04-01",
                                            "change": "变更注册地"}]), BOOK)
    (step,) = rec.steps
    assert step.values["deadline"] == "2026-05-01" and step.values["late_days"] == str(late)
    assert (rec.flags == (step,)) is (late > 0)
    assert step.clause.startswith("细则 第三章")
    if late:
        assert "文件未规定逾期后果" in step.note


def test_late_change_report_changes_no_amount() -> None:
    base: dict[str, Any] = {"recognitions": [{"level": "provincial", "date": "2026-02-10"}],
                            "investments": [{"year": 2025, "amount": "1000000.00"}],
                            "claims": [{"id": "C1", "program": "equipment-subsidy", "application_date": "2026-03-01"}]}
    plain = evaluate(scenario(**base), BOOK).to_dict()
    late = evaluate(scenario(**base, events=[{"kind": "change-report", "date": "2026-09-01",
                                              "change_date": "2026-02-01"}]), BOOK).to_dict()
    assert late.pop("record")["flags"]
    assert late == plain


def test_change_report_before_the_change_is_refused() -> None:
    with pytest.raises(InputErrors) as info:
        platform_record(scenario(events=[{"kind": "change-report", "date": "2026-03-01",
                                          "change_date": "2026-04-01"}]), BOOK)
    assert info.value.issues[0].field == "events[0].date" and "早于变更日期" in info.value.issues[0].message


# ---------------------------------------------------------------- the provincial re-evaluation


def _recognised(*events: dict[str, Any], national: str | None = None):  # type: ignore[no-untyped-def]
    recs = [{"level": "provincial", "date": "2026-02-10"}]
    if national:
        recs.append({"level": "national", "date": national})
    return scenario(recognitions=recs, events=list(events))


@pytest.mark.parametrize("result", ["不通过", "未参加"])
def test_failed_or_missed_re_evaluation_ends_provincial_from_that_day(result: str) -> None:
    facts = Facts(_recognised({"kind": "re-evaluation", "date": "2028-02-10", "result": result}))
    assert facts.highest_level(date(2028, 2, 9)) is not None
    assert facts.highest_level(date(2028, 2, 10)) is None
    (w,) = facts.withdrawn_by(date(2028, 2, 10))
    assert w.level == "provincial" and w.date == date(2028, 2, 10) and w.clause.startswith("浙江方案 五")
    assert facts.withdrawn_by(date(2028, 2, 9)) == []


def test_passed_re_evaluation_keeps_the_level_and_sets_the_next_due_date() -> None:
    s = _recognised({"kind": "re-evaluation", "date": "2028-01-20", "result": "通过"})
    assert Facts(s).highest_level(date(2029, 1, 1)) is not None and withdrawals(s) == ()
    (step,) = platform_record(s, BOOK).steps
    assert step.values["next_due"] == "2030-01-20"


def test_a_claim_after_the_re_evaluation_fell_due_is_flagged_not_refused() -> None:
    s = scenario(recognitions=[{"level": "provincial", "date": "2026-02-10"}],
                 events=[{"kind": "re-evaluation", "date": "2028-01-20", "result": "通过"}],
                 investments=[{"year": y, "amount": "1000000.00"} for y in range(2023, 2031)],
                 claims=[{"id": "C1", "program": "equipment-subsidy", "application_date": "2026-03-01"},
                         {"id": "C2", "program": "equipment-subsidy", "application_date": "2030-03-01"}])
    ev = evaluate(s, BOOK)
    assert ev.by_claim()["C2"].status == "payable"
    assert ev.record is not None
    (flag,) = ev.record.flags
    assert flag.step == "re-evaluation-overdue" and flag.values == {"claim": "C2", "due": "2030-01-20"}


def test_national_level_is_kept_when_provincial_is_withdrawn() -> None:
    facts = Facts(_recognised({"kind": "re-evaluation", "date": "2028-02-10", "result": "不通过"},
                              national="2027-01-15"))
    held = facts.highest_level(date(2028, 3, 1))
    assert held is not None and held[1].level == "national"


@settings(max_examples=40, deadline=None)
@given(st.dates(date(2026, 2, 10), date(2031, 12, 31)), st.dates(date(2026, 2, 10), date(2031, 12, 31)))
def test_nothing_provincial_is_held_from_the_day_out_until_recognised_again(out: date, on: date) -> None:
    facts = Facts(_recognised({"kind": "re-evaluation", "date": out.isoformat(), "result": "不通过"}))
    assert (facts.highest_level(on) is None) is (on >= out)
    assert (facts.first_at_level("provincial", on) is None) is (on >= out)


def test_adding_a_later_re_evaluation_never_changes_an_earlier_claim() -> None:
    base: dict[str, Any] = {"recognitions": [{"level": "provincial", "date": "2026-02-10"}],
                            "investments": [{"year": y, "amount": "1000000.00"} for y in range(2023, 2028)],
                            "claims": [{"id": "C1", "program": "equipment-subsidy", "application_date": "2026-03-01"},
                                       {"id": "C2", "program": "equipment-subsidy", "application_date": "2027-03-01"}]}
    plain = evaluate(scenario(**base), BOOK).to_dict()["claims"]
    later = evaluate(scenario(**base, events=[{"kind": "re-evaluation", "date": "2027-03-02", "result": "不通过"}]),
                     BOOK).to_dict()["claims"]
    assert later == plain


def test_re_evaluation_of_a_platform_not_provincial_is_refused() -> None:
    with pytest.raises(InputErrors) as info:
        platform_record(scenario(events=[{"kind": "re-evaluation", "date": "2027-01-01", "result": "通过"}]), BOOK)
    assert info.value.issues[0].field == "events[0]" and "不是省级中试平台" in info.value.issues[0].message


def test_unknown_event_kind_and_result_are_refused_naming_the_field() -> None:
    with pytest.raises(InputErrors) as info:
        scenario(events=[{"kind": "re-evaluation", "date": "2027-01-01", "result": "合格"},
                         {"kind": "promotion", "date": "2027-01-01"}])
    fields = {i.field for i in info.value.issues}
    assert any(f.startswith("events[0]") for f in fields) and any(f.startswith("events[1]") for f in fields)


# ---------------------------------------------------------------- Shaoxing municipal platforms (绍兴指引 六（三）)


def rep(year: int, submitted: bool) -> AnnualReport:
    return AnnualReport(date=date(year + 1, 3, 31), year=year, submitted=submitted)


def sev(year: int, grade: str) -> BaseEvaluation:
    return BaseEvaluation(date=date(year + 1, 5, 1), round_year=year, grade=grade)  # type: ignore[arg-type]


def summary(tl: Any) -> list[tuple[str, str]]:
    return [(c.date.isoformat(), c.status) for c in tl.changes]


def test_two_consecutive_years_without_annual_report_cancel_from_that_day() -> None:
    tl = shaoxing_platform_timeline([BaseDesignation(date=date(2025, 9, 1)), rep(2025, False), rep(2026, False)], SXG)
    assert summary(tl) == [("2025-09-01", "sx-platform"), ("2027-03-31", "cancelled")]
    assert tl.changes[-1].clause.startswith("绍兴指引 六（三）") and "连续两年未提交" in tl.changes[-1].clause
    assert tl.status_on(date(2027, 3, 30)).status == "sx-platform"  # type: ignore[union-attr]


def test_missing_reports_not_consecutive_do_not_cancel() -> None:
    tl = shaoxing_platform_timeline([BaseDesignation(date=date(2025, 9, 1)), rep(2025, False), rep(2026, True),
                                     rep(2027, False)], SXG)
    assert summary(tl) == [("2025-09-01", "sx-platform")]


def test_two_consecutive_failures_cancel_a_municipal_platform() -> None:
    tl = shaoxing_platform_timeline([BaseDesignation(date=date(2025, 9, 1)), sev(2025, "不合格"), sev(2026, "不合格")],
                                    SXG)
    assert summary(tl) == [("2025-09-01", "sx-platform"), ("2027-05-01", "cancelled")]
    assert "连续两次评价结果“不合格”" in tl.changes[-1].clause


def test_cancelled_platform_may_be_recognised_again_and_counts_restart() -> None:
    tl = shaoxing_platform_timeline([BaseDesignation(date=date(2025, 9, 1)), rep(2025, False), rep(2026, False),
                                     BaseDesignation(date=date(2028, 9, 1)), rep(2028, False)], SXG)
    assert summary(tl) == [("2025-09-01", "sx-platform"), ("2027-03-31", "cancelled"), ("2028-09-01", "sx-platform")]
    assert tl.changes[-1].note.startswith("取消资格后重新")


def test_shaoxing_platform_events_are_checked() -> None:
    with pytest.raises(InputErrors) as info:
        shaoxing_platform_timeline([rep(2025, False), BaseRevocation(date=date(2026, 1, 1), ground="other")], SXG)
    assert sorted(i.field for i in info.value.issues) == ["events[0]", "events[1]"]
    with pytest.raises(InputErrors):
        shaoxing_base_timeline([BaseDesignation(date=date(2023, 6, 1)), rep(2024, False)], SXB)


def test_base_events_parse_annual_reports() -> None:
    (e,) = parse_base_events([{"kind": "annual-report", "date": "2026-03-31", "year": 2025, "submitted": False}])
    assert isinstance(e, AnnualReport) and e.submitted is False


def test_pilot_base_revocation_is_unchanged() -> None:
    tl = shaoxing_base_timeline([BaseDesignation(date=date(2023, 6, 1)), sev(2025, "不合格"), sev(2027, "不合格")], SXB)
    assert [c.status for c in tl.changes] == ["designated", "revoked"]
    assert tl.changes[0].note == "评定为绍兴市科技成果转化中试基地"
