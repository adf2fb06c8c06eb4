"""The rule-set loader: the bundled files load, every value is dated and cited, and a malformed file
fails fast with an error naming the file and the key (docs/adding-a-rule-set.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import yaml

from calculators.errors import InputErrors, RuleSetError
from calculators.rulesets.bundled import rulebook
from calculators.rulesets.loader import convert, parse_jurisdictions, parse_rule_set
from calculators.rulesets.model import Options

SOURCE = "test-rules.yaml"

MINIMAL: dict[str, Any] = {
    "id": "test-rules",
    "title": "测试细则",
    "issuer": "测试局",
    "in_force": {"from": "2026-01-01", "to": None, "clause": "测试 附则"},
    "purse": "municipal",
    "programs": {"equipment-subsidy": {"title": "设备补助", "clause": "测试 第一条"}},
    "parameters": {
        "equipment.rate": {
            "type": "rate",
            "description": "比例",
            "values": [
                {"from": "2026-01-01", "value": "0.30", "clause": "测试 第一条"},
                {"from": "2028-01-01", "value": "0.20", "clause": "测试 修订"},
            ],
        },
    },
}


def _text(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _with(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A deep copy of ``base`` (default MINIMAL) with ``path`` (keys separated by ``/``, digits for list items)
    set to ``value``; ``value`` = ``...`` deletes the key."""
    data: dict[str, Any] = yaml.safe_load(_text(base or MINIMAL))
    node: Any = data
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in path.split("/")]
    for step in parts[:-1]:
        node = node[step]
    if value is ...:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return data


def _param(kind: str, value: Any, **extra: Any) -> dict[str, Any]:
    return _with("parameters/x.y", {"type": kind, "values": [{"from": "2026-01-01", "value": value, "clause": "c"}],
                                    **extra})


# --- the bundled rule sets -------------------------------------------------------------------------------


def test_bundled_rule_sets_load() -> None:
    book = rulebook()
    assert {"jiaxing-rules-2026", "jiaxing-plan-2025", "zhejiang-2025"} <= set(book.rule_sets)
    rules = book.rule_sets["jiaxing-rules-2026"]
    assert rules.in_force_from == date(2026, 1, 11)  # printed 2025-12-12, in force 30 days later
    assert rules.in_force_to is None
    assert rules.printed == date(2025, 12, 12)
    assert rules.purse == "municipal"
    assert {"equipment-subsidy", "municipal-award"} <= set(rules.programs)
    plan = book.rule_sets["jiaxing-plan-2025"]
    assert plan.in_force_to == date(2026, 1, 10)  # superseded by the 细则 the day before it starts
    assert book.rule_sets["zhejiang-2025"].purse == "provincial"


def test_every_bundled_value_is_dated_and_cited() -> None:
    for rs in rulebook().rule_sets.values():
        assert rs.in_force_clause, rs.id
        for program in rs.programs.values():
            assert program.title and program.clause, (rs.id, program.id)
        for p in rs.parameters.values():
            assert p.values, (rs.id, p.name)
            for dv in p.values:
                assert dv.clause.strip(), (rs.id, p.name, dv.start)
                assert dv.start >= rs.in_force_from, (rs.id, p.name)


def test_jiaxing_rules_values() -> None:
    rs = rulebook().rule_sets["jiaxing-rules-2026"]
    on = date(2026, 6, 1)
    assert rs.param("equipment.rate", on).value == Decimal("0.30")
    assert rs.param("equipment.window_years", on).value == 3
    assert rs.param("equipment.cap.provincial", on).value == 500_000_000  # 500万 in fen
    assert rs.param("equipment.cap.national", on).value == 1_000_000_000  # 1000万 in fen
    assert rs.param("municipal_award.amount", on).value == 100_000_000  # 100万 in fen
    assert rs.param("municipal_award.max_times", on).value == 1
    assert tuple(rs.param("exclusivity.group", on).value) == ("equipment-subsidy", "municipal-award")
    assert set(rs.param("institution_exclusion.leader_types", on).value) == {
        "university", "research-institute", "public-institution"}
    schemes = rs.param("payer_split.schemes", on).value
    assert schemes["city-50-local-50"] == {"city": Decimal("0.5"), "local": Decimal("0.5")}
    assert schemes["local-100"] == {"local": Decimal(1)}
    assert rs.param("payer_split.district", on).value == "city-50-local-50"
    assert rs.param("payer_split.remainder_party", on).value == "local"
    assert "30%" in rs.param("equipment.rate", on).clause


