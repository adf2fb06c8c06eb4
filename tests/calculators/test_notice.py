"""The public-notice calendar (公示期; 细则 第四章（一）(2), 解读 R-20, R-21).

Expected end dates below are worked out by hand from the State Council schedules (2025:
国办发明电〔2024〕12号; 2026: notice of 2025-11-04), never by calling the code under test.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculators.errors import InputErrors, RuleSetError
from calculators.notice import (
    DAY_AFTER_PUBLICATION,
    LIBRARY_YEARS,
    PUBLICATION_DAY,
    WorkingCalendar,
    bundled_notices,
    default_calendar,
    notice_period,
    notice_period_for,
    parse_holiday_notice,
)
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.model import Options

D = date.fromisoformat
CAL = default_calendar()


def _end(pub: str, n: int = 5, reading: str = DAY_AFTER_PUBLICATION, cal: WorkingCalendar = CAL) -> date:
    return notice_period(D(pub), working_days=n, count_from=reading, calendar=cal).end


# --- (1) Jiaxing's own practice ---------------------------------------------------------------


def test_jiaxing_2025_notice_published_june_9_ran_seven_working_days_to_june_18() -> None:
    p = notice_period(D("2025-06-09"), working_days=7, count_from=DAY_AFTER_PUBLICATION, calendar=CAL)
    assert p.end == D("2025-06-18")
    assert p.start == D("2025-06-10")
    assert p.working_days_counted == tuple(D(x) for x in (
        "2025-06-10", "2025-06-11", "2025-06-12", "2025-06-13", "2025-06-16", "2025-06-17", "2025-06-18"))
    assert not p.provisional


# --- (2)+(3) every 2025 and 2026 holiday period, both readings -------------------------------
# (publication, end under day-after-publication, end under publication-day), N = 5.

CASES = [
    # 2025 元旦 1/1 (Wed); no adjusted working day
    ("2024-12-31", "2025-01-08", "2025-01-07"),   # last working day before
    ("2025-01-01", "2025-01-08", "2025-01-08"),   # first day off
    # 2025 春节 1/28–2/4; 1/26 (Sun) and 2/8 (Sat) working
    ("2025-01-27", "2025-02-10", "2025-02-08"),
    ("2025-01-28", "2025-02-10", "2025-02-10"),
    ("2025-01-26", "2025-02-08", "2025-02-07"),
    ("2025-02-08", "2025-02-14", "2025-02-13"),
    # 2025 清明 4/4–4/6
    ("2025-04-03", "2025-04-11", "2025-04-10"),
    ("2025-04-04", "2025-04-11", "2025-04-11"),
    # 2025 劳动节 5/1–5/5; 4/27 (Sun) working
    ("2025-04-30", "2025-05-12", "2025-05-09"),
    ("2025-05-01", "2025-05-12", "2025-05-12"),
    ("2025-04-27", "2025-05-07", "2025-05-06"),
    # 2025 端午 5/31–6/2
    ("2025-05-30", "2025-06-09", "2025-06-06"),
    ("2025-05-31", "2025-06-09", "2025-06-09"),
    # 2025 国庆、中秋 10/1–10/8; 9/28 (Sun) and 10/11 (Sat) working
    ("2025-09-30", "2025-10-14", "2025-10-13"),
    ("2025-10-01", "2025-10-14", "2025-10-14"),
    ("2025-09-28", "2025-10-11", "2025-10-10"),
    ("2025-10-11", "2025-10-17", "2025-10-16"),
    # 2026 元旦 1/1–1/3; 1/4 (Sun) working
    ("2025-12-31", "2026-01-08", "2026-01-07"),
    ("2026-01-01", "2026-01-08", "2026-01-08"),
    ("2026-01-04", "2026-01-09", "2026-01-08"),
    # 2026 春节 2/15–2/23; 2/14 (Sat) is the last working day before, 2/28 (Sat) working
    ("2026-02-13", "2026-02-27", "2026-02-26"),   # the Friday before
    ("2026-02-14", "2026-02-28", "2026-02-27"),
    ("2026-02-15", "2026-02-28", "2026-02-28"),
    ("2026-02-28", "2026-03-06", "2026-03-05"),
    # 2026 清明 4/4–4/6
    ("2026-04-03", "2026-04-13", "2026-04-10"),
    ("2026-04-04", "2026-04-13", "2026-04-13"),
    # 2026 劳动节 5/1–5/5; 5/9 (Sat) working
    ("2026-04-30", "2026-05-11", "2026-05-09"),
    ("2026-05-01", "2026-05-11", "2026-05-11"),
    ("2026-05-09", "2026-05-15", "2026-05-14"),
    # 2026 端午 6/19–6/21
    ("2026-06-18", "2026-06-26", "2026-06-25"),
    ("2026-06-19", "2026-06-26", "2026-06-26"),
    # 2026 中秋 9/25–9/27 (then 国庆 10/1–10/7); 9/20 (Sun) working
    ("2026-09-24", "2026-10-09", "2026-10-08"),
    ("2026-09-25", "2026-10-09", "2026-10-09"),
    ("2026-09-20", "2026-09-28", "2026-09-24"),
    # 2026 国庆 10/1–10/7; 10/10 (Sat) working
    ("2026-09-30", "2026-10-13", "2026-10-12"),
    ("2026-10-01", "2026-10-13", "2026-10-13"),
    ("2026-10-10", "2026-10-16", "2026-10-15"),
]


@pytest.mark.parametrize(("pub", "end_default", "end_pub_day"), CASES, ids=[c[0] for c in CASES])
def test_holiday_periods_both_readings(pub: str, end_default: str, end_pub_day: str) -> None:
    a = notice_period(D(pub), working_days=5, count_from=DAY_AFTER_PUBLICATION, calendar=CAL)
    b = notice_period(D(pub), working_days=5, count_from=PUBLICATION_DAY, calendar=CAL)
    assert a.end == D(end_default)
    assert b.end == D(end_pub_day)
    assert not a.provisional and not b.provisional
    assert len(a.working_days_counted) == len(b.working_days_counted) == 5


def test_spring_festival_2026_period_lists_the_days_counted_and_explains_the_holiday() -> None:
    p = notice_period(D("2026-02-13"), working_days=5, count_from=DAY_AFTER_PUBLICATION, calendar=CAL)
    assert p.working_days_counted == tuple(D(x) for x in (
        "2026-02-14", "2026-02-24", "2026-02-25", "2026-02-26", "2026-02-27"))
    assert p.start == D("2026-02-14")
    step = next(t for t in p.trace if t.step == "节假日与调休")
    assert step.values["days_off"] == "2026-02-15至2026-02-23（春节）"
    assert step.values["adjusted_working_days"] == "2026-02-14（春节）"
    assert step.clause == "国务院办公厅关于2026年部分节假日安排的通知"


def test_publication_day_reading_counts_a_working_publication_day_as_the_first() -> None:
    p = notice_period(D("2026-03-02"), working_days=5, count_from=PUBLICATION_DAY, calendar=CAL)
    assert p.start == D("2026-03-02")
    assert p.end == D("2026-03-06")
    q = notice_period(D("2026-03-07"), working_days=5, count_from=PUBLICATION_DAY, calendar=CAL)  # Saturday
    assert q.start == D("2026-03-09")
    assert q.end == D("2026-03-13")
    assert "非工作日" in q.trace[1].note


# --- reading the rule set ---------------------------------------------------------------------


def test_rule_set_parameters_and_clauses() -> None:
    rs = rulebook().get("jiaxing-rules-2026")
    p = notice_period_for(D("2026-04-30"), rs)
    assert p.end == D("2026-05-11")
    assert p.working_days == 5 and p.count_from == DAY_AFTER_PUBLICATION
    clauses = [t.clause for t in p.trace]
    assert "细则 第四章（一）(2)：公示5个工作日" in clauses
    assert any("民法典第二百零一条" in c for c in clauses)
    assert all(t.clause and t.note for t in p.trace)


def test_rule_set_other_reading_through_options() -> None:
    rs = rulebook().get("jiaxing-rules-2026")
    opts = Options(overrides={"notice.count_from": PUBLICATION_DAY}, readings=frozenset({"notice.count_from"}))
    p = notice_period_for(D("2026-04-30"), rs, opts)
    assert p.end == D("2026-05-09")
    assert p.count_from == PUBLICATION_DAY
    assert "（按所选解读）" in p.trace[1].clause


def test_rule_set_without_notice_parameters_is_refused() -> None:
    rs = rulebook().get("zhejiang-2025")
    if rs.has("notice.working_days") and rs.has("notice.count_from"):
        pytest.skip("zhejiang-2025 now defines notice parameters")
    with pytest.raises(InputErrors) as exc:
        notice_period_for(D("2026-04-30"), rs)
    assert exc.value.issues[0].field == "rule_set"


# --- (4) a year with no schedule is provisional until its notice is loaded -------------------

NOTICE_2027 = """
year: 2027
title: 测试用2027年放假安排（虚构，仅供测试）
document_number: ""
published: 2026-11-01
days_off:
  - {from: 2027-01-01, to: 2027-01-03, name: 元旦}
