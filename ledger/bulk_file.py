"""Historical journal entries from a CSV file (历史凭证导入文件), read for :mod:`ledger.bulk`.

One row per posting (分录); the rows of one entry (凭证) are consecutive and share its 凭证 key. The
header names the columns in Chinese (or by their machine names)::

    凭证,记账日期,摘要,科目,借方金额,贷方金额,财政,平台,补助项目,预算年度
    1,2025-01-05,2025年度市级预算指标,1001,"300,000.00",,330400,,,2025
    1,2025-01-05,2025年度市级预算指标,4001,,"300,000.00",330400,,,2025

Amounts are 元 with at most two decimals (separators allowed), one side per row. 财政 is a payer code,
平台 a platform code, 补助项目 a program of the rule book, 预算年度 a year; all optional. The file is read
whole and every row checked before anything is written: each problem names its line and column (in
Chinese) and the rule, all of them at once, and the file is refused whole (:class:`EntryFileError`).
An entry is checked exactly as :func:`ledger.journal.post` checks it (:func:`ledger.bulk.check_entry`).

Imported entries carry the kind :data:`KIND` and no claim: they are history, not a step of a claim's
procedure, so no projection table (claims, approvals, payments …) expects them. 8001 预算批复 is refused:
the budgets table projects it, and a budget is registered through the service (预算指标).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from calculators.errors import InputErrors
from calculators.money import parse_yuan
from calculators.rulesets.bundled import rulebook
from ledger import accounts as A
from ledger.bulk import EntrySpec, check_entry
from ledger.errors import Invalid, JournalIntegrityError
from ledger.journal import Leg
from ledger.models import Payer, Platform

KIND = "history-import"
"""The kind of every imported entry (历史凭证导入)."""
COLUMNS = {"entry": "凭证", "date": "记账日期", "description": "摘要", "account": "科目", "debit": "借方金额",
           "credit": "贷方金额", "payer": "财政", "platform": "平台", "program": "补助项目", "fiscal_year": "预算年度"}
"""Each column's machine name and its Chinese heading (either may head the column)."""
REQUIRED = ("entry", "date", "description", "account", "debit", "credit")
FILE_RULE = "历史凭证导入文件：UTF-8 编码的 CSV，首行为列名（docs/cli.md）"
AMOUNT_RULE = "分录金额：元，至多两位小数，借方或贷方只填一边，且大于 0"
REFERENCE_RULE = "分录的财政、平台、补助项目须为台账中已有的"
BUDGET_RULE = "预算批复（8001）只由登记预算指标记账（预算指标表与日记账一一对应）"
SHOWN = 20
"""Problems listed in the message (all are in ``issues``)."""


@dataclass(frozen=True)
class FileIssue:
    """One problem of the file: its line (1 = the header), the column (machine name), the rule, the message."""

    line: int
    column: str
    rule: str
    message: str

    def text(self) -> str:
        where = f"第 {self.line} 行" + (f"“{COLUMNS.get(self.column, self.column)}”列" if self.column else "")
        return f"{where}：{self.message}"


class EntryFileError(Invalid):
    """The file was refused whole; ``issues`` lists every problem (nothing was written)."""

    def __init__(self, issues: list[FileIssue]) -> None:
        lines = [i.text() for i in issues[:SHOWN]] + ([f"……另有 {len(issues) - SHOWN} 处"] if len(issues) > SHOWN else [])
        first = issues[0]
        super().__init__(first.rule, f"导入文件有 {len(issues)} 处问题，未导入任何凭证：" + "；".join(lines),
                         field=first.column or "file")
        self.issues = issues


@dataclass
class _Entry:
    key: str
    line: int
    on: date | None
    description: str
    legs: list[Leg] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    complete: bool = True  # every row gave its posting (else the rows' problems are noted already)