def test_readings_have_defaults_and_alternatives() -> None:
    rs = rulebook().rule_sets["jiaxing-rules-2026"]
    expected = {
        "equipment.window": ("before-application-year", {"ending-with-application-year"}),
        "equipment.record_scope": ("all-recognised-in-jiaxing", {"pool-and-municipal-only"}),
        "equipment.vat": ("net-of-vat", {"with-vat"}),
        "exclusivity.mode": ("offset", {"exclusive"}),
        "payer_split.county": ("local-100", {"city-50-local-50"}),
        "notice.count_from": ("day-after-publication", {"publication-day"}),
    }
    for name, (default, others) in expected.items():
        reading = rs.parameters[name].reading
        assert reading is not None, name
        assert reading.default == default
        assert set(reading.alternatives) == {default} | others
        assert rs.param(name, date(2026, 6, 1)).value == default
    assert rs.parameters["equipment.rate"].reading is None


def test_options_override_and_cite_the_reading() -> None:
    rs = rulebook().rule_sets["jiaxing-rules-2026"]
    opts = Options(overrides={"jiaxing-rules-2026:payer_split.county": "city-50-local-50"},
                   readings=frozenset({"jiaxing-rules-2026:payer_split.county"}))
    got = rs.param("payer_split.county", date(2026, 6, 1), opts)
    assert got.value == "city-50-local-50"
    assert got.cite().endswith("（按所选解读）")
    what_if = rs.param("equipment.rate", date(2026, 6, 1), Options(overrides={"equipment.rate": Decimal("0.25")}))
    assert what_if.value == Decimal("0.25")
    assert what_if.cite().endswith("（假设测算）")
    # a prefixed override for another rule set does not apply here
    other = Options(overrides={"zhejiang-2025:equipment.rate": Decimal("0.1")})
    assert rs.param("equipment.rate", date(2026, 6, 1), other).value == Decimal("0.30")


def test_jurisdictions_and_payers() -> None:
    book = rulebook()
    districts = {c for c, j in book.jurisdictions.items() if j.split_class == "district"}
    counties = {c for c, j in book.jurisdictions.items() if j.split_class == "county"}
    assert districts == {"330402", "330411", "JXETDZ"}
    assert counties == {"330421", "330424", "330481", "330482", "330483", "JXPORT"}
    for j in book.jurisdictions.values():
        assert j.payer in book.payers
        assert book.payers[j.payer].level in {"district", "county"}
    assert [p.code for p in book.payers.values() if p.level == "city"] == ["330400"]
    assert [p.code for p in book.payers.values() if p.level == "province"] == ["330000"]


def test_rulebook_lookups() -> None:
    book = rulebook()
    assert book.get("jiaxing-rules-2026").short == "细则"
    with pytest.raises(InputErrors) as info:
        book.get("nope", field_name="claims[0].rule_set")
    assert info.value.issues[0].field == "claims[0].rule_set"
    assert "jiaxing-rules-2026" in info.value.issues[0].message  # lists the known ones
    assert [rs.id for rs in book.defining("equipment-subsidy")] == ["jiaxing-rules-2026"]
    on_2025 = {rs.id for rs in book.in_force_on(date(2025, 9, 1))}
    assert {"jiaxing-plan-2025", "zhejiang-2025"} <= on_2025
    assert "jiaxing-rules-2026" not in on_2025
    assert "shaoxing-guidance-2025" not in on_2025  # defines no programs: not a funding rule set
    assert book.in_force_on(date(2024, 6, 1)) == []


# --- dated values -------------------------------------------------------------------------------------


def test_values_are_looked_up_by_date() -> None:
    rs = parse_rule_set(_text(MINIMAL), SOURCE)
    assert rs.param("equipment.rate", date(2026, 1, 1)).value == Decimal("0.30")
    assert rs.param("equipment.rate", date(2027, 12, 31)).value == Decimal("0.30")
    assert rs.param("equipment.rate", date(2028, 1, 1)).value == Decimal("0.20")
    assert rs.param("equipment.rate", date(2028, 1, 1)).clause == "测试 修订"
    with pytest.raises(KeyError):
        rs.param("no.such", date(2026, 1, 1))


def test_a_value_ended_with_to_is_not_found_after_it() -> None:
    data = _with("parameters/equipment.rate/values", [
        {"from": "2026-01-01", "to": "2026-12-31", "value": "0.30", "clause": "c"}])
    p = parse_rule_set(_text(data), SOURCE).parameters["equipment.rate"]
    at_end = p.at(date(2026, 12, 31))
    assert at_end is not None and at_end.value == Decimal("0.30")
    assert p.at(date(2027, 1, 1)) is None


