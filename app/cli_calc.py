"""``subsidy calc``'s summary for people: per claim the program (Chinese name, code after it), the
status, the payable in 元 and 万元, each payer's share, why it is less than computed, and the trace's key
steps with their clauses. ``subsidy calc --json`` prints the whole evaluation for machines instead.

Amounts go through :mod:`calculators.formats`, from the integer fen of the results."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from app.cli_ui import add_row, text
from calculators import formats
from calculators.engine import Evaluation
from calculators.results import ClaimResult, TraceStep

STATUS_WORDS = {"payable": "应付", "capped": "受累计上限限制", "offset": "就高不重复抵减", "excluded": "不予支持",
                "ineligible": "不符合条件", "declined": "未申报", "reversed": "已撤销"}
PARTY_WORDS = {"city": "市级", "local": "区县", "province": "省级"}
LEVEL_WORDS = {"national": "国家级", "provincial": "省级", "municipal": "市级"}
STEP_WORDS = {
    "rule-set": "适用规则集", "window": "年度范围", "rate": "比例测算", "amount": "金额", "cap": "累计上限",
    "higher-of": "就高不重复", "exclusive": "择一享受", "exclusion": "不予支持", "approved": "党组会审定",
    "split": "资金分担", "level": "平台级别", "once": "一次性", "once-in-years": "年限内一次", "upgrade": "升级",
    "recognition": "认定", "span": "期间", "pool": "入库", "status": "状态", "as-of": "截至日", "record": "备案",
    "investment": "设备投入", "evaluation": "评价", "grade": "等次",
}
DETAIL_STEPS = frozenset({"investment", "record"})
"""Steps the summary leaves to ``--json`` (one line per year of investment and the record check): the total
they add up to appears in the key steps that use it."""


def _yuan(fen: int) -> str:
    return f"{formats.yuan_grouped(fen)} 元"


def _payable_line(r: ClaimResult) -> Text:
    line = text("应付金额：")
    line.append(_yuan(r.payable), style="bold")
    line.append(f"（{formats.wan(r.payable)} 万元）")
    if r.gross != r.payable:
        line.append(f"；测算 {_yuan(r.gross)}，应得 {_yuan(r.entitled)}")
        if r.offset:
            line.append(f"，就高不重复抵减 {_yuan(r.offset)}")
    return line


def _shares(r: ClaimResult) -> Table | None:
    if not r.shares:
        return None
    t = Table(title="资金分担", title_justify="left", header_style="bold")
    t.add_column("承担方", overflow="fold")
    t.add_column("层级", no_wrap=True)
    t.add_column("金额（元）", justify="right", no_wrap=True)
    for s in r.shares:
        add_row(t, f"{s.payer_name}（{s.payer}）", PARTY_WORDS.get(s.party, s.party), formats.yuan_grouped(s.amount))
    return t


def key_steps(r: ClaimResult) -> list[TraceStep]:
    """The steps the summary shows: all but the per-item detail of :data:`DETAIL_STEPS`."""
    return [s for s in r.trace if s.step not in DETAIL_STEPS]


def _trace(r: ClaimResult) -> Table:
    t = Table(title="计算过程（要点；全部步骤见 --json）", title_justify="left", header_style="bold")
    t.add_column("步骤", no_wrap=True)
    t.add_column("说明", overflow="fold", ratio=1)
    t.add_column("依据", overflow="fold", ratio=1)
    for s in key_steps(r):
        add_row(t, STEP_WORDS.get(s.step, s.step), s.note, s.clause)
    return t


def claim_panel(r: ClaimResult) -> Panel:
    """One claim, as a panel: heading, status, amounts, shares, reasons, key steps."""
    parts: list[Text | Table] = [
        text(f"规则集：{r.rule_set_title}（{r.rule_set}）"),
        text(f"结论：{STATUS_WORDS.get(r.status, r.status)}" + (f"　触发：{r.trigger}" if r.trigger else "")),
        _payable_line(r),
    ]
    if r.cap is not None:
        c = r.cap
        parts.append(text(f"累计上限：{LEVEL_WORDS.get(c.level, c.level)} {_yuan(c.limit)}，"
                          f"此前已用 {_yuan(c.used)}，尚余 {_yuan(c.headroom)}（{c.clause}）"))
    shares = _shares(r)
    if shares is not None:
        parts.append(shares)
    parts.extend(text(f"原因：{reason}") for reason in r.reasons)
    parts.extend(text(f"提示：{w}") for w in r.warnings)
    parts.append(_trace(r))
    title = text(f"申请 {r.claim_id}　{r.program_title}（{r.program}）", style="bold")
    return Panel(Group(*parts), title=title, title_align="left", expand=False)


def print_summary(ev: Evaluation, console: Console) -> None:
    """The whole evaluation for people: the platform, one panel per claim, the total payable."""
    platform = ev.scenario.platform
    console.print(text(f"{platform.name}（{platform.id}）：{len(ev.results)} 项申请", style="bold"))
    for r in ev.results:
        console.print(claim_panel(r))
    total = sum(r.payable for r in ev.results)
    console.print(text(f"应付合计：{_yuan(total)}（{formats.wan(total)} 万元）", style="bold"))
