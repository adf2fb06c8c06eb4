"""The permission table as docs/service.md writes it ("People and permissions"), parsed independently of
``app.permissions``: the expected answers of the permission walk, and what ``MATRIX`` is checked against."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SERVICE_MD = Path(__file__).resolve().parents[2] / "docs" / "service.md"
SCOPES = {"": "any", "own jurisdiction (district roles)": "jurisdiction", "own payer (finance roles)": "payer"}


@dataclass(frozen=True)
class Documented:
    """One row of the documented matrix: the action's Chinese title, the roles ticked, and its scope."""

    title: str
    roles: frozenset[str]
    scope: str


@dataclass(frozen=True)
class Table:
    actions: dict[str, Documented]
    role_titles: dict[str, str]  # role code → Chinese title
    district_roles: frozenset[str]  # act only on their own jurisdiction
    finance_roles: frozenset[str]  # pay only their own payer's share
    city_payer: str  # the payer 市财政局 pays for


def _tables(section: str) -> list[list[list[str]]]:
    """Markdown tables of ``section``: rows of stripped cells, header first, the |---| line dropped."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*section.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= {"-", ":"} for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


@cache
def documented() -> Table:
    text = SERVICE_MD.read_text("utf-8")
    section = text.split("## People and permissions", 1)[1].split("\n## ", 1)[0]
    people, matrix = _tables(section)[:2]
    assert people[0] == ["role", "code", "jurisdiction"], people[0]
    code_of = {title: code.strip("`") for title, code, _ in people[1:]}
    where = {code.strip("`"): scope for _, code, scope in people[1:]}
    header = matrix[0]
    assert header[:2] == ["action", "事项"] and header[-1] == "scope" and set(header[2:-1]) == set(code_of), header
    actions = {}
    for row in matrix[1:]:
        ticks = dict(zip(header[2:-1], row[2:-1], strict=True))
        assert set(ticks.values()) <= {"✓", ""}, row
        actions[row[0].strip("`")] = Documented(
            row[1], frozenset(code_of[t] for t, mark in ticks.items() if mark == "✓"), SCOPES[row[-1]])
    (city_payer,) = re.findall(r"pays the city's share \(payer (\d{6})\)", section)
    return Table(
        actions=actions,
        role_titles={code: title for title, code in code_of.items()},
        district_roles=frozenset(r for r, s in where.items() if s.startswith("required")),
        finance_roles=frozenset(r for r, s in where.items() if "pays" in s),
        city_payer=city_payer,
    )