adjusted_working_days: []
"""


def test_period_into_2027_is_provisional_until_the_2027_notice_is_loaded() -> None:
    assert 2027 not in LIBRARY_YEARS
    p = notice_period(D("2026-12-28"), working_days=5, count_from=DAY_AFTER_PUBLICATION, calendar=CAL)
    assert p.provisional
    assert p.provisional_years == (2027,)
    assert p.end == D("2027-01-04")  # Monday–Friday guess: 1/1/2027 (Friday) counted
    assert p.trace[-1].step == "临时结果"
    assert "2027" in p.trace[-1].note

    cal = CAL.with_notice(parse_holiday_notice(NOTICE_2027, "upload/2027.yaml"))
    q = notice_period(D("2026-12-28"), working_days=5, count_from=DAY_AFTER_PUBLICATION, calendar=cal)
    assert not q.provisional
    assert q.provisional_years == ()
    assert q.end == D("2027-01-05")
    assert D("2027-01-01") not in q.working_days_counted
    assert cal.known_years()[2027].kind == "notice"
    assert not any(t.step == "临时结果" for t in q.trace)


def test_december_waits_for_next_years_notice_which_may_reach_back() -> None:
    # Next year's notice may rearrange late December (the 2019 notice made 2018-12-29 a working
    # Saturday), so a December period is provisional while next year is unknown.
    p = notice_period(D("2026-12-01"), working_days=5, count_from=DAY_AFTER_PUBLICATION, calendar=CAL)
    assert p.end == D("2026-12-08")
    assert p.provisional_years == (2027,)
    q = notice_period(D("2025-12-01"), working_days=5, count_from=DAY_AFTER_PUBLICATION, calendar=CAL)
    assert q.end == D("2025-12-08")
    assert not q.provisional


def test_next_years_notice_reaching_back_into_december_decides_that_day() -> None:
    reach_back = """
