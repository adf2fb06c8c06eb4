"""The mutation run's score per module (``./dev mutants`` prints it; docs/testing.md records it).

Reads mutmut's results in ``mutants/`` for the mutant names matching the patterns given, and prints one
row per module: killed, survived, timeout, no tests, not checked, and the score (killed + timeout over
all checked). Survivors are listed after the table, for ``mutmut show NAME``.
"""

from __future__ import annotations

import fnmatch
import json
import re
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

COLUMNS = ("killed", "survived", "timeout", "no tests", "not checked")


def module_of(mutant: str) -> str:
    """``ledger.services.x_pay__mutmut_3`` → ``ledger.services``."""
    return re.split(r"\.x[_ǁ]", mutant, maxsplit=1)[0]


def results(root: Path, patterns: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        for name, code in json.loads(meta.read_text("utf-8")).get("exit_code_by_key", {}).items():
            if not patterns or any(fnmatch.fnmatch(name, p) for p in patterns):
                out[name] = status_by_exit_code[code]
    return out


def table(found: dict[str, str]) -> str:
    by_module: dict[str, Counter[str]] = {}
    for name, status in found.items():
        by_module.setdefault(module_of(name), Counter())[status] += 1
    total: Counter[str] = sum(by_module.values(), Counter())
    lines = ["| module | " + " | ".join(COLUMNS) + " | score |", "|---" * (len(COLUMNS) + 2) + "|"]
    for module, counts in [*sorted(by_module.items()), ("**all**", total)]:
        checked = counts["killed"] + counts["survived"] + counts["timeout"]
        score = f"{100 * (counts['killed'] + counts['timeout']) / checked:.1f}%" if checked else "–"
        lines.append(f"| {module} | " + " | ".join(str(counts[c]) for c in COLUMNS) + f" | {score} |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    found = results(Path("mutants"), argv)
    print(table(found))
    survivors = sorted(n for n, s in found.items() if s == "survived")
    if survivors:
        print(f"\n{len(survivors)} survived:")
        print("\n".join(survivors))


if __name__ == "__main__":
    main(sys.argv[1:])
