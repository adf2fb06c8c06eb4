"""Parse rule-set and jurisdiction data (YAML text) into immutable models.

Pure: it takes text and the name of its source; reading the bytes happens in
:mod:`calculators.rulesets.bundled` (package data) or at the application edge (uploads).
Every error names the source file and the key, and says what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from calculators.errors import InputErrors, RuleSetError
from calculators.money import parse_yuan
from calculators.rulesets.model import (
    LEVELS,
    PROCEDURE_PARAMETER,
    ClaimState,
    DatedValue,
    Jurisdiction,
    Parameter,
    Payer,
    Procedure,
    ProgramInfo,
    Reading,
    RuleBook,
    RuleSet,
    Step,
)

KINDS = {"rate", "amount", "integer", "enum", "text", "list", "table", "shares", "bool"}
TOP_KEYS = {
    "id", "title", "short", "document_number", "issuer", "printed", "in_force", "purse",
    "programs", "parameters", "notes", "procedures",
}
STEP_KEYS = {"id", "title", "from", "to", "role", "level", "permission", "needs", "posts", "after", "not_by", "clause"}
PURSES = {"municipal", "provincial", "none"}


def _load_yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleSetError(source, "(file)", f"不是有效的 YAML：{exc}；请检查缩进、冒号和引号") from None


def _req(d: Mapping[str, Any], key: str, source: str, where: str) -> Any:
    if key not in d or d[key] is None:
        raise RuleSetError(source, f"{where}{key}", f"缺少必填项 {key}；请补上")
    return d[key]


def _date(v: Any, source: str, key: str) -> date:
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v)
        except ValueError:
            pass
    raise RuleSetError(source, key, f"须为日期（年-月-日，如 2026-01-11），收到 {v!r}")


# size: one branch per kind of value in the rule-set format, each a few lines; a dispatch table would scatter them
def convert(kind: str, v: Any, source: str, key: str, item: str | None = None) -> Any:
    """Convert a raw YAML value to the parameter's kind. Floats are refused for rates and amounts."""
    if v is None:
        return None
    if kind == "rate":
        if isinstance(v, (float, bool)):
            raise RuleSetError(source, key, f"比例须写成带引号的十进制数字（如 \"0.30\"），收到 {v!r}")
        try:
            d = Decimal(str(v))
        except InvalidOperation:
            raise RuleSetError(source, key, f"比例须为 0 至 1 之间的十进制数字（如 \"0.30\"），收到 {v!r}") from None
        if not (Decimal(0) <= d <= Decimal(1)):
            raise RuleSetError(source, key, f"比例须在 0 至 1 之间（如 \"0.30\"），收到 {v}")
        return d
    if kind == "amount":
        try:
            return parse_yuan(v, field=key)
        except InputErrors as exc:
            raise RuleSetError(source, key, str(exc.issues[0].message)) from None
    if kind == "integer":
        if not isinstance(v, int) or isinstance(v, bool):
            raise RuleSetError(source, key, f"须为整数，收到 {v!r}")
        return v
    if kind in ("enum", "text"):
        if not isinstance(v, str):
            raise RuleSetError(source, key, f"须为文字，收到 {v!r}")
        return v
    if kind == "bool":
        if not isinstance(v, bool):
            raise RuleSetError(source, key, f"须为 true 或 false，收到 {v!r}")
        return v
    if kind == "list":
        if not isinstance(v, list) or not all(isinstance(x, str | int) for x in v):
            raise RuleSetError(source, key, f"须为名称列表（如 [a, b]），收到 {v!r}")
        return tuple(v)
    if kind == "shares":
        if not isinstance(v, dict) or not v:
            raise RuleSetError(source, key, "分担比例须逐一列出各方及其比例（如 city: \"0.5\"）")
        shares = {str(p): convert("rate", s, source, f"{key}.{p}") for p, s in v.items()}
        if sum(shares.values(), Decimal(0)) != 1:
            raise RuleSetError(source, key, f"各方分担比例之和须为 1，收到 {v}")
        return shares
    if kind == "table":
        if not isinstance(v, dict):
            raise RuleSetError(source, key, "表格参数须逐项列出名称及其取值")
        if item is None:
            raise RuleSetError(source, key, "表格参数须写明 item（每项取值的类型）")
        return {str(k): convert(item, x, source, f"{key}.{k}") for k, x in v.items()}
    raise RuleSetError(source, key, f"类型 {kind!r} 不存在；可选：{'、'.join(sorted(KINDS))}")


