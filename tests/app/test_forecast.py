"""The budget forecast (预算测算) through the API, the page and the command line, on a ledger with one
platform whose approved claim is issued but unpaid (docs/forecast.md)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from app.cli import cli
from tests.app.conftest import LiveServer, Service, screenshot
from tests.app.flow import issued_claim, post
from tests.app.test_pages_forms import csrf_of, signed_in

EQUIPMENT = "equipment-subsidy"


def _row(scenario: dict[str, Any], program: str, payer: str) -> list[str]:
    for r in scenario["rows"]:
        if r["program"] == program and r["payer"] == payer:
            return list(r["amounts"])
    return []


def test_api_projects_commitments_once_and_the_what_if_beside(service: Service) -> None:
    # P1 南湖区 (50/50), provincial; claim approved 585,000.00 (30% × 1,950,000.00), issued, not paid.
    number = issued_claim(service)
    body = {"first_year": 2027, "what_if": {"title": "比例25%", "what_if": {"equipment.rate": "0.25"}}}
    out = post(service.api("bureau"), "/forecasts", body, 200)
    current, what_if = out["scenarios"]
    assert [s["title"] for s in out["scenarios"]] == ["现行规则", "比例25%"]
    assert current["years"] == [2027, 2028, 2029]
    # 2027: the unpaid 292,500.00 each, once; plus 2026's investment (mean of 2023–2025 = 650,000.00) × 30%
    # = 195,000.00 → 97,500.00 each. P1 entered the pool in 2025, so its provincial recognition makes it a
    # 嘉兴市中试平台: the one-time award (1,000,000.00) is projected in 2027 and the higher-of group (就高不重复,
    # offset) pays it 1,000,000.00 − (585,000.00 + 195,000.00) = 220,000.00 → 110,000.00 each. 2028: the
    # equipment total 975,000.00 stays under the 1,000,000.00 already paid → 0; 2029: 1,170,000.00 − 1,000,000.00
    # = 170,000.00 → 85,000.00 each.
    assert current["by_source"]["已审定未拨付"] == ["585000.00", "0.00", "0.00"]
    assert _row(current, EQUIPMENT, "330400") == ["390000.00", "0.00", "85000.00"]
    assert _row(current, EQUIPMENT, "330402") == ["390000.00", "0.00", "85000.00"]
    assert _row(current, "municipal-award", "330402") == ["110000.00", "0.00", "0.00"]
    # the what-if applies to the new claims only: 25% × 650,000.00 = 162,500.00 → 81,250.00 each; the award
    # 1,000,000.00 − 747,500.00 = 252,500.00; 2028: 910,000.00 < 1,000,000.00 → 0; 2029: 72,500.00
    assert _row(what_if, EQUIPMENT, "330400") == ["373750.00", "0.00", "36250.00"]
    assert _row(what_if, "municipal-award", "330400") == ["126250.00", "0.00", "0.00"]
    assert number  # the approved claim is never projected again: only the commitment carries it
    city = post(service.api("city-fin"), "/forecasts", {"first_year": 2027}, 200)
    assert len(city["scenarios"]) == 1 and city["scenarios"][0]["rows"] == current["rows"]


@pytest.mark.parametrize("user", ["nanhu-econ", "nanhu-fin", "auditor", "admin"])
def test_api_forecast_is_for_the_city_bureau_and_city_finance_only(service: Service, user: str) -> None:
    r = service.api(user).post("/api/v1/forecasts", json={})
    assert r.status_code == 403
    assert "预算测算" in r.json()["error"]["message"]


def test_api_bad_what_if_is_refused_in_chinese_naming_field_and_rule(service: Service) -> None:
    r = service.api("bureau").post("/api/v1/forecasts", json={"what_if": {"what_if": {"equipment.rate": "三成"}}})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "what_if.equipment.rate" and "equipment.rate" in err["rule"]
    assert re.search(r"[\u4e00-\u9fff]", err["message"])
    r = service.api("bureau").post("/api/v1/forecasts", json={"what_if": {"what_if": {"equipment.rat": "0.2"}}})
    assert r.status_code == 422 and r.json()["error"]["field"] == "what_if.equipment.rat"
    r = service.api("bureau").post("/api/v1/forecasts", json={"plan": [{"platform": "NOPE", "year": 2026,
                                                                        "amount": "1.00"}]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "plan" and "NOPE" in r.json()["error"]["message"]
    r = service.api("bureau").post("/api/v1/forecasts", json={"what_if": {"draft": "id: [unclosed"}})
    assert r.status_code == 422 and r.json()["error"]["field"] == "draft" and "规则集草案" in r.json()["error"]["message"]


def test_page_shows_a_chart_per_payer_and_both_scenarios(service: Service) -> None:
    issued_claim(service)
    bureau = signed_in(service, "bureau")
    page = bureau.get("/bureau/forecast", params={"first_year": "2027", "rate": "0.25"})
    assert page.status_code == 200, page.text
    html = page.text
    assert html.count("<svg role=\"img\"") == 2  # 嘉兴市财政局 and 南湖区财政局
    assert "现行规则" in html and "假设测算" in html and 'data-scenario="1"' in html
    assert "39.0000 万元" in html  # 390,000.00 元, the city's 2027 under the current rules
    bad = bureau.get("/bureau/forecast", params={"rate": "<b>abc</b>"})
    assert bad.status_code == 422
    assert "设备补助比例" in bad.text and "<b>abc" not in bad.text
    xlsx = bureau.get("/bureau/forecast.xlsx", params={"first_year": "2027"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert signed_in(service, "nanhu-econ").get("/bureau/forecast").status_code == 403


def test_page_plan_upload(service: Service) -> None:
    issued_claim(service)
    bureau = signed_in(service, "bureau")
    token = csrf_of(bureau, "/bureau/forecast")
    plan = "平台编号,年度,计划设备投资（元）\nP1,2026,1000000.00\n".encode()
    r = bureau.post("/bureau/forecast", data={"csrf": token, "first_year": "2027"},
                    files={"plan": ("计划.csv", plan, "text/csv")})
    assert r.status_code == 200, r.text
    assert "已读入：计划.csv" in r.text
    assert "44.2500 万元" in r.text  # 292,500.00 + 30% × 1,000,000.00 / 2 = 442,500.00 for 2027
    bad = bureau.post("/bureau/forecast", data={"csrf": token},
                      files={"plan": ("计划.csv", b"platform,year,amount\nP1,20x6,1\n", "text/csv")})
    assert bad.status_code == 422 and "第2行投资计划的年度" in bad.text


def test_cli_prints_the_table_and_writes_the_dated_workbook_once(service: Service, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    issued_claim(service)
    monkeypatch.chdir(tmp_path)
    env = {"DATABASE_URL": service.db.url}
    r = CliRunner().invoke(cli, ["forecast", "--from", "2027", "--what-if", "equipment.rate=0.25"], env=env)
    assert r.exit_code == 0, r.output
    assert "39.0000" in r.output and "37.3750" in r.output and "按出资方对比" in r.output
    files = list(tmp_path.glob("预算测算_2027-2029年度_截至*.xlsx"))
    assert len(files) == 1
    wb = load_workbook(files[0])
    assert wb.sheetnames == ["汇总", "按出资方", "明细", "说明"]
    again = CliRunner().invoke(cli, ["forecast", "--from", "2027"], env=env)
    assert again.exit_code == 2 and "已存在" in again.output
    bad = CliRunner().invoke(cli, ["forecast", "--what-if", "equipment.rate=abc", "--out", "x.xlsx"], env=env)
    assert bad.exit_code == 2 and "参数假设" in bad.output and "equipment.rate" in bad.output


def test_workbook_keeps_a_formula_looking_name_as_text(service: Service, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.app.flow import file_claim, setup_budgets, setup_platform, to_audited

    c = service.api("nanhu-econ")
    post(c, "/platforms", {"code": "P9", "name": "=HYPERLINK(\"http://x\")", "jurisdiction": "330402"}, 201)
    post(c, "/platforms/P9/events", {"kind": "recognition", "on": "2026-02-10", "level": "provincial"}, 201)
    setup_platform(service)
    setup_budgets(service)
    to_audited(service, file_claim(service, "P9"))
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["forecast", "--from", "2027", "--out", "f.xlsx"], env={"DATABASE_URL": service.db.url})
    assert r.exit_code == 0, r.output
    ws = load_workbook(tmp_path / "f.xlsx")["明细"]
    names = [row[2].value for row in ws.iter_rows(min_row=2)]
    assert "=HYPERLINK(\"http://x\")" in names
    assert all(row[2].data_type == "s" for row in ws.iter_rows(min_row=2))


def test_browser_forecast_page(page_for: Any, live_server: LiveServer) -> None:
    issued_claim(live_server.service)
    page = page_for("city-fin")
    page.goto(f"{live_server.url}/bureau/forecast?first_year=2027")
    page.fill("input[name=rate]", "0.25")
    page.click("[data-testid=forecast-form] button[type=submit]")
    page.wait_for_selector("[data-testid=forecast-charts] svg")
    assert page.locator("[data-testid=forecast-side-by-side] section").count() == 2
    shot = screenshot(page, "service-forecast")
    assert shot.stat().st_size < 600_000
    if os.environ.get("UPDATE_DOCS_IMAGES") == "1":  # the README's picture; otherwise the tree is left alone
        shutil.copyfile(shot, Path(__file__).resolve().parents[2] / "docs" / "img" / "service-forecast.png")
