"""Equipment subsidy for national/provincial platforms (国家级、省级中试平台设备投入补助).

细则 第四章（一）: 30% of audited equipment investment of the three years before the application
year on the first claim; later claims 30% of each following year's investment (当年设备投资) — by the
reading ``equipment.later_claims`` the unclaimed years inside the same three-year window; each year and
invoice claimed once; cumulative cap 1000万 (national) / 500万 (provincial) by the highest level
held on the claim date; a claim that would cross the cap is paid up to it.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from calculators.errors import InputErrors, InputIssue
from calculators.facts import Facts, Trigger, recognition_key
from calculators.formats import yuan_grouped
from calculators.money import apply_rate, rate_percent
from calculators.programs.base import ClaimContext, ProgramOutcome
from calculators.results import CapInfo
from calculators.rulesets.model import Options, Resolved, RuleSet
from calculators.scenario import ClaimInput

PROGRAM = "equipment-subsidy"
LEVEL_NAMES = {"national": "国家级", "provincial": "省级", "municipal": "市级"}


def find_trigger(facts: Facts, claim: ClaimInput, rs: RuleSet, options: Options) -> Trigger | None:
    on = claim.application_date
    levels = tuple(rs.param("equipment.eligible_levels", on, options).value)
    held = facts.highest_level(on, levels)
    if held is None:
        return None
    key = (PROGRAM, held[0])  # the same recognition triggers the platform's later claims
    found: Trigger | None = facts.memo.get(key)
    if found is None:
        i, r = held
        found = facts.memo[key] = Trigger(
            recognition_key(r, i), r.date, f"入围{LEVEL_NAMES[r.level]}中试平台（{r.document_number or '无文号'}，{r.date}）",
            "细则 第四章（一）(1)")
    return found


def _window(ctx: ClaimContext) -> tuple[list[int], str]:
    """Years the claim may cover and the clause that says so."""
    year = ctx.on.year
    prior_years = sorted(ctx.state.claimed_years)
    window = ctx.p("equipment.window")
    n = int(ctx.p("equipment.window_years").value)
    last = year - 1 if window.value == "before-application-year" else year
    if not prior_years:
        years = list(range(last - n + 1, last + 1))
        first, final = years[0], years[-1]
        ctx.step("window", window.cite(), lambda: f"首次申报：近{n}年设备投入，取{first}—{final}年度",
                 first_year=first, last_year=final, reading=window.value)
        return years, window.cite()
    later = ctx.p("equipment.later_claims")
    years = [y for y in _later_years(str(later.value), prior_years[-1], last, n) if y not in ctx.state.claimed_years]
    shown = tuple(years)  # the note is written when read: from what the years are now
    ctx.step("window", later.cite(),
             lambda: f"后续申报（{LATER_CLAIMS[str(later.value)]}）：已申报至{prior_years[-1]}年度，本次可申报"
             + (f"{'、'.join(map(str, shown))}年度" if shown else "的年度没有（无新的年度可申报）"),
             last_claimed_year=prior_years[-1], reading=later.value, window_reading=window.value)
    return years, later.cite()


LATER_CLAIMS = {
    "window": "近三年窗口内尚未申报的年度",
    "previous-year": "仅上一年度",
    "since-last-claim": "上次申报之后的各年度",
}


def _later_years(reading: str, last_claimed: int, last: int, n: int) -> range:
    """The years a later claim reaches under the reading of 当年设备投资 (before removing claimed ones)."""
    if reading == "window":
        return range(last - n + 1, last + 1)
    if reading == "previous-year":
        return range(last, last + 1)
    return range(last_claimed + 1, last + 1)


def compute(ctx: ClaimContext) -> ProgramOutcome:
    if ctx.trigger is None:
        return ProgramOutcome.ineligible(f"申报日{ctx.on}未入围国家级或省级中试平台（细则 第四章（一）(1)）")
    refusal = _outside_record(ctx)
    if refusal is not None:
        return refusal
    _one_claim_per_year(ctx)
    issues: list[InputIssue] = []
    window_years, window_clause = _window(ctx)
    years = _years(ctx, window_years, window_clause, issues)
    vat = ctx.p("equipment.vat")
    invoices_by_year, invoice_keys = _invoices(ctx, years, window_clause, str(vat.value), issues)
    if issues:
        raise InputErrors(issues)

    base_total = _investment(ctx, years, invoices_by_year, vat)
    rate = ctx.p("equipment.rate")
    gross = apply_rate(base_total, Decimal(rate.value))
    ctx.step("rate", rate.cite(), lambda: f"设备投入合计 × {rate_percent(Decimal(rate.value))}（四舍五入到分）",
             base_fen=base_total, rate=rate.value, gross_fen=gross)
    entitled, cap, reasons = _capped(ctx, gross)
    return ProgramOutcome("computed", gross, entitled, cap, reasons, tuple(years), tuple(invoice_keys))


def _outside_record(ctx: ClaimContext) -> ProgramOutcome | None:
    """The record scope (市级备案管理): under the narrow reading, only pool platforms and 嘉兴市中试平台."""
    record_scope = ctx.p("equipment.record_scope")
    if record_scope.value == "pool-and-municipal-only":
        in_pool = ctx.facts.pool_spell_on(ctx.on) is not None
        muni = ctx.facts.municipal_recognition(
            ctx.on,
            consecutive_excellent=int(ctx.p("recognition.consecutive_excellent").value),
            auto_levels=tuple(ctx.p("recognition.auto_levels").value),
        )
        if not in_pool and muni is None:
            ctx.step("record", record_scope.cite(), "平台不在培育库且非嘉兴市中试平台，不属市级备案管理")
            return ProgramOutcome.ineligible(f"未纳入市级备案管理（{record_scope.cite()}）")
    ctx.step("record", record_scope.cite(), "平台属市级备案管理范围", reading=record_scope.value)
    return None


def _one_claim_per_year(ctx: ClaimContext) -> None:
    """One claim per application year (当年设备投资)."""
    per_year = ctx.p("equipment.claims_per_year")
    earlier = ctx.state.application_years.get((PROGRAM, ctx.on.year), [])
    if len(earlier) >= int(per_year.value):
        raise InputErrors.one(f"{ctx.field}.application_date", per_year.cite(),
                              f"{ctx.on.year}年度已有设备补助申请 {earlier[0]}；每年度只可申报{per_year.value}次")


def _years(ctx: ClaimContext, window_years: list[int], window_clause: str, issues: list[InputIssue]) -> list[int]:
    """The years claimed: those given (each within the window and not claimed before), else every year of
    the window not yet claimed."""
    claim = ctx.claim
    if claim.years is None:
        return [y for y in window_years if y not in ctx.state.claimed_years]
    for k, y in enumerate(claim.years):
        if y in ctx.state.claimed_years:
            issues.append(InputIssue(f"{ctx.field}.years[{k}]", window_clause,
                                     f"{y}年度设备投资已由申请 {ctx.state.claimed_years[y]} 申报，不得重复"))
        elif y not in window_years:
            allowed = "、".join(map(str, window_years)) + "年度" if window_years else "无"
            issues.append(InputIssue(f"{ctx.field}.years[{k}]", window_clause,
                                     f"申报年度（years）中的{y}年度不可申报：本次可申报的年度为{allowed}"))
    return sorted(set(claim.years))


def _invoices(ctx: ClaimContext, years: list[int], window_clause: str, vat: str,
              issues: list[InputIssue]) -> tuple[dict[int, list[int]], list[str]]:
    """The invoices' amounts by year (audited where audited; with VAT under that reading) and their keys;
    an invoice claimed before or dated outside the years is an issue."""
    invoices_by_year: dict[int, list[int]] = {}
    invoice_keys: list[str] = []
    for k, inv in enumerate(ctx.claim.invoices):
        key = f"{inv.issuer_code}:{inv.number}"
        if key in ctx.state.claimed_invoices:
            issues.append(InputIssue(f"{ctx.field}.invoices[{k}]", "细则 第四章（一）(1)：发票只可申报一次",
                                     f"发票 {key} 已由申请 {ctx.state.claimed_invoices[key]} 申报"))
        if inv.date.year not in years:
            issues.append(InputIssue(f"{ctx.field}.invoices[{k}].date", window_clause,
                                     f"发票日期 {inv.date} 不在申报年度 {years} 之内"))
        base = inv.audited if inv.audited is not None else inv.net
        amount = base + (inv.vat if vat == "with-vat" else 0)
        invoices_by_year.setdefault(inv.date.year, []).append(amount)
        invoice_keys.append(key)
    return invoices_by_year, invoice_keys


def _investment(ctx: ClaimContext, years: list[int], invoices_by_year: dict[int, list[int]], vat: Resolved) -> int:
    """The equipment investment of the years: the audited figure of a year where there is one, else its
    invoices (traced year by year); with VAT or not by ``vat`` (``equipment.vat``)."""
    audited = ctx.facts.investments_by_year
    base_total = 0
    for y in years:
        source: str | int | None = None  # the audit report, the number of invoices, or none: see _investment_note
        if y in audited:
            a = audited[y]
            amount = a.amount + (a.vat if vat.value == "with-vat" else 0)
            source = a.audit_report or "审计报告"
        elif y in invoices_by_year:
            amount = sum(invoices_by_year[y])
            source = len(invoices_by_year[y])
        else:
            amount = 0
        base_total += amount
        ctx.step("investment", vat.cite(), partial(_investment_note, y, source, vat.value), year=y, amount_fen=amount)
    return base_total


def _investment_note(year: int, source: str | int | None, vat: str) -> str:
    """The investment step's note: where the year's figure comes from (an audit report, a number of
    invoices not yet audited, or nothing) and whether it includes VAT."""
    if isinstance(source, str):
        shown = f"审计确认（{source}）"
    elif source is not None:
        shown = f"发票合计（{source}张，待审计）"
    else:
        shown = "无设备投入记录"
    return f"{year}年度设备投入：{shown}，{'不含税' if vat == 'net-of-vat' else '含税'}"


def _capped(ctx: ClaimContext, gross: int) -> tuple[int, CapInfo, tuple[str, ...]]:
    """The cumulative cap (累计上限) of the highest level held on the application date: what is left of it
    limits the claim."""
    held = ctx.facts.highest_level(ctx.on, tuple(ctx.p("equipment.eligible_levels").value))
    assert held is not None  # the trigger exists
    level = held[1].level
    cap_param = ctx.p(f"equipment.cap.{level}")
    limit = int(cap_param.value)
    used = ctx.state.entitled.get(PROGRAM, 0)
    headroom = max(0, limit - used)
    entitled = min(gross, headroom)
    cap = CapInfo(level=level, limit=limit, used=used, headroom=headroom, clause=cap_param.cite())
    reasons: tuple[str, ...] = ()
    ctx.step("cap", cap_param.cite(),
             lambda: f"按申报日所获最高级别（{LEVEL_NAMES[level]}）累计上限；已累计{yuan_grouped(used)}元，剩余额度",
             limit_fen=limit, used_fen=used, headroom_fen=headroom, entitled_fen=entitled)
    if entitled < gross:
        reasons = (f"累计补助达到{LEVEL_NAMES[level]}上限{yuan_grouped(limit)}元，超出部分{yuan_grouped(gross - entitled)}元不予补助"
                   f"（{cap_param.cite()}）",)
    return entitled, cap, reasons