# size: validates one parameter's keys in the file's order; each error names its key
def _parameter(name: str, raw: Any, source: str) -> Parameter:
    where = f"parameters.{name}"
    if not isinstance(raw, dict):
        raise RuleSetError(source, where, "参数须写明 type、description 和 values")
    unknown = set(raw) - {"type", "description", "values", "reading", "item", "unit"}
    if unknown:
        raise RuleSetError(source, f"{where}.{sorted(unknown)[0]}", "不认识的键；请删去或更正")
    kind = _req(raw, "type", source, f"{where}.")
    if kind not in KINDS:
        raise RuleSetError(source, f"{where}.type", f"类型 {kind!r} 不存在；可选：{'、'.join(sorted(KINDS))}")
    item = raw.get("item")
    values_raw = _req(raw, "values", source, f"{where}.")
    if not isinstance(values_raw, list) or not values_raw:
        raise RuleSetError(source, f"{where}.values", "须为至少一项的分日期取值列表")
    values: list[DatedValue] = []
    for i, vr in enumerate(values_raw):
        vkey = f"{where}.values[{i}]"
        if not isinstance(vr, dict):
            raise RuleSetError(source, vkey, "每项取值须写明 from、value 和 clause")
        bad = set(vr) - {"from", "to", "value", "clause"}
        if bad:
            raise RuleSetError(source, f"{vkey}.{sorted(bad)[0]}", "不认识的键；可用 from、to、value、clause")
        start = _date(_req(vr, "from", source, f"{vkey}."), source, f"{vkey}.from")
        end = _date(vr["to"], source, f"{vkey}.to") if vr.get("to") is not None else None
        if end is not None and end < start:
            raise RuleSetError(source, f"{vkey}.to", f"截止日期 {end} 早于开始日期 {start}；请更正")
        if "value" not in vr:
            raise RuleSetError(source, f"{vkey}.value", "缺少 value（写 null 表示该措施停止）")
        clause = _req(vr, "clause", source, f"{vkey}.")
        if values and start <= values[-1].start:
            raise RuleSetError(source, f"{vkey}.from", "分日期取值须按 from 日期从早到晚排列")
        values.append(DatedValue(start, end, convert(kind, vr["value"], source, f"{vkey}.value", item), clause))
    reading = None
    if "reading" in raw:
        rr = raw["reading"]
        if not isinstance(rr, dict) or "alternatives" not in rr:
            raise RuleSetError(source, f"{where}.reading", "解读须写明 alternatives（取值: 含义）")
        alts = rr["alternatives"]
        if not isinstance(alts, dict) or len(alts) < 2:
            raise RuleSetError(source, f"{where}.reading.alternatives", "解读至少要有两个可选项")
        default = values[-1].value
        if default not in alts:
            raise RuleSetError(source, f"{where}.values", f"取值 {default!r} 不在解读的可选项中；请改为可选项之一")
        reading = Reading(default=str(default), alternatives={str(k): str(x) for k, x in alts.items()})
    return Parameter(
        name=name,
        kind=kind,
        description=str(raw.get("description", "")),
        values=tuple(values),
        reading=reading,
        item=item,
    )


