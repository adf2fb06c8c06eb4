"""Every refusal a user can meet speaks Chinese (issue 11 part 2): a walk over bad inputs through the API,
the pages and the command line. Each answer must

* be Chinese — it has CJK text and no English sentence (three English words in a row);
* name the field — the Chinese label on pages and the CLI (``字段：审定金额``), the machine name in the
  API's ``field`` key (``approved_amount``) with the message in Chinese;
* quote the value where one was typed (``收到 -5``), and
* change nothing: every table's row count, every claim's state, every budget and user stay as they were.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from ledger import services as S
from ledger.messages import label
from tests.app.conftest import Service
from tests.app.flow import V1, counts, post
from tests.app.test_pages_finance_audit import _invoices, build_world, csrf_of, page, sign_in
from tests.ledger.world import run_to_audited

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;:'’]+[A-Za-z]{2,}){2,}\b")


def chinese(message: str) -> None:
    assert CJK.search(message), f"no Chinese in {message!r}"
    found = ENGLISH_SENTENCE.search(message)
    assert found is None, f"English in {message!r}: {found.group(0) if found else ''}"


@dataclass
class Answer:
    message: str
    field: str  # the Chinese label on pages and the CLI; the machine name from the API


# ---------------------------------------------------------------- how each channel is read

def api(client: TestClient, method: str, path: str, body: Any = None, **params: Any) -> Answer:
    out = client.get(V1 + path, params=params).json() if method == "GET" else post(client, path, body)
    assert "error" in out, out
    return Answer(out["error"]["message"], out["error"]["field"])


def form_page(client: TestClient, path: str, data: dict[str, Any], csrf_from: str) -> Answer:
    token = csrf_of(page(client, csrf_from))
    r = client.post(path, data={"csrf": token, **data}, follow_redirects=False)
    assert r.status_code in (403, 404, 409, 422), (r.status_code, r.text[:300])
    text = r.text
    boxed = re.search(r'data-testid="form-error">\s*<strong>未办理：</strong>(.*?)\s*(?:<br>|<ul>|</div>)', text, re.S)
    if boxed:
        named = re.search(r'data-field="[^"]*">字段：([^<]*)</span>', text)
        return Answer(html.unescape(boxed.group(1)).strip(), html.unescape(named.group(1)) if named else "")
    plain = re.search(r'data-testid="error">(.*?)</p>', text, re.S)
    assert plain, text[:2000]
    named = re.search(r'data-field="[^"]*">字段：([^<]*)</p>', text)
    message = html.unescape(plain.group(1)).strip()
    # the administrator's forms put the field's name before the message: 「密码：至少 10 个字符」
    return Answer(message, html.unescape(named.group(1)) if named else message.removeprefix("未能载入：").split("：")[0])


def command(args: list[str], stdin: str = "") -> Answer:
    result = CliRunner().invoke(cli, args, input=stdin)
    assert result.exit_code == 2, (result.exit_code, result.output)
    text = result.stderr
    if text.lstrip().startswith("{"):
        errors = json.loads(text)["errors"]
        return Answer("；".join(e["message"] for e in errors), "；".join(e.get("label", "") for e in errors))
    return Answer(text.strip(), text.strip())


# ---------------------------------------------------------------- the world and the walk

SCENARIO = """
platform: {id: X, name: 某中试平台, jurisdiction: "330402"}
recognitions: [{level: provincial, date: 2026-02-10}]
investments: [{year: 2024, amount: AMOUNT}]
claims: [{id: C1, program: equipment-subsidy, application_date: 2026-03-01, years: [2024]}]
"""


def _cases(service: Service, n: dict[str, str], tmp: Path) -> list[tuple[str, str, Callable[[], Answer], str]]:
    """(channel, expected field, the bad request, a value the message must quote or a word it must say)."""
    bureau, city, nanhu, admin = (service.api(u) for u in ("bureau", "city-fin", "nanhu-econ", "admin"))
    aud, paid = n["E"], n["A"]
    web_bureau, web_city = sign_in(service, "bureau"), sign_in(service, "city-fin")
    web_nanhu, web_admin = sign_in(service, "nanhu-econ"), sign_in(service, "admin")
    approval = {"meeting_date": "2026-03-25", "minutes_number": "党组会〔2026〕5号"}
    payment = {"payer": "330400", "voucher_number": "SZ-900", "on": "2026-04-20"}
    claim = {"platform": "P1", "program": "equipment-subsidy", "application_date": "2026-06-01",
             "invoices": [{"issuer_code": "A", "number": "1", "date": "2025-01-01", "net": "100.00"}]}
    web_claim = f"/claims/{aud}"

    def entries(row: str) -> str:
        path = tmp / f"e{abs(hash(row))}.csv"
        path.write_text("凭证,记账日期,摘要,科目,借方金额,贷方金额,财政\n1,2025-01-05,期初,1001,1.00,,330400\n" + row,
                        encoding="utf-8")
        return str(path)

    def scenario(amount: str) -> str:
        path = tmp / f"s{abs(hash(amount))}.yaml"
        path.write_text(SCENARIO.replace("AMOUNT", amount), encoding="utf-8")
        return str(path)

    return [
        # the API: message in Chinese, ``field`` the machine name
        ("api", "approved_amount", lambda: api(bureau, "POST", f"/claims/{aud}/approval",
                                                {**approval, "approved_amount": "9999999.00"}), "9,999,999.00"),
        ("api", "approved_amount", lambda: api(bureau, "POST", f"/claims/{aud}/approval",
                                                {**approval, "approved_amount": "-5"}), "收到 -5"),
        ("api", "approved_amount", lambda: api(bureau, "POST", f"/claims/{aud}/approval",
                                                {**approval, "approved_amount": 1.5}), "1.5"),
        ("api", "minutes_number", lambda: api(bureau, "POST", f"/claims/{aud}/approval",
                                               {**approval, "minutes_number": ""}), "会议纪要文号"),
        ("api", "amount", lambda: api(city, "POST", f"/claims/{paid}/payments",
                                      {**payment, "amount": "5000000.01"}), "5,000,000.01"),
        ("api", "amount", lambda: api(city, "POST", f"/claims/{paid}/payments", {**payment, "amount": "0"}),
         "须大于 0"),
        ("api", "voucher_number", lambda: api(city, "POST", f"/claims/{paid}/payments",
                                              {**payment, "voucher_number": "", "amount": "1.00"}), "拨付凭证号"),
        ("api", "on", lambda: api(city, "POST", f"/claims/{paid}/payments",
                                  {**payment, "on": "2026-02-30", "amount": "1.00"}), "2026-02-30"),
        ("api", "jurisdiction", lambda: api(bureau, "POST", "/platforms",
                                            {"code": "PX", "name": "x", "jurisdiction": "999999"}), "999999"),
        ("api", "code", lambda: api(nanhu, "POST", "/platforms",
                                    {"code": "P1", "name": "x", "jurisdiction": "330402"}), "P1"),
        ("api", "code", lambda: api(nanhu, "POST", "/platforms",
                                    {"code": "P 1", "name": "x", "jurisdiction": "330402"}), "收到 P 1"),
        ("api", "invoices.0.net", lambda: api(nanhu, "POST", "/claims", {
            **claim, "invoices": [{**claim["invoices"][0], "net": "12.345"}]}), "12.345"),
        ("api", "application_date", lambda: api(nanhu, "POST", "/claims",
                                                {**claim, "application_date": "2026-13-01"}), "2026-13-01"),
        ("api", "program", lambda: api(nanhu, "POST", "/claims", {**claim, "program": ""}), "不能为空"),
        ("api", "amount", lambda: api(city, "POST", "/budgets", {
            "payer": "330400", "fiscal_year": 2027, "program": "equipment-subsidy", "amount": "abc",
            "on": "2027-01-05"}), "收到 abc"),
        ("api", "fiscal_year", lambda: api(city, "POST", "/budgets", {
            "payer": "330400", "fiscal_year": 1999, "program": "equipment-subsidy", "amount": "1.00",
            "on": "2027-01-05"}), "1999"),
        ("api", "password", lambda: api(admin, "POST", "/users", {
            "username": "newbie", "password": "short", "role": "auditor"}), "10"),
        ("api", "role", lambda: api(admin, "POST", "/users", {
            "username": "newbie", "password": "long-enough-123", "role": "king"}), "king"),
        ("api", "jurisdiction", lambda: api(admin, "POST", "/users", {
            "username": "newbie", "password": "long-enough-123", "role": "district_econ"}), "所属区县"),
        ("api", "claims", lambda: api(bureau, "POST", "/notices", {
            "claims": [], "publication_date": "2026-04-01", "title": "t"}), "至少 1 项"),
        ("api", "reason", lambda: api(bureau, "POST", f"/claims/{paid}/recoveries", {
            "payer": "330400", "amount": "1.00", "on": "2026-05-01", "reason": ""}), "追回原因"),
        ("api", "state", lambda: api(bureau, "POST", f"/claims/{paid}/approval", approval), "已下达"),
        ("api", "claim", lambda: api(bureau, "GET", "/claims/SQ2026-999999"), "SQ2026-999999"),
        ("api", "text", lambda: api(admin, "POST", "/holiday-notices", {
            "source": "坏文件", "text": "year: 2027\nbogus: 1\n"}), "bogus"),
        ("api", "extra", lambda: api(bureau, "POST", f"/claims/{aud}/approval",
                                     {**approval, "extra": "1"}), "请删去"),
        # the pages: the field's Chinese name beside the message
        ("page", "审定金额", lambda: form_page(web_bureau, f"{web_claim}/approve",
                                             {**approval, "approved_amount": "-5"}, web_claim), "收到 -5"),
        ("page", "审定金额", lambda: form_page(web_bureau, f"{web_claim}/approve",
                                             {**approval, "approved_amount": "2400000.123"}, web_claim),
         "收到 2400000.123"),
        ("page", "审定金额", lambda: form_page(web_bureau, f"{web_claim}/approve",
                                             {**approval, "approved_amount": "abc"}, web_claim), "收到 abc"),
        ("page", "审定金额", lambda: form_page(web_bureau, f"{web_claim}/approve",
                                             {**approval, "approved_amount": "9999999.00"}, web_claim),
         "9,999,999.00"),
        ("page", "会议纪要文号", lambda: form_page(web_bureau, f"{web_claim}/approve",
                                               {**approval, "minutes_number": ""}, web_claim), "必填"),
        ("page", "党组会日期", lambda: form_page(web_bureau, f"{web_claim}/approve",
                                             {**approval, "meeting_date": "2026-02-30"}, web_claim), "2026-02-30"),
        ("page", "投资年度 2023", lambda: form_page(web_bureau, f"{web_claim}/audit", {
            "firm": "某所", "report_number": "审1", "on": "2026-03-20", "year_2023": "-5"}, web_claim), "收到 -5"),
        ("page", "发票 A:1", lambda: form_page(web_bureau, f"{web_claim}/audit", {
            "firm": "某所", "report_number": "审1", "on": "2026-03-20", "inv_A:1": "abc"}, web_claim), "收到 abc"),
        ("page", "金额", lambda: form_page(web_city, f"/claims/{paid}/pay", {**payment, "amount": "5000000.01"},
                                          f"/claims/{paid}"), "5,000,000.01"),
        ("page", "拨付凭证号", lambda: form_page(web_city, f"/claims/{paid}/pay", {
            **payment, "voucher_number": "", "amount": "1.00"}, f"/claims/{paid}"), "必填"),
        ("page", "理由", lambda: form_page(web_bureau, f"/claims/{paid}/recover", {
            "payer": "330400", "amount": "1.00", "on": "2026-05-01", "reason": ""}, f"/claims/{paid}"), "追回原因"),
        ("page", "所属区县", lambda: form_page(web_bureau, "/platforms/new", {
            "code": "PX", "name": "某平台", "jurisdiction": "999999", "leader_type": "enterprise"}, "/platforms/new"), "999999"),
        ("page", "平台编号", lambda: form_page(web_nanhu, "/platforms/new", {
            "code": "P 1", "name": "某平台", "jurisdiction": "330402", "leader_type": "enterprise"}, "/platforms/new"), "收到 P 1"),
        ("page", "金额", lambda: form_page(web_city, "/finance/budgets", {
            "fiscal_year": "2027", "program": "equipment-subsidy", "amount": "-5", "on": "2027-01-05"},
            "/finance/queue"), "收到 -5"),
        ("page", "密码", lambda: form_page(web_admin, "/admin/users", {
            "username": "newbie", "password": "short", "role": "auditor"}, "/admin/users"), "至少 10 个字符"),
        ("page", "所属区县", lambda: form_page(web_admin, "/admin/users", {
            "username": "newbie", "password": "long-enough-123", "role": "district_econ"}, "/admin/users"),
         "区县角色须填写所属区县"),
        ("page", "内容", lambda: form_page(web_admin, "/admin/holidays", {
            "source": "坏文件", "text": "year: 2027\nbogus: 1\n"}, "/admin/holidays"), "bogus"),
        # the command line: the field's Chinese name on stderr
        ("cli", "第1项设备投资的金额", lambda: command(["calc", scenario("400000.5")]), "400000.5"),
        ("cli", "第1项设备投资的金额", lambda: command(["calc", scenario('"-5"')]), "收到 -5"),
        ("cli", "第1项设备投资的金额", lambda: command(["calc", scenario('"2400000.123"')]), "2400000.123"),
        ("cli", "角色", lambda: command(["user", "add", "newbie", "--role", "king"],
                                       "long-enough-123\nlong-enough-123\n"), "king"),
        ("cli", "密码", lambda: command(["user", "add", "newbie", "--role", "auditor"], "short\nshort\n"), "10"),
        ("cli", "所属区县", lambda: command(["user", "add", "newbie", "--role", "district_econ"],
                                        "long-enough-123\nlong-enough-123\n"), "所属区县"),
        ("cli", "申请编号", lambda: command(["report", "annex3", "SQ-none", "--out", str(tmp / "x.xlsx")]),
         "SQ-none"),
        # the bulk import of historical entries: the line and the column named, nothing written
        ("cli", "第 3 行“科目”列", lambda: command(["ledger", "import-entries", entries("1,2025-01-05,期初,9X,,1.00,330400\n")]),
         "'9X'"),
        ("cli", "第 3 行“贷方金额”列", lambda: command(["ledger", "import-entries", entries("1,2025-01-05,期初,4001,,-5,330400\n")]),
         "收到 -5"),
        ("cli", "第 3 行“财政”列", lambda: command(["ledger", "import-entries", entries("1,2025-01-05,期初,4001,,1.00,999999\n")]),
         "999999"),
        ("cli", "第 2 行“凭证”列", lambda: command(["ledger", "import-entries", entries("1,2025-01-05,期初,4001,,0.99,330400\n")]),
         "借方合计 1.00 元与贷方合计 0.99 元不等"),
    ]


@pytest.fixture
def world(service: Service, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("DATABASE_URL", service.db.url)
    numbers = build_world(service)
    with service.db.sessions.begin() as s:
        S.create_platform(s, code="P5", name="检测中试平台", jurisdiction="330402", operator="某公司")
        S.add_platform_event(s, "P5", kind="pool-entry", on=date(2025, 3, 1))
        S.add_platform_event(s, "P5", kind="recognition", on=date(2026, 2, 10), level="provincial")
    numbers["E"] = run_to_audited(service.db, code="P5", years={2023: 1_000_000_00}, invoices=_invoices("55"))
    return numbers


def test_every_refusal_is_chinese_names_its_field_and_changes_nothing(service: Service, world: dict[str, str],
                                                                    tmp_path: Path) -> None:
    cases = _cases(service, world, tmp_path)
    assert len(cases) >= 30
    assert {c for c, *_ in cases} == {"api", "page", "cli"}
    before = counts(service)
    for channel, field, run, quoted in cases:
        answer = run()
        where = f"{channel} {field}: {answer}"
        chinese(answer.message)
        assert quoted in answer.message, where
        if channel == "api":
            assert answer.field == field, where
        elif channel == "page":
            assert answer.field == field, where
            chinese(answer.field)
        else:
            assert field in answer.field, where
        assert counts(service) == before, where


@pytest.mark.parametrize(("path", "named"), [
    ("claims[3].application_date", "第4条申请的申报日期"),
    ("invoices.0.net", "第1张发票的金额(不含税)"),
    ("claims[0].invoices[2].date", "第1条申请的第3张发票的日期"),
    ("years.2024", "投资年度 2024"),
    ("invoices.91330400A:00010002", "发票 91330400A:00010002"),
    ("approved_amount", "审定金额"),
    (("body", "minutes_number"), "会议纪要文号"),
    (("query", "as_of"), "截至日期"),
    ("investments[0].amount", "第1项设备投资的金额"),
])
def test_field_paths_are_named_in_chinese(path: str | tuple[str, ...], named: str) -> None:
    assert label(path) == named


# ---------------------------------------------------------------- the journal's own refusals

def _journal_cases() -> list[tuple[str, Callable[[Any], object], str, str]]:
    """(what, a call on a session that the journal refuses, the field's Chinese name, a word of the message)."""
    from ledger import accounts as A
    from ledger.bulk import EntrySpec, import_entries
    from ledger.journal import Leg, post, reverse

    def entry(*legs: Leg) -> Callable[[Any], object]:
        return lambda s: post(s, entry_date=date(2026, 1, 1), kind="x", description="x", legs=list(legs))

    def bulk(*legs: Leg) -> Callable[[Any], object]:
        good = EntrySpec(date(2026, 1, 1), "x", "x", [Leg(A.TREASURY, 1), Leg(A.APPROPRIATION_REVENUE, -1)])
        return lambda s: import_entries(s, [good, EntrySpec(date(2026, 1, 2), "x", "x", list(legs))])

    return [
        ("one leg", entry(Leg(A.TREASURY, 5)), "分录", "只有 1 条分录"),
        ("zero", entry(Leg(A.TREASURY, 1), Leg(A.APPROPRIATION_REVENUE, -1), Leg(A.SUBSIDY_EXPENSE, 0)),
         "第3条分录的金额", "金额为 0"),
        ("account", entry(Leg("0000", 1), Leg(A.TREASURY, -1)), "第1条分录的科目", "'0000'"),
        ("unequal", entry(Leg(A.TREASURY, 1_000_00), Leg(A.APPROPRIATION_REVENUE, -999_99)), "分录",
         "借方合计 1,000.00 元与贷方合计 999.99 元不等"),
        ("views", entry(Leg(A.TREASURY, 1), Leg(A.COMMITTED, -1)), "分录", "财务会计分录借贷相差 0.01 元"),
        ("no entry", lambda s: reverse(s, 99, entry_date=date(2026, 1, 2), reason="错"), "凭证号", "没有第 99 号凭证"),
        ("bulk unequal", bulk(Leg(A.TREASURY, 2), Leg(A.APPROPRIATION_REVENUE, -1)), "第2张凭证的分录",
         "导入的第2张凭证：借方合计 0.02 元"),
        ("bulk account", bulk(Leg(A.TREASURY, 1), Leg("9X", -1)), "第2张凭证的第2条分录的科目", "'9X'"),
    ]


@pytest.mark.parametrize("case", _journal_cases(), ids=lambda c: c[0])
def test_the_journal_and_the_bulk_import_refuse_in_chinese(db: Any, case: tuple[str, Any, str, str]) -> None:
    """What ``ledger/journal.py`` and ``ledger/bulk.py`` refuse reaches the CLI and the API as it is: Chinese,
    the field named (its Chinese name by ``label``), the rule in Chinese, and nothing written."""
    from sqlalchemy import func, select

    from ledger.errors import JournalIntegrityError
    from ledger.models import JournalEntry, Posting

    _, call, field, said = case
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    with pytest.raises(JournalIntegrityError) as info, db.sessions.begin() as s:
        call(s)
    exc = info.value
    chinese(exc.message)
    chinese(exc.rule)
    assert said in exc.message, exc.message
    assert label(exc.field) == field, exc.field
    with db.sessions() as s:
        assert s.execute(select(func.count()).select_from(JournalEntry)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(Posting)).scalar_one() == 0
