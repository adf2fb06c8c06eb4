"""What a clerk needs at hand (issue 11 part 5): the claimable view on the new-claim page (each
district sees only its own platforms), the platform timeline, the city's fund progress (chart and
table, to the fen) and a notice's ready-to-publish 公示 text with its download — hostile names
escaped everywhere, the download's file name safe."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from app.pages.clerk import safe_filename
from ledger import services as S
from ledger.models import Notice
from tests.app.conftest import Service
from tests.app.test_pages_finance_audit import AUDITED, _invoices, build_world, page, sign_in
from tests.ledger.world import run_to_audited

HOSTILE = '<script>alert(1)</script>=HYPERLINK("http://x")'
HOSTILE_TITLE = "=cmd|' /C calc'!A0<script>x</script>/../公示"


def _world(service: Service, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setattr("app.pages.clerk._today", lambda: date(2026, 12, 3))
    numbers = build_world(service)
    db = service.db
    with db.sessions.begin() as s:
        S.create_platform(s, code="P5", name=HOSTILE, jurisdiction="330402", operator="运营公司")
        S.add_platform_event(s, "P5", kind="recognition", on=date(2026, 2, 10), level="provincial",
                             document_number="浙经信〔2026〕9号")
    numbers["E"] = run_to_audited(db, code="P5", years=AUDITED, invoices=_invoices("55"))
    with db.sessions.begin() as s:
        S.approve(s, claim_number=numbers["E"], meeting_date=date(2026, 3, 25), minutes_number="党组会〔2026〕5号",
                  actor="bureau")
        S.publish_notice(s, claim_numbers=[numbers["E"]], publication_date=date(2026, 4, 2), title=HOSTILE_TITLE,
                         actor="bureau")
    return numbers


def _notice_ids(service: Service) -> dict[str, int]:
    with service.db.sessions() as s:
        return {n.title: n.id for n in s.execute(select(Notice)).scalars()}


def test_claimable_view_shows_own_platforms_and_why_not(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    _world(service, monkeypatch)
    nanhu = sign_in(service, "nanhu-econ")
    html = page(nanhu, "/claims/new")
    assert re.findall(r'<tr data-platform="([^"]+)"', html) == ["P1", "P3", "P5"]  # never 海宁's P2, P4
    assert "精密传动" not in html and "智能装备" not in html
    p1 = html.split('<tr data-platform="P1"')[1].split("</tr>")[0]
    # P1 claimed its 2026 equipment subsidy: the year's claim is made; the one-time award can be claimed
    assert 'data-testid="blocked-equipment-subsidy" data-standing="outside_window"' in p1 and "2026年度" in p1
    # … less what the equipment subsidy already gave (就高不重复): 1,000,000 − 585,000
    assert 'data-testid="claimable-municipal-award"' in p1 and "415,000.00 元" in p1
    assert 'data-testid="blocked-provincial-award" data-standing="outside_window"' in p1
    assert "program=municipal-award" in p1
    p5 = html.split('<tr data-platform="P5"')[1].split("</tr>")[0]
    assert "data-standing=\"not_recognised\"" in p5  # P5 was never in the pool: no municipal award
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    one = page(nanhu, "/claims/new?platform=P1&program=municipal-award")
    assert 'value="municipal-award" selected' in one and one.count('<tr data-platform=') == 1
    assert nanhu.get("/claims/new?platform=P2").status_code == 404  # another district's: as if absent

    haining = sign_in(service, "haining-econ")
    assert re.findall(r'<tr data-platform="([^"]+)"', page(haining, "/claims/new")) == ["P2", "P4"]


def test_platform_timeline_in_date_order_linking_records(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    numbers = _world(service, monkeypatch)
    html = page(sign_in(service, "nanhu-econ"), "/platforms/P1")
    items = html.split('data-testid="timeline"')[1].split("</ol>")[0]
    dates = re.findall(r'<time datetime="([^"]+)"', items)
    assert dates == sorted(dates) and dates[0] == "2025-03-01" and dates[-1] == "2026-04-15"
    kinds = re.findall(r'<li data-kind="([^"]+)"', items)
    assert kinds[:2] == ["event", "recognition"] and kinds[-1] == "payment"
    a = numbers["A"]
    assert f'href="/claims/{a}"' in items and "党组会审定" in items and "资金下达" in items
    assert "100,000.01 元（嘉兴市财政局）" in items and "SZ-001" in items  # the payment: amount, payer, voucher
    hostile = page(sign_in(service, "nanhu-econ"), "/platforms/P5")
    assert "<script>alert" not in hostile


def test_fund_progress_per_payer_and_district(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    _world(service, monkeypatch)
    html = page(sign_in(service, "bureau"), "/bureau/funds?year=2026")
    row = {p: re.findall(r'<td class="num">([^<]+)</td>', html.split(f'<tr data-payer="{p}">')[1].split("</tr>")[0])
           for p in ("330400", "330402", "330481")}
    # city: A 292,500 + C 50,000.00 + E 292,500 committed; A and C issued; 100,000.01 paid
    assert row["330400"][:4] == ["3,000,000.00 元", "635,000.00 元", "342,500.00 元", "100,000.01 元"]
    assert row["330402"][:4] == ["3,000,000.00 元", "635,000.01 元", "342,500.01 元", "0.00 元"]
    assert row["330481"][:4] == ["3,000,000.00 元", "1,170,000.00 元", "585,000.00 元", "0.00 元"]
    svg = html.split('data-testid="funds-chart"')[1].split("</svg>")[0]
    assert svg.count("<rect") == 12 and "<script" not in svg
    districts = html.split('data-testid="funds-districts"')[1]
    assert 'data-row="330402/330400"' in districts and 'data-row="330481/330481"' in districts
    assert sign_in(service, "nanhu-econ").get("/bureau/funds").status_code == 403


def test_notice_text_and_download_escape_hostile_strings(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    _world(service, monkeypatch)
    ids = _notice_ids(service)
    bureau = sign_in(service, "bureau")
    first = page(bureau, f"/bureau/notices/{ids['2026年第一批中试平台补助公示']}")
    text = first.split('data-testid="notice-text"')[1].split("</pre>")[0]
    assert "2026年第一批中试平台补助公示" in text and "2026年4月1日至" in text
    assert "新材料中试平台" in text and "585,000.00" in text and "100,000.01" in text and "异议" in text
    assert f'href="/bureau/notices/{ids["2026年第一批中试平台补助公示"]}"' in page(bureau, "/bureau/notices")

    hostile_id = ids[HOSTILE_TITLE]
    html = page(bureau, f"/bureau/notices/{hostile_id}")
    assert "<script>" not in html and "&lt;script&gt;alert(1)" in html
    r = bureau.get(f"/bureau/notices/{hostile_id}/publicity.txt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    disposition = r.headers["content-disposition"]
    assert "/" not in disposition.split("''")[1] and ".." not in disposition and disposition.endswith(".txt")
    body = r.content.decode("utf-8-sig")
    lines = body.split("\r\n")
    assert lines[0].startswith("'=cmd")  # a spreadsheet opening the file reads no formula
    listed = [x for x in lines if x.startswith("1\t")]
    assert listed and listed[0].split("\t")[1] == "'" + HOSTILE if HOSTILE.startswith("=") else listed[0].split("\t")[1] == HOSTILE
    district = sign_in(service, "nanhu-econ")
    assert district.get(f"/bureau/notices/{hostile_id}").status_code == 403
    assert 'data-testid="notice-text-link"' not in page(district, "/bureau/notices")  # no link it may not follow


@pytest.mark.parametrize("title, expected", [
    ("2026年第一批公示", "2026年第一批公示.txt"),
    ("../../etc/passwd", "etc_passwd.txt"),
    ("a\r\nContent-Type: x", "a_Content-Type_x.txt"),
    ("...", "公示.txt"),
])
def test_safe_filename(title: str, expected: str) -> None:
    assert safe_filename(title, ".txt") == expected


def _docx(content: bytes) -> Any:
    import io

    from docx import Document

    return Document(io.BytesIO(content))


def test_notice_document_reads_back_as_the_bureau_publishes_it(service: Service,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The .docx offered on the notice page: title, period, the list as a table with its total, the objection
    channel, the issuer and the date; hostile titles and platform names are words, never markup or a path."""
    _world(service, monkeypatch)
    ids = _notice_ids(service)
    bureau = sign_in(service, "bureau")
    first = ids["2026年第一批中试平台补助公示"]
    assert f'href="/bureau/notices/{first}/publicity.docx"' in page(bureau, f"/bureau/notices/{first}")
    r = bureau.get(f"/bureau/notices/{first}/publicity.docx")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert r.headers["content-disposition"].endswith(".docx")
    doc = _docx(r.content)
    paragraphs = [p.text for p in doc.paragraphs if p.text]
    assert paragraphs[0] == "2026年第一批中试平台补助公示"
    assert "公示期为" in paragraphs[1] and "2026年4月1日至" in paragraphs[1]
    assert "异议" in paragraphs[2] and "嘉兴市经济和信息化局" in paragraphs[2]
    assert paragraphs[-2:] == ["嘉兴市经济和信息化局", "2026年4月1日"]
    (table,) = doc.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["序号", "平台名称", "所属区县", "补助项目", "拟补助金额（元）"]
    program = "国家级、省级中试平台设备投入补助"  # the program's Chinese name, the district's: no codes
    assert rows[1:] == [["1", "新材料中试平台", "南湖区", program, "585,000.00"],
                        ["2", "精密传动中试平台", "海宁市", program, "585,000.00"],
                        ["3", "生物医药中试平台", "南湖区", program, "100,000.01"],
                        ["4", "智能装备中试平台", "海宁市", program, "585,000.00"],
                        ["合计"] * 4 + ["1,855,000.01"]]  # 合计 spans the first four columns
    assert doc.core_properties.title == "2026年第一批中试平台补助公示"

    hostile = ids[HOSTILE_TITLE]
    r = bureau.get(f"/bureau/notices/{hostile}/publicity.docx")
    disposition = r.headers["content-disposition"]
    assert "/" not in disposition.split("''")[1] and ".." not in disposition and disposition.endswith(".docx")
    doc = _docx(r.content)
    assert doc.paragraphs[0].text == HOSTILE_TITLE  # as typed: a document evaluates no formula, runs no script
    assert [c.text for c in doc.tables[0].rows[1].cells][1] == HOSTILE
    assert sign_in(service, "nanhu-econ").get(f"/bureau/notices/{hostile}/publicity.docx").status_code == 403


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-platform="([^"]+)"', html)