def parse_rule_set(text: str, source: str) -> RuleSet:
    """Parse one rule-set YAML document. Raises :class:`RuleSetError` naming ``source`` and the key."""
    raw = _load_yaml(text, source)
    if not isinstance(raw, dict):
        raise RuleSetError(source, "(file)", "规则集文件顶层须为键值映射（id、title、in_force……）")
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise RuleSetError(source, sorted(unknown)[0], f"不认识的键；可用：{'、'.join(sorted(TOP_KEYS))}")
    rid = _req(raw, "id", source, "")
    in_force = _req(raw, "in_force", source, "")
    if not isinstance(in_force, dict):
        raise RuleSetError(source, "in_force", "in_force 须写明 from、clause（可选 to）")
    purse = _req(raw, "purse", source, "")
    if purse not in PURSES:
        raise RuleSetError(source, "purse", f"资金渠道 {purse!r} 不存在；可选：{'、'.join(sorted(PURSES))}")
    progs_raw = raw.get("programs") or {}
    if not isinstance(progs_raw, dict):
        raise RuleSetError(source, "programs", "programs 须逐项写明项目代码及其 title、clause")
    programs = {
        str(pid): ProgramInfo(
            str(pid),
            str(_req(p, "title", source, f"programs.{pid}.")),
            str(_req(p, "clause", source, f"programs.{pid}.")),
        )
        for pid, p in progs_raw.items()
    }
    params_raw = raw.get("parameters") or {}
    if not isinstance(params_raw, dict):
        raise RuleSetError(source, "parameters", "parameters 须逐项写明参数名及其定义")
    parameters = {str(n): _parameter(str(n), p, source) for n, p in params_raw.items()}
    start = _date(_req(in_force, "from", source, "in_force."), source, "in_force.from")
    end = _date(in_force["to"], source, "in_force.to") if in_force.get("to") is not None else None
    return RuleSet(
        id=str(rid),
        title=str(_req(raw, "title", source, "")),
        short=str(raw.get("short") or rid),
        document_number=str(raw.get("document_number") or ""),
        issuer=str(_req(raw, "issuer", source, "")),
        printed=_date(raw["printed"], source, "printed") if raw.get("printed") else None,
        in_force_from=start,
        in_force_to=end,
        in_force_clause=str(_req(in_force, "clause", source, "in_force.")),
        purse=str(purse),
        programs=programs,
        parameters=parameters,
        source=source,
        procedures=_procedures(raw.get("procedures"), source),
    )