def test_a_null_value_ends_the_measure() -> None:
    data = _with("parameters/equipment.rate/values", [
        {"from": "2026-01-01", "value": "0.30", "clause": "c"},
        {"from": "2027-01-01", "value": None, "clause": "废止"}])
    rs = parse_rule_set(_text(data), SOURCE)
    assert rs.param("equipment.rate", date(2026, 6, 1)).value == Decimal("0.30")
    assert rs.parameters["equipment.rate"].at(date(2027, 6, 1)) is None
    with pytest.raises(InputErrors) as info:
        rs.param("equipment.rate", date(2027, 6, 1))
    assert info.value.issues[0].field == "equipment.rate"
    assert "没有参数 equipment.rate 的取值" in info.value.issues[0].message


@pytest.mark.parametrize(
    ("kind", "raw", "item", "expected"),
    [
        ("rate", "0.30", None, Decimal("0.30")),
        ("rate", 1, None, Decimal(1)),
        ("amount", "5000000.00", None, 500_000_000),
        ("amount", 100, None, 10_000),
        ("integer", 3, None, 3),
        ("enum", "offset", None, "offset"),
        ("text", "说明", None, "说明"),
        ("bool", True, None, True),
        ("list", ["national", "provincial"], None, ("national", "provincial")),
        ("shares", {"city": "0.5", "local": "0.5"}, None, {"city": Decimal("0.5"), "local": Decimal("0.5")}),
        ("table", {"优秀": 90, "良好": 75}, "integer", {"优秀": 90, "良好": 75}),
        ("table", {"a": "1.00"}, "amount", {"a": 100}),
        ("rate", None, None, None),
    ],
)
def test_convert_kinds(kind: str, raw: Any, item: str | None, expected: Any) -> None:
    assert convert(kind, raw, SOURCE, "k", item) == expected