def test_claimable_chooser_pages_and_searches_within_the_jurisdiction(service: Service,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """More platforms than one page (20): 上一页/下一页 through them in code order, a page past the last shows
    the last; 查找 by name, code or operator, the typed text taken literally (``%`` and ``_`` are no
    wildcards) and escaped on the page; another jurisdiction's platforms never appear."""
    monkeypatch.setattr("app.pages.clerk._today", lambda: date(2026, 12, 3))
    with service.db.sessions.begin() as s:
        for k in range(1, 46):
            kind = "检测" if k % 10 == 0 else "制造"
            S.create_platform(s, code=f"N{k:03d}", name=f"南湖{kind}中试平台{k}", jurisdiction="330402",
                              operator="某运营公司" if k != 7 else "百分之百_公司")
        S.create_platform(s, code="H001", name="海宁检测中试平台", jurisdiction="330481", operator="某公司")
    nanhu = sign_in(service, "nanhu-econ")
    first = page(nanhu, "/claims/new")
    assert _rows(first) == [f"N{k:03d}" for k in range(1, 21)]
    pager = first.split('data-testid="claimable-pager"')[1].split("</nav>")[0]
    assert "第 1 / 3 页，共 45 个平台" in pager and "page=2" in pager and "上一页" not in pager
    assert _rows(page(nanhu, "/claims/new?page=2")) == [f"N{k:03d}" for k in range(21, 41)]
    last = page(nanhu, "/claims/new?page=3")
    assert _rows(last) == [f"N{k:03d}" for k in range(41, 46)] and "下一页" not in last.split("claimable-pager")[1]
    assert _rows(page(nanhu, "/claims/new?page=99")) == _rows(last)  # past the end: the last page

    found = page(nanhu, "/claims/new?q=检测")
    assert _rows(found) == ["N010", "N020", "N030", "N040"]  # never 海宁's H001
    assert "共 4 个平台（查找“检测”）" in found and 'value="检测"' in found
    options = re.findall(r'<option value="([^"]+)"', found.split('name="platform"')[1].split("</select>")[0])
    assert options == ["N010", "N020", "N030", "N040"]  # the chooser's list, searched the same way
    assert _rows(page(nanhu, "/claims/new?q=n04")) == [f"N{k:03d}" for k in range(40, 46)]  # code, any case
    assert _rows(page(nanhu, "/claims/new?q=百分之百_")) == ["N007"]  # operator; "_" literal
    assert _rows(page(nanhu, "/claims/new?q=%25")) == []  # "%" literal: no platform has one
    assert _rows(page(nanhu, "/claims/new?q=海宁")) == []
    hostile = page(nanhu, "/claims/new?q=%3Cscript%3Ex")
    assert "<script>x" not in hostile and "&lt;script&gt;x" in hostile and "没有名称、编号或运营主体含" in hostile
    assert nanhu.get("/claims/new?page=0").status_code == 422