def _names(raw: Any, source: str, key: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise RuleSetError(source, key, f"{raw!r} is not a list of names")
    return tuple(raw)


def _step(raw: Any, source: str, where: str) -> Step:
    if not isinstance(raw, dict):
        raise RuleSetError(source, where, "a step is a mapping (id, title, from, to, role, level, permission, …)")
    unknown = set(raw) - STEP_KEYS
    if unknown:
        raise RuleSetError(source, f"{where}.{sorted(unknown)[0]}", "unknown key")
    states = {s.value for s in ClaimState}
    source_states, to = _names(raw.get("from"), source, f"{where}.from"), _names(raw.get("to"), source, f"{where}.to")
    for i, state in enumerate(source_states + to):
        if state not in states:
            key = f"{where}.from" if i < len(source_states) else f"{where}.to"
            raise RuleSetError(source, key, f"unknown state {state!r}; one of {sorted(states)}")
    level = str(_req(raw, "level", source, f"{where}."))
    if level not in LEVELS:
        raise RuleSetError(source, f"{where}.level", f"{level!r} is not one of {list(LEVELS)}")
    return Step(id=str(_req(raw, "id", source, f"{where}.")), title=str(_req(raw, "title", source, f"{where}.")),
                source=source_states, to=to, role=str(_req(raw, "role", source, f"{where}.")), level=level,
                permission=str(_req(raw, "permission", source, f"{where}.")),
                needs=_names(raw.get("needs"), source, f"{where}.needs"),
                posts=_names(raw.get("posts"), source, f"{where}.posts"),
                after=str(raw["after"]) if raw.get("after") else None,
                not_by=_names(raw.get("not_by"), source, f"{where}.not_by"), clause=str(raw.get("clause") or ""))


def _procedures(raw: Any, source: str) -> dict[str, Procedure]:
    """The ``procedures`` block: each procedure's steps; every state it names is reached from its filing."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RuleSetError(source, "procedures", "maps procedure id to title, clause and steps")
    out: dict[str, Procedure] = {}
    for pid, p in raw.items():
        where = f"procedures.{pid}"
        steps_raw = _req(p, "steps", source, f"{where}.") if isinstance(p, dict) else None
        if not isinstance(steps_raw, list) or not steps_raw:
            raise RuleSetError(source, f"{where}.steps", "must be a non-empty list of steps")
        steps = tuple(_step(s, source, f"{where}.steps[{i}]") for i, s in enumerate(steps_raw))
        ids = [s.id for s in steps]
        for i, step in enumerate(steps):
            if step.id in ids[:i]:
                raise RuleSetError(source, f"{where}.steps[{i}].id", f"step {step.id!r} appears twice")
            for other in (*step.not_by, *([step.after] if step.after else [])):
                if other not in ids:
                    raise RuleSetError(source, f"{where}.steps[{i}]", f"names an unknown step {other!r}")
        procedure = Procedure(str(pid), str(_req(p, "title", source, f"{where}.")),
                              str(_req(p, "clause", source, f"{where}.")), steps)
        _check_reachable(procedure, source, where)
        out[str(pid)] = procedure
    return out


def _check_reachable(procedure: Procedure, source: str, where: str) -> None:
    """Every state a procedure names must be reached from its filing step (one step with no ``from``)."""
    starts = [s for s in procedure.steps if not s.source]
    if len(starts) != 1:
        raise RuleSetError(source, f"{where}.steps", "needs exactly one first step (with no 'from')")
    reached = set(starts[0].to)
    grew = True
    while grew:
        more = {t for s in procedure.steps if set(s.source) & reached for t in s.to} - reached
        reached |= more
        grew = bool(more)
    missing = [s for s in procedure.states() if s not in reached]
    if missing:
        raise RuleSetError(source, f"{where}.steps", f"state {missing[0]!r} is never reached from filing")


def check_procedures(book: RuleBook) -> None:
    """Across the book: procedure ids are unique, and every program of a funding rule set names (in its
    parameter ``procedure.<program>``, every dated value and every alternative) a procedure that exists."""
    seen: dict[str, str] = {}
    for rs in book.rule_sets.values():
        for pid in rs.procedures:
            if pid in seen:
                raise RuleSetError(rs.source, f"procedures.{pid}", f"procedure id also defined in {seen[pid]}")
            seen[pid] = rs.source
    for rs in book.rule_sets.values():
        for program in rs.programs:
            name = f"{PROCEDURE_PARAMETER}{program}"
            param = rs.parameters.get(name)
            if param is None:
                raise RuleSetError(rs.source, f"parameters.{name}", f"program {program} names no procedure")
            named = {str(v.value) for v in param.values if v.value is not None}
            named |= set(param.reading.alternatives) if param.reading else set()
            for pid in sorted(named - set(seen)):
                raise RuleSetError(rs.source, f"parameters.{name}", f"unknown procedure {pid!r}")


def parse_jurisdictions(text: str, source: str) -> tuple[dict[str, Jurisdiction], dict[str, Payer]]:
    """Parse the jurisdictions file: payers (finance authorities) and jurisdictions with split class."""
    raw = _load_yaml(text, source)
    if not isinstance(raw, dict):
        raise RuleSetError(source, "(file)", "区县文件顶层须写明 payers 和 jurisdictions")
    payers: dict[str, Payer] = {}
    for i, p in enumerate(_req(raw, "payers", source, "")):
        key = f"payers[{i}]"
        code = str(_req(p, "code", source, f"{key}."))
        if code in payers:
            raise RuleSetError(source, f"{key}.code", f"出资方代码 {code} 重复；每个代码只列一次")
        level = str(_req(p, "level", source, f"{key}."))
        if level not in {"province", "city", "district", "county"}:
            raise RuleSetError(source, f"{key}.level", f"级别须为 province、city、district 或 county，收到 {level!r}")
        payers[code] = Payer(code, str(_req(p, "name", source, f"{key}.")), level)
    juris: dict[str, Jurisdiction] = {}
    for i, j in enumerate(_req(raw, "jurisdictions", source, "")):
        key = f"jurisdictions[{i}]"
        code = str(_req(j, "code", source, f"{key}."))
        if code in juris:
            raise RuleSetError(source, f"{key}.code", f"区县代码 {code} 重复；每个代码只列一次")
        split_class = str(_req(j, "split_class", source, f"{key}."))
        if split_class not in {"district", "county"}:
            raise RuleSetError(source, f"{key}.split_class", f"分担类别须为 district 或 county，收到 {split_class!r}")
        payer = str(_req(j, "payer", source, f"{key}."))
        if payer not in payers:
            raise RuleSetError(source, f"{key}.payer", f"出资方 {payer} 未在 payers 中列出；请先列出该出资方")
        juris[code] = Jurisdiction(
            code, str(_req(j, "name", source, f"{key}.")), str(_req(j, "kind", source, f"{key}.")),
            split_class, payer,
        )
    return juris, payers