year: 2027
title: 测试用2027年放假安排（虚构）
published: 2026-11-01
days_off:
  - {from: 2026-12-31, to: 2027-01-02, name: 元旦}
adjusted_working_days:
  - {date: 2026-12-27, name: 元旦}
"""
    cal = CAL.with_notice(parse_holiday_notice(reach_back, "t.yaml"))
    assert not cal.is_working_day(D("2026-12-31"))
    assert cal.is_working_day(D("2026-12-27"))  # a Sunday
    p = notice_period(D("2026-12-24"), working_days=5, count_from=DAY_AFTER_PUBLICATION, calendar=cal)
    # 12/25 Fri, 12/27 Sun (调休), 12/28, 12/29, 12/30
    assert p.end == D("2026-12-30")
    assert not p.provisional


def test_a_year_covered_by_nothing_falls_back_to_monday_to_friday_and_says_so() -> None:
    cal = WorkingCalendar(use_library=False)
    assert cal.known_years() == {}
    p = notice_period(D("2025-09-30"), working_days=5, count_from=DAY_AFTER_PUBLICATION, calendar=cal)
    assert p.end == D("2025-10-07")  # the holiday is unknown here, so weekdays count
    assert p.provisional and p.provisional_years == (2025,)


# --- the calendar's sources -------------------------------------------------------------------


def test_bundled_notices_are_the_2025_and_2026_schedules() -> None:
    notices = {n.year: n for n in bundled_notices()}
    assert set(notices) >= {2025, 2026}
    n26 = notices[2026]
    assert n26.document_number == ""
    assert n26.published == D("2025-11-04")
    days_off_2026 = [("2026-01-01", "2026-01-03"), ("2026-02-15", "2026-02-23"), ("2026-04-04", "2026-04-06"),
                     ("2026-05-01", "2026-05-05"), ("2026-06-19", "2026-06-21"), ("2026-09-25", "2026-09-27"),
                     ("2026-10-01", "2026-10-07")]
    expected: set[date] = set()
    for a, b in days_off_2026:
        d = D(a)
        while d <= D(b):
            expected.add(d)
            d += timedelta(days=1)
    assert set(n26.days_off) == expected
    assert set(n26.adjusted_working_days) == {D(x) for x in (
        "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")}
    n25 = notices[2025]
    assert n25.document_number == "国办发明电〔2024〕12号"
    assert len(n25.days_off) == 1 + 8 + 3 + 5 + 3 + 8
    assert set(n25.adjusted_working_days) == {D(x) for x in (
        "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11")}


@pytest.mark.parametrize("year", [2025, 2026])
def test_notices_agree_with_chinese_calendar_every_day(year: int) -> None:
    notices_only = WorkingCalendar(bundled_notices(), use_library=False)
    d = date(year, 1, 1)
    disagreements = []
    while d.year == year:
        if notices_only.is_working_day(d) != chinese_calendar.is_workday(d):
            disagreements.append(d)
        d += timedelta(days=1)
    assert disagreements == []


def test_library_alone_matches_chinese_calendar_over_its_whole_range() -> None:
    lib = WorkingCalendar()
    d = date(LIBRARY_YEARS.start, 1, 1)
    while d.year < LIBRARY_YEARS.stop:
        assert lib.is_working_day(d) == chinese_calendar.is_workday(d), d
        d += timedelta(days=1)
    assert LIBRARY_YEARS.start == 2004 and LIBRARY_YEARS.stop - 1 == 2026
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


def test_a_loaded_notice_overrides_the_library_for_its_year() -> None:
    amended = """
