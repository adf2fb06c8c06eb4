"""The public-notice calendar (公示期): when does an N-working-day notice end? (细则 第四章（一）(2); 解读 R-20, R-21)

A notice runs for ``notice.working_days`` working days (细则 第四章（一）(2)：公示5个工作日) on the
official Chinese calendar, where the State Council's yearly notice (国务院办公厅关于某年部分节假日
安排的通知) turns some weekdays into days off and some weekend days into working days (调休上班).

Readings (``notice.count_from``):

* ``day-after-publication`` (default): 民法典第二百零一条 — the day the period begins is not counted;
  the notice ends on the Nth working day *after* the publication day.
* ``publication-day``: the publication day counts as the first day if it is a working day.

Where the working-day calendar comes from, per year:

1. a loaded holiday notice (:class:`HolidayNotice`, e.g. ``calculators/holidays/2026.yaml``), which
   overrides everything else for its year;
2. otherwise the maintained library ``chinese_calendar`` (years it covers: :data:`LIBRARY_YEARS`);
3. otherwise Monday–Friday, and every period that depends on such a day is marked PROVISIONAL.

A year's notice may reach back into December of the previous year for the 元旦 holiday (the 2023
notice: 2022-12-31 to 2023-01-02; the 2019 notice: 2018-12-29 上班). So a December day is only
certain once the *next* year's schedule is known as well; until then a period touching December
is provisional too. No notice reaches forward into January of the next year (the year's last
holiday is 国庆节), so the parser refuses such dates.

Pure: the one function that reads bytes is :func:`bundled_notices`, and only the package's own
data files (like :mod:`calculators.rulesets.bundled`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import chinese_calendar
import yaml
from chinese_calendar import constants as _cc

from calculators.errors import InputErrors, InputIssue, RuleSetError
from calculators.results import TraceStep
from calculators.rulesets.model import Options, RuleSet

# The two readings of notice.count_from (jiaxing-rules-2026.yaml; 解读 R-20).
DAY_AFTER_PUBLICATION = "day-after-publication"
PUBLICATION_DAY = "publication-day"
COUNT_FROM = (DAY_AFTER_PUBLICATION, PUBLICATION_DAY)

CIVIL_CODE_201 = "民法典第二百零一条：按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算"
PUBLICATION_DAY_CLAUSE = "公示期起算（细则 第四章（一）(2) 另一读法，见 docs/rules-notice.md）：发布当日为工作日的计入"
PROVISIONAL_CLAUSE = "细则 第四章（一）(2)：公示5个工作日；期间涉及未加载放假安排的年度（含次年安排未加载时的12月），届满日标为临时，不作静默推算（docs/rules-notice.md）"
FALLBACK_NOTE = "周一至周五为工作日（未加载放假安排，临时）"

# Kinds of day (DayInfo.kind).
WEEKDAY = "weekday"
WEEKEND = "weekend"
DAY_OFF = "day-off"
ADJUSTED_WORKING_DAY = "adjusted-working-day"

_ONE_DAY = timedelta(days=1)
_TOP_KEYS = {"year", "title", "document_number", "issuer", "published", "days_off",
             "adjusted_working_days", "notes"}
_REQUIRED = ("year", "title", "published", "days_off")


# --------------------------------------------------------------------------------------------
# Holiday notices (国务院办公厅 放假安排通知) as data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HolidayNotice:
    """One year's official holiday schedule.

    Attributes:
        year: the year the notice arranges (e.g. 2026).
        title: 国务院办公厅关于2026年部分节假日安排的通知.
        document_number: 文号 (e.g. 国办发明电〔2024〕12号); empty when not verified.
        issuer: 发文机关, normally 国务院办公厅.
        published: the date the notice was issued.
        days_off: every day off (放假), each with the holiday's name, in date order.
        adjusted_working_days: weekend days that are working days (调休上班), with the holiday's name.
        source: the file (or upload) it was read from, for error messages and citations.
    """

    year: int
    title: str
    document_number: str
    issuer: str
    published: date
    days_off: Mapping[date, str]
    adjusted_working_days: Mapping[date, str]
    source: str

    def listed(self, d: date) -> tuple[bool, str] | None:
        """``(working?, holiday name)`` when the notice names ``d``; ``None`` when it is silent."""
        if d in self.adjusted_working_days:
            return True, self.adjusted_working_days[d]
        if d in self.days_off:
            return False, self.days_off[d]
        return None

    def cite(self) -> str:
        return f"{self.title}（{self.document_number}）" if self.document_number else self.title


def _load_yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleSetError(source, "(file)", f"不是有效的 YAML：{exc}；请检查缩进、冒号和引号") from None


def _as_date(v: Any, source: str, key: str) -> date:
    if isinstance(v, datetime):
        raise RuleSetError(source, key, f"须为日期（年-月-日，如 2026-10-01），收到日期时间 {v!r}")
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v)
        except ValueError:
            pass
    raise RuleSetError(source, key, f"须为日期（年-月-日，如 2026-10-01），收到 {v!r}")


def _text(raw: Mapping[str, Any], key: str, source: str, *, required: bool) -> str:
    v = raw.get(key)
    if v is None:
        if required:
            raise RuleSetError(source, key, f"缺少必填项 {key}；请补上")
        return ""
    if not isinstance(v, str):
        raise RuleSetError(source, key, f"须为文字，收到 {v!r}")
    if required and not v.strip():
        raise RuleSetError(source, key, "不能为空；请填写")
    return v.strip()


def _in_scope(d: date, year: int, source: str, key: str) -> None:
    """A notice for ``year`` names days of that year, or of the December before (元旦 bridge)."""
    if d.year == year or (d.year == year - 1 and d.month == 12):
        return
    raise RuleSetError(
        source, key,
        f"{d} 不在本通知所安排的 {year} 年内；只能列 {year} 年的日子，或元旦假期涉及的 {year - 1} 年12月的日子",
    )


# size: validates each item of a hand-written list (a date or a range, in order, named); each error names its key
def _entries(raw: Any, source: str, key: str, *, ranges: bool) -> list[tuple[str, str, date, date, str]]:
    """Items of ``days_off`` / ``adjusted_working_days`` as (key of first, key of last, first, last, name)."""
    if not isinstance(raw, list):
        raise RuleSetError(source, key, "须为日期列表" + ("（或日期区间 from/to）" if ranges else ""))
    out: list[tuple[str, str, date, date, str]] = []
    for i, item in enumerate(raw):
        ikey = f"{key}[{i}]"
        if not isinstance(item, dict):
            d = _as_date(item, source, ikey)
            out.append((ikey, ikey, d, d, ""))
            continue
        allowed = {"date", "name"} | ({"from", "to"} if ranges else set())
        bad = sorted(set(item) - allowed)
        if bad:
            raise RuleSetError(source, f"{ikey}.{bad[0]}", f"不认识的键；可用：{'、'.join(sorted(allowed))}")
        name = item.get("name") or ""
        if not isinstance(name, str):
            raise RuleSetError(source, f"{ikey}.name", f"须为文字，收到 {name!r}")
        if "date" in item:
            if "from" in item or "to" in item:
                raise RuleSetError(source, ikey, "date 与 from/to 只能二选一；单日写 date，区间写 from 和 to")
            d = _as_date(item["date"], source, f"{ikey}.date")
            out.append((f"{ikey}.date", f"{ikey}.date", d, d, name))
            continue
        if not ranges:
            raise RuleSetError(source, f"{ikey}.date", "缺少 date；请填写日期")
        if "from" not in item or "to" not in item:
            missing = "from" if "from" not in item else "to"
            raise RuleSetError(source, f"{ikey}.{missing}", f"缺少 {missing}（单日请写 date）")
        first = _as_date(item["from"], source, f"{ikey}.from")
        last = _as_date(item["to"], source, f"{ikey}.to")
        if last < first:
            raise RuleSetError(source, f"{ikey}.to", f"区间截止日 {last} 早于开始日 {first}；请更正")
        out.append((f"{ikey}.from", f"{ikey}.to", first, last, name))
    return out


# size: validates a notice file key by key, each error naming its key; the keys read in the file's order
def parse_holiday_notice(text: str, source: str) -> HolidayNotice:
    """Parse one holiday notice (YAML text) and validate it; errors name ``source`` and the key.

    Format (see ``calculators/holidays/2026.yaml``)::

        year: 2026
        title: 国务院办公厅关于2026年部分节假日安排的通知
        document_number: ""            # 文号, empty when not verified
        issuer: 国务院办公厅
        published: 2025-11-04
        days_off:                      # dates, or ranges {from, to}, each optionally named
          - {from: 2026-01-01, to: 2026-01-03, name: 元旦}
          - 2026-04-06
        adjusted_working_days:         # Saturdays/Sundays that are working days (调休上班)
          - {date: 2026-01-04, name: 元旦}
    """
    raw = _load_yaml(text, source)
    if not isinstance(raw, dict):
        raise RuleSetError(source, "(file)", "节假日安排文件顶层须为键值映射（year、title、published、days_off……）")
    unknown = sorted(str(k) for k in set(raw) - _TOP_KEYS)
    if unknown:
        raise RuleSetError(source, unknown[0], f"不认识的键；可用：{'、'.join(sorted(_TOP_KEYS))}")
    for key in _REQUIRED:
        if raw.get(key) is None:
            raise RuleSetError(source, key, f"缺少必填项 {key}；请补上")
    year = raw["year"]
    if not isinstance(year, int) or isinstance(year, bool) or not 1949 < year < 10000:
        raise RuleSetError(source, "year", f"年份须为四位整数（如 2026），收到 {year!r}")
    title = _text(raw, "title", source, required=True)
    document_number = _text(raw, "document_number", source, required=False)
    issuer = _text(raw, "issuer", source, required=False) or "国务院办公厅"
    published = _as_date(raw["published"], source, "published")
    if published.year > year:
        raise RuleSetError(source, "published", f"发布日期 {published} 晚于所安排的 {year} 年；请核对 published 或 year")

    days_off: dict[date, str] = {}
    off_key: dict[date, str] = {}
    for first_key, key, first, last, name in _entries(raw["days_off"], source, "days_off", ranges=True):
        _in_scope(first, year, source, first_key)
        _in_scope(last, year, source, key)
        d = first
        while d <= last:
            if d in days_off:
                raise RuleSetError(source, key, f"{d} 已在 {off_key[d]} 列出；每天只列一次")
            days_off[d] = name
            off_key[d] = key
            d += _ONE_DAY
    if not days_off:
        raise RuleSetError(source, "days_off", "未列出任何放假日；请填写 days_off")

    working: dict[date, str] = {}
    for key, _key, d, _last, name in _entries(raw.get("adjusted_working_days") or [], source,
                                        "adjusted_working_days", ranges=False):
        _in_scope(d, year, source, key)
        if d.weekday() < 5:
            raise RuleSetError(
                source, key,
                f"{d} 是星期{'一二三四五六日'[d.weekday()]}；调休上班日须为星期六或星期日",
            )
        if d in working:
            raise RuleSetError(source, key, f"{d} 列了两次；每天只列一次")
        if d in days_off:
            raise RuleSetError(source, key, f"{d} 同时列为放假日（{off_key[d]}）和调休上班日；一天只能是其中之一")
        working[d] = name

    return HolidayNotice(
        year=year,
        title=title,
        document_number=document_number,
        issuer=issuer,
        published=published,
        days_off=dict(sorted(days_off.items())),
        adjusted_working_days=dict(sorted(working.items())),
        source=source,
    )


def bundled_notices() -> tuple[HolidayNotice, ...]:
    """The holiday notices shipped with the code (``calculators/holidays/*.yaml``), by year."""
    return _bundled_notices()


@cache
def _bundled_notices() -> tuple[HolidayNotice, ...]:
    folder = resources.files("calculators.holidays")
    out: list[HolidayNotice] = []
    for p in sorted(folder.iterdir(), key=lambda x: x.name):
        if not p.name.endswith(".yaml"):
            continue
        source = f"calculators/holidays/{p.name}"
        notice = parse_holiday_notice(p.read_text(encoding="utf-8"), source)
        stem = p.name.removesuffix(".yaml")
        if stem != str(notice.year):
            raise RuleSetError(source, "year", f"文件 {p.name} 是 {notice.year} 年的安排；请将文件命名为 {notice.year}.yaml")
        out.append(notice)
    return tuple(out)


# --------------------------------------------------------------------------------------------
# The library chinese_calendar
# --------------------------------------------------------------------------------------------

_HOLIDAY_NAMES: dict[str, str] = {str(h.value): str(h.chinese) for h in _cc.Holiday}
_LIB_OFF: dict[date, str] = {d: _HOLIDAY_NAMES.get(str(v), str(v)) for d, v in _cc.holidays.items()}
_LIB_WORK: dict[date, str] = {d: _HOLIDAY_NAMES.get(str(v), str(v)) for d, v in _cc.workdays.items()}
LIBRARY_VERSION: str = str(chinese_calendar.__version__)
# The library refuses (NotImplementedError) any year outside min..max of its holiday table.
LIBRARY_YEARS: range = range(min(_LIB_OFF).year, max(_LIB_OFF).year + 1)


def _schedule_year(d: date) -> int:
    """The year whose schedule names ``d``: December days belong to next year's 元旦 arrangement."""
    return d.year + 1 if d.month == 12 else d.year


@dataclass(frozen=True)
class YearSource:
    """Where one year's working-day schedule comes from.

    Attributes:
        year: the year.
        kind: ``notice`` (a loaded holiday notice) or ``library`` (chinese_calendar).
        label: human-readable origin, e.g. the notice title and file, or ``chinese_calendar 1.11.0``.
        notice: the notice when ``kind == "notice"``.
    """

    year: int
    kind: str
    label: str
    notice: HolidayNotice | None = None

    def listed(self, d: date) -> tuple[bool, str] | None:
        """``(working?, holiday name)`` when this year's schedule names ``d``, else ``None``."""
        if self.notice is not None:
            return self.notice.listed(d)
        if _schedule_year(d) != self.year:
            return None
        if d in _LIB_WORK:
            return True, _LIB_WORK[d]
        if d in _LIB_OFF:
            return False, _LIB_OFF[d]
        return None

    def cite(self) -> str:
        if self.notice is not None:
            return self.notice.cite()
        return f"国务院办公厅关于{self.year}年部分节假日安排的通知（据 chinese_calendar {LIBRARY_VERSION}）"


@dataclass(frozen=True)
class DayInfo:
    """One day on the working calendar.

    Attributes:
        day: the date.
        working: whether it is a working day.
        kind: ``weekday`` | ``weekend`` | ``day-off`` (放假) | ``adjusted-working-day`` (调休上班).
        name: the holiday's name for ``day-off`` / ``adjusted-working-day``.
        source: the year source that decided it (``None`` = Monday–Friday fallback).
        missing_years: years whose schedule is not loaded and could change this day (provisional).
    """

    day: date
    working: bool
    kind: str
    name: str
    source: YearSource | None
    missing_years: tuple[int, ...]

    @property
    def provisional(self) -> bool:
        return bool(self.missing_years)


class WorkingCalendar:
    """The official working-day calendar: loaded notices over chinese_calendar over Monday–Friday.

    Immutable: :meth:`with_notice` returns a new calendar. When two notices arrange the same year,
    the one published later replaces the earlier as a whole (load an amended schedule complete).
    """

    def __init__(self, notices: Iterable[HolidayNotice] = (), *, use_library: bool = True) -> None:
        by_year: dict[int, HolidayNotice] = {}
        for n in notices:
            old = by_year.get(n.year)
            if old is not None and old.published == n.published and old != n:
                raise RuleSetError(
                    n.source, "year",
                    f"已载入同日发布的另一份 {n.year} 年安排（{old.source}），无法确定以哪份为准；"
                    "请只保留一份",
                )
            if old is None or n.published >= old.published:
                by_year[n.year] = n
        self._notices: dict[int, HolidayNotice] = dict(sorted(by_year.items()))
        self._use_library = use_library

    @property
    def notices(self) -> tuple[HolidayNotice, ...]:
        return tuple(self._notices.values())

    @property
    def library_years(self) -> range:
        return LIBRARY_YEARS if self._use_library else range(0)

    def with_notice(self, notice: HolidayNotice) -> WorkingCalendar:
        """A calendar with ``notice`` loaded (replacing an earlier-published notice for its year)."""
        return WorkingCalendar([*self._notices.values(), notice], use_library=self._use_library)

    def source(self, year: int) -> YearSource | None:
        """Where ``year``'s schedule comes from, or ``None`` when it is not known."""
        n = self._notices.get(year)
        if n is not None:
            return YearSource(year, "notice", f"{n.cite()}（{n.source}）", n)
        if year in self.library_years:
            return YearSource(year, "library", f"chinese_calendar {LIBRARY_VERSION}")
        return None

    def known_years(self) -> dict[int, YearSource]:
        """Every year whose schedule is known, with its source (a loaded notice wins over the library)."""
        years = set(self._notices) | set(self.library_years)
        out: dict[int, YearSource] = {}
        for y in sorted(years):
            src = self.source(y)
            if src is not None:
                out[y] = src
        return out

    def day(self, d: date) -> DayInfo:
        """How ``d`` stands: working or not, why, who says so, and whether that is provisional."""
        cur = self.source(d.year)
        nxt = self.source(d.year + 1) if d.month == 12 else None
        # Next year's notice may reach back into December (元旦); it is the later word on the day.
        for src in (nxt, cur):
            if src is None:
                continue
            hit = src.listed(d)
            if hit is not None:
                working, name = hit
                missing = () if src is nxt else self._missing(d)
                kind = ADJUSTED_WORKING_DAY if working else DAY_OFF
                return DayInfo(d, working, kind, name, src, missing)
        weekday = d.weekday() < 5
        return DayInfo(d, weekday, WEEKDAY if weekday else WEEKEND, "", cur, self._missing(d))

    def _missing(self, d: date) -> tuple[int, ...]:
        missing = [y for y in {d.year, _schedule_year(d)} if self.source(y) is None]
        return tuple(sorted(missing))

    def is_working_day(self, d: date) -> bool:
        return self.day(d).working

    def is_known(self, d: date) -> bool:
        """Whether ``d``'s status is certain (not provisional)."""
        return not self.day(d).provisional


@cache
def default_calendar() -> WorkingCalendar:
    """The bundled notices over chinese_calendar."""
    return WorkingCalendar(bundled_notices())


# --------------------------------------------------------------------------------------------
# The notice period (公示期)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticePeriod:
    """A computed public-notice period.

    Attributes:
        publication: the day the notice was published (发布日).
        start: the first counted working day.
        end: the last day of the notice (届满日), always a working day.
        working_days: N, the length in working days.
        count_from: the reading used (``day-after-publication`` | ``publication-day``).
        working_days_counted: the N working days, in order.
        provisional: True when some day examined lies in a year with no loaded schedule.
        provisional_years: those years.
        trace: the explanation, step by step, each with its clause.
    """

    publication: date
    start: date
    end: date
    working_days: int
    count_from: str
    working_days_counted: tuple[date, ...]
    provisional: bool
    provisional_years: tuple[int, ...]
    trace: tuple[TraceStep, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "publication": self.publication.isoformat(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "working_days": self.working_days,
            "count_from": self.count_from,
            "working_days_counted": [d.isoformat() for d in self.working_days_counted],
            "provisional": self.provisional,
            "provisional_years": list(self.provisional_years),
            "trace": [t.to_dict() for t in self.trace],
        }


def _check(publication: Any, working_days: Any, count_from: Any, fields: tuple[str, str]) -> None:
    issues: list[InputIssue] = []
    if not isinstance(publication, date) or isinstance(publication, datetime):
        issues.append(InputIssue("publication", "公示发布日期", f"公示发布日期须为日期（年-月-日），收到 {publication!r}"))
    if not isinstance(working_days, int) or isinstance(working_days, bool) or working_days < 1:
        issues.append(InputIssue(
            fields[0], "细则 第四章（一）(2)：公示期以工作日计",
            f"公示期须为不少于 1 的整数个工作日，收到 {working_days!r}",
        ))
    if count_from not in COUNT_FROM:
        issues.append(InputIssue(
            fields[1], "细则 第四章（一）(2)：公示期起算读法（docs/rules-notice.md）",
            f"起算读法 {count_from!r} 不是可选项；可选：{'、'.join(COUNT_FROM)}",
        ))
    if issues:
        raise InputErrors(issues)


def _ranges(days: Iterable[DayInfo]) -> str:
    """``2026-02-15至2026-02-23（春节）、2026-02-28（春节）`` — consecutive days of one holiday merged."""
    groups: list[list[DayInfo]] = []
    for info in days:
        last = groups[-1][-1] if groups else None
        if last is not None and info.day - last.day == _ONE_DAY and info.name == last.name:
            groups[-1].append(info)
        else:
            groups.append([info])
    parts = []
    for g in groups:
        span = g[0].day.isoformat() if len(g) == 1 else f"{g[0].day.isoformat()}至{g[-1].day.isoformat()}"
        parts.append(f"{span}（{g[0].name}）" if g[0].name else span)
    return "、".join(parts)


def _cite_sources(sources: Iterable[YearSource | None]) -> str:
    seen: dict[int, str] = {}
    for s in sources:
        if s is not None:
            seen.setdefault(s.year, s.cite())
    return "；".join(seen[y] for y in sorted(seen)) or PROVISIONAL_CLAUSE


# size: counts the notice period and traces it in the order a clerk checks it: the start, each day examined, the end, calendars missing
def _compute(
    publication: date,
    working_days: int,
    count_from: str,
    calendar: WorkingCalendar,
    working_days_clause: str,
    count_from_clause: str,
) -> NoticePeriod:
    first = publication if count_from == PUBLICATION_DAY else publication + _ONE_DAY
    counted: list[date] = []
    examined: list[DayInfo] = []
    d = first
    while len(counted) < working_days:
        info = calendar.day(d)
        examined.append(info)
        if info.working:
            counted.append(d)
        d += _ONE_DAY
    end = counted[-1]
    missing = tuple(sorted({y for info in examined for y in info.missing_years}))
    years = sorted({y for info in examined for y in (info.day.year, _schedule_year(info.day))})

    steps: list[TraceStep] = [
        TraceStep("公示期", working_days_clause, f"公示期为{working_days}个工作日。",
                  {"working_days": str(working_days)}),
    ]
    if count_from == DAY_AFTER_PUBLICATION:
        note = f"发布日{publication.isoformat()}不计入，自次日{first.isoformat()}起算。"
    elif examined[0].working:
        note = f"发布日{publication.isoformat()}为工作日，计入公示期。"
    else:
        note = f"发布日{publication.isoformat()}非工作日，不计入工作日数。"
    steps.append(TraceStep("起算日", count_from_clause, note,
                           {"publication": publication.isoformat(), "count_from": count_from}))
    year_labels = {str(y): (s.label if (s := calendar.source(y)) else FALLBACK_NOTE) for y in years}
    steps.append(TraceStep(
        "工作日历", _cite_sources(calendar.source(y) for y in years),
        "按国务院办公厅节假日安排（含调休上班日）确定工作日。", year_labels,
    ))
    offs = [i for i in examined if i.kind == DAY_OFF]
    adjusted = [i for i in examined if i.kind == ADJUSTED_WORKING_DAY]
    if offs or adjusted:
        values: dict[str, str] = {}
        bits: list[str] = []
        if offs:
            values["days_off"] = _ranges(offs)
            bits.append(f"跳过放假日{values['days_off']}")
        if adjusted:
            values["adjusted_working_days"] = _ranges(adjusted)
            bits.append(f"调休上班日{values['adjusted_working_days']}计为工作日")
        steps.append(TraceStep("节假日与调休", _cite_sources(i.source for i in offs + adjusted),
                               "；".join(bits) + "。", values))
    steps.append(TraceStep(
        "届满日", working_days_clause,
        f"第{working_days}个工作日为{end.isoformat()}，公示期至该日届满。",
        {"start": counted[0].isoformat(), "end": end.isoformat(),
         "working_days_counted": "、".join(x.isoformat() for x in counted)},
    ))
    if missing:
        ys = "、".join(str(y) for y in missing)
        steps.append(TraceStep(
            "临时结果", PROVISIONAL_CLAUSE,
            f"{ys}年放假安排未加载，按周一至周五推算，届满日为临时结果；加载该年度通知后重算。",
            {"provisional_years": ys},
        ))
    return NoticePeriod(
        publication=publication,
        start=counted[0],
        end=end,
        working_days=working_days,
        count_from=count_from,
        working_days_counted=tuple(counted),
        provisional=bool(missing),
        provisional_years=missing,
        trace=tuple(steps),
    )


def notice_period(
    publication: date,
    *,
    working_days: int,
    count_from: str,
    calendar: WorkingCalendar,
    working_days_clause: str | None = None,
    count_from_clause: str | None = None,
) -> NoticePeriod:
    """The notice period of ``working_days`` working days published on ``publication``.

    ``count_from`` is ``day-after-publication`` (民法典第二百零一条, the default reading) or
    ``publication-day``. The clauses default to a statement of the inputs; :func:`notice_period_for`
    passes the rule set's own citations. Bad input raises :class:`InputErrors` naming every field.
    """
    _check(publication, working_days, count_from, ("working_days", "count_from"))
    wd_clause = working_days_clause or f"公示期（调用方给定）：{working_days}个工作日"
    cf_clause = count_from_clause or (CIVIL_CODE_201 if count_from == DAY_AFTER_PUBLICATION
                                      else PUBLICATION_DAY_CLAUSE)
    return _compute(publication, working_days, count_from, calendar, wd_clause, cf_clause)


def notice_period_for(
    publication: date,
    rule_set: RuleSet,
    options: Options | None = None,
    calendar: WorkingCalendar | None = None,
) -> NoticePeriod:
    """The notice period under ``rule_set``'s ``notice.working_days`` and ``notice.count_from``.

    The parameters are read as of the publication date; ``options`` may choose the other reading
    (``notice.count_from: publication-day``) or a what-if length.
    """
    names = ("notice.working_days", "notice.count_from")
    absent = [n for n in names if not rule_set.has(n)]
    if absent:
        raise InputErrors([
            InputIssue("rule_set", f"{rule_set.short}: 公示期参数", f"规则集 {rule_set.id} 没有参数 {n}；请选择规定了公示期的规则集")
            for n in absent
        ])
    if not isinstance(publication, date) or isinstance(publication, datetime):
        raise InputErrors.one("publication", "公示发布日期", f"公示发布日期须为日期（年-月-日），收到 {publication!r}")
    wd = rule_set.param(names[0], publication, options)
    cf = rule_set.param(names[1], publication, options)
    _check(publication, wd.value, cf.value, names)
    cf_clause = cf.cite()
    if cf.value == DAY_AFTER_PUBLICATION and "民法典第二百零一条" not in cf_clause:
        cf_clause = f"{cf_clause}；{CIVIL_CODE_201}"
    return _compute(publication, int(wd.value), str(cf.value), calendar or default_calendar(),
                    wd.cite(), cf_clause)