@dataclass(frozen=True)
class _Known:
    """What a row may refer to: payers, platforms (code → id), programs."""

    payers: frozenset[str]
    platforms: dict[str, int]
    programs: frozenset[str]

    @classmethod
    def read(cls, session: Session) -> _Known:
        programs = {p for rs in rulebook().rule_sets.values() for p in rs.programs}
        return cls(frozenset(session.execute(select(Payer.code)).scalars()),
                   {code: pid for code, pid in session.execute(select(Platform.code, Platform.id))},
                   frozenset(programs))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EntryFileError([FileIssue(1, "", FILE_RULE, "文件不是 UTF-8 编码；请在表格软件中另存为“CSV UTF-8（逗号分隔）”")]) from None


def _header(names: list[str] | None) -> dict[str, str]:
    """The file's headings → machine names; refuses an unknown, repeated or missing column."""
    by_heading = {**{v: k for k, v in COLUMNS.items()}, **{k: k for k in COLUMNS}}
    issues: list[FileIssue] = []
    out: dict[str, str] = {}
    for name in names or []:
        key = by_heading.get(name.strip())
        if key is None or key in out.values():
            what = "重复的列" if key else "没有这一列"
            issues.append(FileIssue(1, "", FILE_RULE, f"{what}：{name.strip()!r}；可用的列：{'、'.join(COLUMNS.values())}"))
        else:
            out[name] = key
    missing = [COLUMNS[k] for k in REQUIRED if k not in out.values()]
    if missing:
        issues.append(FileIssue(1, "", FILE_RULE, f"缺少列：{'、'.join(missing)}"))
    if issues:
        raise EntryFileError(issues)
    return out


def _amount(row: dict[str, str], line: int, issues: list[FileIssue]) -> int | None:
    """The posting's signed fen (debit > 0, credit < 0), or None after noting the problem."""
    sides = {}
    for column in ("debit", "credit"):
        text = row.get(column, "").strip()
        if not text:
            continue
        try:
            sides[column] = parse_yuan(text, field=column)
        except InputErrors as exc:
            issues.append(FileIssue(line, column, AMOUNT_RULE, exc.issues[0].message))
            return None
    if len(sides) != 1 or not next(iter(sides.values())):
        what = "借方金额和贷方金额都填了" if len(sides) == 2 else "金额为 0 或未填"
        issues.append(FileIssue(line, "debit", AMOUNT_RULE, f"{what}；每行只在借方或贷方填一个大于 0 的金额"))
        return None
    return sides.get("debit", 0) - sides.get("credit", 0)


def _date(text: str, line: int, issues: list[FileIssue]) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        issues.append(FileIssue(line, "date", FILE_RULE, f"收到 {text.strip()!r}，不是日期；请写成 年-月-日（如 2025-01-05）"))
        return None


def _dimensions(row: dict[str, str], line: int, known: _Known, issues: list[FileIssue]) -> dict[str, Any]:
    """A row's 财政, 平台, 补助项目 and 预算年度, each checked against what the ledger has."""
    payer, platform, program, year = (row.get(k, "").strip() for k in ("payer", "platform", "program", "fiscal_year"))
    out: dict[str, Any] = {"payer": payer or None, "program": program or None, "fiscal_year": None, "platform_id": None}
    if payer and payer not in known.payers:
        issues.append(FileIssue(line, "payer", REFERENCE_RULE, f"财政代码 {payer!r} 不存在；请使用台账中的财政代码（如 330400）"))
    if platform:
        out["platform_id"] = known.platforms.get(platform)
        if out["platform_id"] is None:
            issues.append(FileIssue(line, "platform", REFERENCE_RULE, f"平台编号 {platform!r} 不存在；请先登记该平台"))
    if program and program not in known.programs:
        issues.append(FileIssue(line, "program", REFERENCE_RULE,
                                f"补助项目 {program!r} 不存在；可选：{'、'.join(sorted(known.programs))}"))
    if year:
        if year.isdigit() and 2000 <= int(year) <= 2100:
            out["fiscal_year"] = int(year)
        else:
            issues.append(FileIssue(line, "fiscal_year", FILE_RULE, f"收到 {year!r}；预算年度为 2000 至 2100 的四位年份"))
    return out