year: 2026
title: 测试用2026年调整后的放假安排（虚构）
published: 2026-03-01
days_off:
  - {from: 2026-01-01, to: 2026-01-03, name: 元旦}
  - {date: 2026-03-16, name: 测试}
"""
    cal = WorkingCalendar([*bundled_notices(), parse_holiday_notice(amended, "amended.yaml")])
    assert not cal.is_working_day(D("2026-03-16"))           # the later notice's extra day off
    assert cal.is_working_day(D("2026-02-16"))               # it replaced the earlier schedule as a whole
    assert chinese_calendar.is_workday(D("2026-03-16"))      # while the library says otherwise
    src = cal.source(2026)
    assert src is not None and src.label.endswith("（amended.yaml）")
    assert cal.known_years()[2024].kind == "library"
    assert cal.known_years()[2025].kind == "notice"


def test_two_notices_for_one_year_published_the_same_day_are_refused() -> None:
    a = parse_holiday_notice(NOTICE_2027, "a.yaml")
    b = parse_holiday_notice(NOTICE_2027.replace("2027-01-03", "2027-01-02"), "b.yaml")
    with pytest.raises(RuleSetError) as exc:
        WorkingCalendar([a, b])
    assert exc.value.source == "b.yaml" and exc.value.key == "year"


def test_day_info_names_the_holiday() -> None:
    info = CAL.day(D("2026-02-28"))
    assert info.working and info.kind == "adjusted-working-day" and info.name == "春节"
    off = CAL.day(D("2025-10-06"))
    assert not off.working and off.kind == "day-off" and off.name == "国庆节、中秋节"
    lib = CAL.day(D("2024-10-07"))
    assert not lib.working and lib.kind == "day-off" and lib.name == "国庆节"


# --- bad input ----------------------------------------------------------------------------


def test_bad_input_names_every_field() -> None:
    with pytest.raises(InputErrors) as exc:
        notice_period(D("2026-05-01"), working_days=0, count_from="the-day-before", calendar=CAL)
    assert [i.field for i in exc.value.issues] == ["working_days", "count_from"]
    with pytest.raises(InputErrors) as exc2:
        notice_period(D("2026-05-01"), working_days=True, count_from=PUBLICATION_DAY, calendar=CAL)
    assert exc2.value.issues[0].field == "working_days"


def test_bad_rule_set_values_name_the_parameter() -> None:
    rs = rulebook().get("jiaxing-rules-2026")
    opts = Options(overrides={"notice.working_days": -1, "notice.count_from": "whenever"})
    with pytest.raises(InputErrors) as exc:
        notice_period_for(D("2026-05-01"), rs, opts)
    assert [i.field for i in exc.value.issues] == ["notice.working_days", "notice.count_from"]


# --- (5) properties -------------------------------------------------------------------------

pub_dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
lengths = st.integers(min_value=1, max_value=30)


def _working_between(cal: WorkingCalendar, first: date, last: date) -> list[date]:
    out, d = [], first
    while d <= last:
        if cal.is_working_day(d):
            out.append(d)
        d += timedelta(days=1)
    return out


@settings(max_examples=300, deadline=None)
@given(pub=pub_dates, n=lengths)
def test_default_reading_end_is_the_nth_working_day_after_publication(pub: date, n: int) -> None:
    p = notice_period(pub, working_days=n, count_from=DAY_AFTER_PUBLICATION, calendar=CAL)
    assert CAL.is_working_day(p.end)
    between = _working_between(CAL, pub + timedelta(days=1), p.end)
    assert len(between) == n
    assert tuple(between) == p.working_days_counted
    assert p.start == between[0] > pub


@settings(max_examples=300, deadline=None)
@given(pub=pub_dates, n=lengths)
def test_publication_day_reading_counts_n_working_days_from_publication(pub: date, n: int) -> None:
    p = notice_period(pub, working_days=n, count_from=PUBLICATION_DAY, calendar=CAL)
    assert CAL.is_working_day(p.end)
    assert len(_working_between(CAL, pub, p.end)) == n
    q = notice_period(pub, working_days=n, count_from=DAY_AFTER_PUBLICATION, calendar=CAL)
    assert p.end <= q.end
    assert (p.end < q.end) == CAL.is_working_day(pub)


@settings(max_examples=300, deadline=None)
@given(a=pub_dates, b=pub_dates, n=lengths, reading=st.sampled_from([DAY_AFTER_PUBLICATION, PUBLICATION_DAY]))
def test_end_is_monotonic_in_the_publication_date(a: date, b: date, n: int, reading: str) -> None:
    a, b = min(a, b), max(a, b)
    ea = notice_period(a, working_days=n, count_from=reading, calendar=CAL).end
    eb = notice_period(b, working_days=n, count_from=reading, calendar=CAL).end
    assert ea <= eb


@settings(max_examples=200, deadline=None)
@given(pub=pub_dates, n=lengths)
def test_provisional_exactly_when_an_examined_day_is_uncertain(pub: date, n: int) -> None:
    p = notice_period(pub, working_days=n, count_from=DAY_AFTER_PUBLICATION, calendar=CAL)
    d, uncertain = pub + timedelta(days=1), False
    while d <= p.end:
        uncertain = uncertain or not CAL.is_known(d)
        d += timedelta(days=1)
    assert p.provisional == uncertain
    assert p.provisional == (p.provisional_years != ())


# --- (6) the parser's errors name the file and the key --------------------------------------

GOOD = """
year: 2030
title: 测试通知
document_number: ""
published: 2029-11-01
days_off:
  - {from: 2030-01-01, to: 2030-01-03, name: 元旦}
  - 2030-04-05
