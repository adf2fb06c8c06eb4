"""Names for users, codes for machines (issue 11 part 2) and official formats (part 3) on the pages.

Every page a role opens over a world with claims in every stage is read as a user reads it (its visible
text, without tags, attributes, scripts and styles): no program, rule-set or payer-split scheme code stands
bare — a code may only follow its name in parentheses —, no claim state shows its code, dates read
2026年4月1日 (never ISO), 万元 carries a fixed 4 decimals, and the claim page, 资金下达 and the payment queue
write the amount in capitals (大写金额).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from calculators.formats import daxie
from calculators.labels import STATE_TITLES
from calculators.rulesets.bundled import rulebook
from tests.app.conftest import Service
from tests.app.test_pages_finance_audit import build_world, page, sign_in

SCHEMES = ("city-50-local-50", "local-100", "province-100")


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def codes() -> list[str]:
    book = rulebook()
    programs = {p for rs in book.rule_sets.values() for p in rs.programs}
    return sorted({*programs, *book.rule_sets, *SCHEMES, *book.jurisdictions}, key=len, reverse=True)


def bare_codes(text: str) -> list[str]:
    """Codes that stand in the text other than in parentheses right after a name."""
    found = []
    for code in codes():
        for m in re.finditer(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text):
            before, after = text[:m.start()], text[m.end():]
            if not (before.endswith("（") and after.startswith("）") and len(before) > 1 and before[-2] != " "):
                found.append(f"{code} in …{text[max(0, m.start() - 40):m.end() + 20]}…")
    return found


def test_pages_show_names_chinese_dates_and_capitals(service: Service) -> None:
    n = build_world(service)
    seen: dict[str, str] = {}
    for user, paths in (
            ("bureau", ["/", "/claims", f"/claims/{n['A']}", f"/claims/{n['C']}", f"/claims/{n['D']}",
                        "/bureau/queue", "/bureau/notices", "/platforms", "/platforms/P1", "/platforms/P3"]),
            ("nanhu-econ", ["/", "/claims", "/claims/new?platform=P1", "/platforms/P1", "/platforms/new"]),
            ("city-fin", ["/finance/issue", "/finance/queue", f"/claims/{n['A']}"]),
            ("auditor", ["/audit/reconciliation", "/audit/journal", "/audit/exceptions", "/audit/actions"]),
            ("admin", ["/admin/users", "/admin/holidays"])):
        client = sign_in(service, user)
        for path in paths:
            seen[f"{user} {path}"] = visible(page(client, path))
        client.post("/logout", data={})
        client.cookies.clear()

    for where, text in seen.items():
        assert not bare_codes(text), (where, bare_codes(text))
        assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), (where, re.findall(r".{30}\b20\d\d-\d\d-\d\d\b.{10}", text))
        assert not re.search(r"\d\.\d{5,} 万元|\d\.\d{1,3} 万元", text), (where, re.findall(r"\S+ 万元", text))
        states = [m.group(0) for s in STATE_TITLES for m in re.finditer(rf".{{30}}(?<![\w-]){s}(?![\w-]).{{10}}", text)]
        assert not states, (where, states)

    claim = seen[f"bureau /claims/{n['A']}"]
    assert "国家级、省级中试平台设备投入补助" in claim and "嘉兴市中试平台管理评价细则" in claim
    assert "2026年3月25日" in claim and "2026年4月1日" in claim  # the meeting, the notice
    assert "大写 伍拾捌万伍仟元整" in claim and "58.5000 万元" in claim  # the approved amount
    assert "大写 壹拾万元零壹分" in claim  # the city's payment of 100,000.01 元
    assert "适用规则" in claim and "分担方案 = 市、区两级财政各承担50%" in claim  # the trace, in names
    assert "嘉兴市财政局 = 292,500.00 元" in claim and "南湖区财政局 = 292,500.00 元" in claim
    assert "P1 · 南湖区" in seen["city-fin /finance/queue"] and "P4 · 海宁市" in seen["city-fin /finance/issue"]
    assert daxie(192_499_99) in seen["city-fin /finance/queue"]  # the city's outstanding share of A
    issue = seen["city-fin /finance/issue"]
    assert "2026年4月9日" in issue and "2026年4月1日" in issue and daxie(585_000_00) in issue  # D awaits issue
    cap_line = seen["nanhu-econ /claims/new?platform=P1"]
    assert "国家级、省级中试平台设备投入补助 尚可" in cap_line, cap_line


def test_every_claim_state_has_its_name() -> None:
    """The one label table covers every state the database allows (add a state: add its name)."""
    from ledger.models import CLAIM_STATES

    assert set(CLAIM_STATES) <= set(STATE_TITLES), set(CLAIM_STATES) - set(STATE_TITLES)
    assert all(re.search(r"[\u4e00-\u9fff]", t) for t in STATE_TITLES.values())