# --- errors name the file and the key -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        (_with("colour", "red"), "colour", "不认识的键"),
        (_with("id", ...), "id", "缺少"),
        (_with("title", None), "title", "缺少"),
        (_with("issuer", ...), "issuer", "缺少"),
        (_with("in_force", ...), "in_force", "缺少"),
        (_with("in_force", "2026"), "in_force", "须写明 from"),
        (_with("in_force/from", ...), "in_force.from", "缺少"),
        (_with("in_force/from", "2026-13-01"), "in_force.from", "须为日期"),
        (_with("in_force/clause", ...), "in_force.clause", "缺少"),
        (_with("purse", "county"), "purse", "可选"),
        (_with("programs", ["equipment-subsidy"]), "programs", "programs 须逐项"),
        (_with("programs/equipment-subsidy/clause", ...), "programs.equipment-subsidy.clause", "缺少"),
        (_with("parameters", ["x"]), "parameters", "parameters 须逐项"),
        (_with("parameters/equipment.rate", "0.30"), "parameters.equipment.rate", "须写明"),
        (_with("parameters/equipment.rate/default", "0.3"), "parameters.equipment.rate.default", "不认识的键"),
        (_with("parameters/equipment.rate/type", ...), "parameters.equipment.rate.type", "缺少"),
        (_with("parameters/equipment.rate/type", "percent"), "parameters.equipment.rate.type", "不存在；可选"),
        (_with("parameters/equipment.rate/values", ...), "parameters.equipment.rate.values", "缺少"),
        (_with("parameters/equipment.rate/values", []), "parameters.equipment.rate.values", "至少一项"),
        (_with("parameters/equipment.rate/values/0", "0.30"), "parameters.equipment.rate.values[0]",
         "须写明"),
        (_with("parameters/equipment.rate/values/0/since", "2026-01-01"),
         "parameters.equipment.rate.values[0].since", "不认识的键"),
        (_with("parameters/equipment.rate/values/0/from", ...), "parameters.equipment.rate.values[0].from",
         "缺少"),
        (_with("parameters/equipment.rate/values/0/from", "1 Jan 2026"), "parameters.equipment.rate.values[0].from",
         "须为日期"),
        (_with("parameters/equipment.rate/values/0/to", "2025-01-01"), "parameters.equipment.rate.values[0].to",
         "早于开始"),
        (_with("parameters/equipment.rate/values/0/value", ...), "parameters.equipment.rate.values[0].value",
         "null 表示"),
        (_with("parameters/equipment.rate/values/0/clause", ...), "parameters.equipment.rate.values[0].clause",
         "缺少"),
        (_with("parameters/equipment.rate/values/1/from", "2025-06-01"),
         "parameters.equipment.rate.values[1].from", "从早到晚"),
        (_with("parameters/equipment.rate/values/0/value", 0.3), "parameters.equipment.rate.values[0].value",
         "带引号的十进制数字"),
        (_with("parameters/equipment.rate/values/0/value", "1.5"), "parameters.equipment.rate.values[0].value",
         "0 至 1 之间"),
        (_with("parameters/equipment.rate/values/0/value", "thirty"), "parameters.equipment.rate.values[0].value",
         "0 至 1 之间的十进制数字"),
        (_param("amount", 5000000.5), "parameters.x.y.values[0].value", "浮点数"),
        (_param("amount", "1.005"), "parameters.x.y.values[0].value", "超过两位小数"),
        (_param("integer", "3"), "parameters.x.y.values[0].value", "须为整数"),
        (_param("integer", True), "parameters.x.y.values[0].value", "须为整数"),
        (_param("enum", 3), "parameters.x.y.values[0].value", "须为文字"),
        (_param("bool", "yes"), "parameters.x.y.values[0].value", "true 或 false"),
        (_param("list", "national"), "parameters.x.y.values[0].value", "名称列表"),
        (_param("shares", {"city": "0.5", "local": "0.4"}), "parameters.x.y.values[0].value", "之和须为 1"),
        (_param("shares", {}), "parameters.x.y.values[0].value", "逐一列出各方"),
        (_param("shares", {"city": 0.5, "local": "0.5"}), "parameters.x.y.values[0].value.city",
         "带引号的十进制数字"),
        (_param("table", {"a": 1}), "parameters.x.y.values[0].value", "须写明 item"),
        (_param("table", [1]), "parameters.x.y.values[0].value", "逐项列出名称"),
        (_param("table", {"a": "x"}, item="integer"), "parameters.x.y.values[0].value.a", "须为整数"),
        (_param("enum", "a", reading="a or b"), "parameters.x.y.reading", "须写明 alternatives"),
        (_param("enum", "a", reading={"alternatives": {"a": "甲"}}), "parameters.x.y.reading.alternatives",
         "至少要有两个"),
        (_param("enum", "c", reading={"alternatives": {"a": "甲", "b": "乙"}}), "parameters.x.y.values",
         "不在解读的可选项中"),
    ],
)
def test_loader_errors_name_the_file_and_the_key(data: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(RuleSetError) as info:
        parse_rule_set(_text(data), SOURCE)
    err = info.value
    assert (err.source, err.key) == (SOURCE, key), str(err)
    assert message in err.message
    assert str(err).startswith(f"{SOURCE}: {key}: ")


@pytest.mark.parametrize(
    ("text", "message"),
    [("id: [unclosed", "不是有效的 YAML"), ("- a list\n- not a mapping\n", "顶层须为键值映射")],
)
def test_loader_refuses_a_file_that_is_not_a_rule_set(text: str, message: str) -> None:
    with pytest.raises(RuleSetError) as info:
        parse_rule_set(text, SOURCE)
    assert info.value.key == "(file)"
    assert message in info.value.message


JURIS = {
    "payers": [
        {"code": "330400", "name": "嘉兴市财政局", "level": "city"},
        {"code": "330402", "name": "南湖区财政局", "level": "district"},
    ],
    "jurisdictions": [
        {"code": "330402", "name": "南湖区", "kind": "district", "split_class": "district", "payer": "330402"},
    ],
}


def test_jurisdictions_parse() -> None:
    juris, payers = parse_jurisdictions(_text(JURIS), "j.yaml")
    assert juris["330402"].payer == "330402"
    assert payers["330400"].level == "city"


@pytest.mark.parametrize(
    ("path", "value", "key", "message"),
    [
        ("payers/1/code", "330400", "payers[1].code", "出资方代码 330400 重复"),
        ("payers/1/level", "town", "payers[1].level", "province、city、district 或 county"),
        ("payers/0/name", ..., "payers[0].name", "缺少"),
        ("jurisdictions/0/split_class", "city", "jurisdictions[0].split_class", "district 或 county"),
        ("jurisdictions/0/payer", "330411", "jurisdictions[0].payer", "未在 payers 中列出"),
        ("jurisdictions/0/kind", ..., "jurisdictions[0].kind", "缺少"),
        ("payers", ..., "payers", "缺少"),
    ],
)
def test_jurisdiction_errors(path: str, value: Any, key: str, message: str) -> None:
    with pytest.raises(RuleSetError) as info:
        parse_jurisdictions(_text(_with(path, value, JURIS)), "j.yaml")
    assert (info.value.source, info.value.key) == ("j.yaml", key)
    assert message in info.value.message


def test_duplicate_jurisdiction_code() -> None:
    data = _with("jurisdictions", [dict(JURIS["jurisdictions"][0]), dict(JURIS["jurisdictions"][0])], JURIS)
    with pytest.raises(RuleSetError) as info:
        parse_jurisdictions(_text(data), "j.yaml")
    assert info.value.key == "jurisdictions[1].code"