adjusted_working_days:
  - {date: 2029-12-29, name: 元旦}
"""


def test_parser_accepts_a_good_notice_including_december_of_the_year_before() -> None:
    n = parse_holiday_notice(GOOD, "x.yaml")
    assert n.year == 2030 and n.source == "x.yaml"
    assert list(n.days_off) == [D("2030-01-01"), D("2030-01-02"), D("2030-01-03"), D("2030-04-05")]
    assert n.adjusted_working_days == {D("2029-12-29"): "元旦"}   # a Saturday
    assert n.issuer == "国务院办公厅"


@pytest.mark.parametrize(("text", "key", "words"), [
    ("year: [", "(file)", "YAML"),
    ("- 1\n- 2\n", "(file)", "键值映射"),
    (GOOD.replace("year: 2030", "year: 二〇三〇"), "year", "四位整数"),
    (GOOD.replace("title: 测试通知\n", ""), "title", "缺少"),
    (GOOD.replace("published: 2029-11-01", "published: 2031-01-01"), "published", "晚于所安排"),
    (GOOD.replace("published: 2029-11-01", "published: soon"), "published", "须为日期"),
    (GOOD + "holidays: []\n", "holidays", "不认识的键"),
    (GOOD.replace("to: 2030-01-03", "to: 2029-12-31"), "days_off[0].to", "早于开始"),
    (GOOD.replace("- 2030-04-05", "- 2031-01-01"), "days_off[1]", "不在本通知所安排"),
    (GOOD.replace("to: 2030-01-03", "to: 2031-01-02"), "days_off[0].to", "不在本通知所安排"),
    (GOOD.replace("from: 2030-01-01", "from: 2029-11-30"), "days_off[0].from", "不在本通知所安排"),
    (GOOD.replace("- 2030-04-05", "- 2030-01-02"), "days_off[1]", "已在"),
    (GOOD.replace("{from: 2030-01-01, to: 2030-01-03, name: 元旦}", "{from: 2030-01-01, name: 元旦}"),
     "days_off[0].to", "缺少"),
    (GOOD.replace("name: 元旦}\n  - 2030", "name: 元旦, days: 3}\n  - 2030"), "days_off[0].days", "不认识的键"),
    (GOOD.replace("{date: 2029-12-29, name: 元旦}", "{date: 2030-01-02, name: 元旦}"),
     "adjusted_working_days[0].date", "星期六或星期日"),
    (GOOD.replace("{date: 2029-12-29, name: 元旦}", "{date: 2030-01-05, name: 元旦}")
         .replace("- 2030-04-05", "- 2030-01-05"),
     "adjusted_working_days[0].date", "同时列为放假日"),
    (GOOD.replace("{date: 2029-12-29, name: 元旦}", "2031-01-04"), "adjusted_working_days[0]", "不在本通知"),
    (GOOD.replace("days_off:\n  - {from: 2030-01-01, to: 2030-01-03, name: 元旦}\n  - 2030-04-05\n",
                  "days_off: []\n"), "days_off", "未列出任何放假日"),
    (GOOD.replace("published: 2029-11-01", "published: 2029-11-01 10:00:00"), "published", "日期时间"),
])
def test_parser_errors_name_the_file_and_the_key(text: str, key: str, words: str) -> None:
    with pytest.raises(RuleSetError) as exc:
        parse_holiday_notice(text, "calculators/holidays/2030.yaml")
    assert exc.value.source == "calculators/holidays/2030.yaml"
    assert exc.value.key == key
    assert words in exc.value.message
    assert str(exc.value).startswith(f"calculators/holidays/2030.yaml: {key}: ")