def _leg(row: dict[str, str], line: int, known: _Known, issues: list[FileIssue]) -> Leg | None:
    account = row.get("account", "").strip()
    if account not in A.VIEW_OF:
        issues.append(FileIssue(line, "account", "会计科目表：只记入科目表所列科目",
                                f"科目 {account!r} 不在会计科目表中；请改用科目表所列科目（如 1001 国库存款）"))
    elif account == A.BUDGET_AUTHORITY:
        issues.append(FileIssue(line, "account", BUDGET_RULE, "不能导入记入 8001 预算批复的分录；预算指标请在“预算指标”页面登记"))
    amount = _amount(row, line, issues)
    dims = _dimensions(row, line, known, issues)
    if amount is None or account not in A.VIEW_OF:
        return None
    return Leg(account, amount, dims["payer"], dims["platform_id"], dims["program"], None, dims["fiscal_year"])


def _rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = _header(list(reader.fieldnames or []))
    for raw in reader:
        row = {header[k]: (v or "") for k, v in raw.items() if k in header}
        if any(v.strip() for v in row.values()):
            yield reader.line_num, row


def _entries(rows: Iterable[tuple[int, dict[str, str]]], known: _Known, issues: list[FileIssue]) -> list[_Entry]:
    """The rows grouped into entries (consecutive rows with one 凭证 key), each row's leg checked."""
    entries: list[_Entry] = []
    seen: set[str] = set()
    for line, row in rows:
        key = row.get("entry", "").strip()
        if not entries or entries[-1].key != key:
            if not key or key in seen:
                what = "凭证未填" if not key else f"凭证 {key!r} 的分录不相连（同一凭证的各行须连在一起）"
                issues.append(FileIssue(line, "entry", FILE_RULE, what))
            seen.add(key)
            entries.append(_Entry(key, line, _date(row.get("date", ""), line, issues), row.get("description", "").strip()))
            if not entries[-1].description:
                issues.append(FileIssue(line, "description", FILE_RULE, "摘要未填；每张凭证须有摘要"))
        elif entries[-1].on and row.get("date", "").strip() and _date(row["date"], line, issues) not in (
                None, entries[-1].on):
            issues.append(FileIssue(line, "date", FILE_RULE, f"与凭证 {key!r} 第一行的记账日期不同；同一凭证只有一个记账日期"))
        leg = _leg(row, line, known, issues)
        if leg is None:
            entries[-1].complete = False
        else:
            entries[-1].legs.append(leg)
            entries[-1].lines.append(line)
    return entries


def _checked(entry: _Entry, actor: str, issues: list[FileIssue]) -> EntrySpec | None:
    """The entry as :func:`ledger.journal.post` would take it, or None after noting why it does not balance."""
    if entry.on is None or not entry.complete:
        return None
    spec = EntrySpec(entry.on, KIND, entry.description, tuple(entry.legs), actor=actor)
    try:
        check_entry(spec)
    except JournalIntegrityError as exc:
        posting = exc.field.partition("[")[2].partition("]")[0]
        line = entry.lines[int(posting)] if posting.isdigit() else entry.line
        column = "account" if exc.field.endswith(".account") else "debit" if posting.isdigit() else "entry"
        issues.append(FileIssue(line, column, exc.rule, f"凭证 {entry.key!r}：{exc.message}"))
        return None
    return spec


def read_entries(session: Session, data: bytes, *, actor: str = "") -> list[EntrySpec]:
    """Every entry of the file, checked, in file order; :class:`EntryFileError` naming every problem (line,
    column, rule) if there is any. Reads the ledger (payers, platforms), writes nothing."""
    issues: list[FileIssue] = []
    entries = _entries(_rows(_decode(data)), _Known.read(session), issues)
    specs = [_checked(e, actor, issues) for e in entries]
    if not entries:
        issues.append(FileIssue(1, "", FILE_RULE, "文件没有分录行"))
    if issues:
        raise EntryFileError(sorted(issues, key=lambda i: i.line))
    return [s for s in specs if s is not None]
