"""The ``subsidy`` command line (docs/cli.md).

    subsidy calc FILE [--reading KEY=VALUE] [--what-if KEY=VALUE] [--rule-set ID] [--json]
    subsidy rulesets [--json]
    subsidy serve [--host H --port P]        the service on DATABASE_URL (default var/subsidy.db)
    subsidy demo                              the demo dataset and users, then the service
    subsidy user add NAME --role R [--jurisdiction J]
    subsidy user list [--json]
    subsidy ledger verify [--against CHECKPOINT|ID:HASH] [--json]
    subsidy ledger checkpoint [--skip-verify] [--json]
    subsidy ledger export FILE [--force] | subsidy ledger import FILE
    subsidy ledger import-entries CSV [--actor A] [--batch N] [--json]   historical entries (app/cli_import.py)
    subsidy ledger trial-balance [--as-of DATE] [--json]
    subsidy report …                          app/cli_reports.py
    subsidy forecast [--from Y] [--plan CSV] [--what-if K=V] …   app/cli_forecast.py (预算测算)

For people: summaries and aligned tables (rich; Chinese counts two columns), progress bars on stderr
when it is a terminal and nothing when piped, usage errors in Chinese naming the argument (app/cli_ui.py).
For machines: ``--json``, amounts as decimal strings.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from app import cli_ui as ui
from app.cli_ui import ChineseTyper
from calculators import formats
from calculators.engine import Evaluation, evaluate
from calculators.errors import CalculatorError, InputErrors
from calculators.rulesets.bundled import rulebook
from calculators.scenario import parse_scenario

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from ledger.journal import VerifyReport
    from ledger.projections import ProjectionMismatch

# a crash's traceback never prints local variables (a password typed for ``user add`` is one)
cli = ChineseTyper(add_completion=False, no_args_is_help=True, help="中试平台补助资金计算与拨付台账",
                  pretty_exceptions_show_locals=False)

JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON（供程序读取），不输出摘要")]


@cli.callback()
def _read_settings() -> None:
    # the settings (ledger/settings.py) are read once, as each command starts
    from ledger.settings import SettingsError, load

    try:
        load()
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r} 不是 KEY=VALUE 形式（例如 {option} equipment.rate=0.25）",
                                     param_hint=option)
        out[key.strip()] = value.strip()
    return out


def _fail(exc: CalculatorError, as_json: bool) -> NoReturn:
    """The scenario's problems on stderr (exit 2): JSON under ``--json`` (each field also by its Chinese
    ``label``), else one Chinese line per field, the field named in Chinese (ledger/messages.py)."""
    from ledger.messages import label

    issues = ([(i.field, i.rule, i.message) for i in exc.issues] if isinstance(exc, InputErrors)
              else [("", "规则集", str(exc))])
    if as_json:
        payload = {"errors": [{"field": f, "label": label(f) if f else "", "rule": r, "message": m}
                              for f, r, m in issues]}
        sys.stderr.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        lines = [f"情景文件有 {len(issues)} 处问题，未计算：" if isinstance(exc, InputErrors) else "无法计算："]
        lines += [f"  {label(f)}：{m}（依据：{r}）" if f else f"  {m}（依据：{r}）" for f, r, m in issues]
        typer.echo("\n".join(lines), err=True)
    raise typer.Exit(2)


def evaluate_text(text: str, fmt: str, readings: dict[str, str], what_if: dict[str, str],
                  rule_set: str | None) -> Evaluation:
    scenario = parse_scenario(text, fmt=fmt)
    update: dict[str, object] = {}
    if readings:
        update["readings"] = {**scenario.readings, **readings}
    if what_if:
        update["what_if"] = {**scenario.what_if, **what_if}
    if rule_set:
        update["rule_set"] = rule_set
    if update:
        scenario = scenario.model_validate({**scenario.model_dump(), **update})
    return evaluate(scenario, rulebook())


def calc_text(text: str, fmt: str, readings: dict[str, str], what_if: dict[str, str],
              rule_set: str | None) -> dict[str, object]:
    """What ``subsidy calc --json`` prints."""
    return evaluate_text(text, fmt, readings, what_if, rule_set).to_dict()


@cli.command()
def calc(
    file: Annotated[Path, typer.Argument(help="情景文件（.json、.yaml 或 .yml）", metavar="情景文件", exists=True,
                                                 dir_okay=False)],
    reading: Annotated[list[str] | None, typer.Option(
        metavar="键=值", help="选用解读（可重复），如 equipment.rate=0.25；可选项见 docs/readings.md")] = None,
    what_if: Annotated[list[str] | None, typer.Option(
        metavar="键=值", help="参数假设：改变一个参数（可重复）")] = None,
    rule_set: Annotated[str | None, typer.Option(
        metavar="规则集", help="全部申请按此规则集计算（可选项见 subsidy rulesets）")] = None,
    as_json: JsonOption = False,
) -> None:
    """计算情景文件中的每条申请。

    每条申请输出摘要：补助项目、应付金额、资金分担、计算要点及其依据；加 --json 输出完整结果（JSON，金额为十进制字符串）。"""
    from app.cli_calc import print_summary

    fmt = "json" if file.suffix.lower() == ".json" else "yaml"
    try:
        ev = evaluate_text(file.read_text(encoding="utf-8"), fmt, _pairs(reading, "--reading"),
                           _pairs(what_if, "--what-if"), rule_set)
    except CalculatorError as exc:
        _fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps(ev.to_dict(), ensure_ascii=False, indent=2))
        return
    console = Console(highlight=False, emoji=False)
    if not console.is_terminal:
        console = Console(highlight=False, emoji=False, width=120)
    print_summary(ev, console)


@cli.command()
def rulesets(as_json: JsonOption = False) -> None:
    """列出内置规则集。

    表格：规则集、施行期间、资金、补助项目及依据；加 --json 输出 JSON。"""
    book = rulebook()
    sets = sorted(book.rule_sets.values(), key=lambda r: r.in_force_from)
    if as_json:
        typer.echo(json.dumps([{
            "id": rs.id, "title": rs.title, "purse": rs.purse, "in_force_from": rs.in_force_from.isoformat(),
            "in_force_to": rs.in_force_to.isoformat() if rs.in_force_to else None,
            "programs": [{"id": p.id, "title": p.title, "clause": p.clause} for p in rs.programs.values()],
        } for rs in sets], ensure_ascii=False, indent=2))
        return
    t = ui.table("规则集", [("规则集", "left"), ("施行期间", "left"), ("资金", "left"), ("补助项目", "left"),
                          ("依据", "left")])
    for rs in sets:
        span = f"{formats.date_cn(rs.in_force_from)}起" + (f"至{formats.date_cn(rs.in_force_to)}" if rs.in_force_to else "")
        for k, p in enumerate(rs.programs.values()):
            head = (f"{rs.title}（{rs.id}）", span, PURSE_WORDS.get(rs.purse, rs.purse)) if k == 0 else ("", "", "")
            ui.add_row(t, *head, f"{p.title}（{p.id}）", p.clause, end_section=k == len(rs.programs) - 1)
    ui.print_table(t)


PURSE_WORDS = {"municipal": "市级资金", "provincial": "省级资金", "none": "不涉及资金"}


def _listen_without_nagle() -> None:
    """Work around uvicorn's multi-worker mode leaving Nagle's algorithm on (uvicorn issue #3149): the
    supervisor binds the listening socket itself and asyncio then never sets TCP_NODELAY on accepted
    connections, so each keep-alive response waits ~40 ms for the client's delayed ACK. Setting it on the
    listening socket makes every accepted connection inherit it (Linux). Measured in bench/service.py."""
    import socket

    from uvicorn.config import Config

    bind = Config.bind_socket

    def bind_socket(self: Config) -> socket.socket:
        sock = bind(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    Config.bind_socket = bind_socket  # type: ignore[method-assign]


KEEP_ALIVE_SECONDS = 75
"""How long an idle keep-alive connection stays open (uvicorn's default is 5 s). Longer than the
clients' own idle limits (httpx 5 s, browsers tens of seconds), so that the client, not the server,
closes an idle connection: otherwise a request sent just as the server closes fails in transit (seen in
bench/service.py with clients pausing between clicks). 75 s is what common reverse proxies use."""


@cli.command()
def serve(
    host: Annotated[str, typer.Option(metavar="地址", help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="端口", help="监听端口")] = 8000,
    workers: Annotated[int, typer.Option(metavar="个数", help="工作进程数")] = 1,
) -> None:
    """启动服务。

    接口在 /api/v1，页面在 /；数据库为 DATABASE_URL（默认 var/subsidy.db）。"""
    import uvicorn

    from app.main import prepare_database

    prepare_database()
    if workers > 1:
        _listen_without_nagle()
        uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers, log_level="warning",
                    timeout_keep_alive=KEEP_ALIVE_SECONDS)
    else:
        from app.main import create_app

        uvicorn.run(create_app(), host=host, port=port, log_level="info", timeout_keep_alive=KEEP_ALIVE_SECONDS)


@cli.command()
def demo(
    host: Annotated[str, typer.Option(metavar="地址", help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="端口", help="监听端口")] = 8000,
    load_only: Annotated[bool, typer.Option("--load-only", help="只载入演示数据，不启动服务")] = False,
) -> None:
    """载入演示数据和演示用户，然后启动服务。

    演示数据只在第一次载入；数据库为 var/ 下的 SQLite 文件。"""
    from app.demo import load_demo
    from app.demo_users import describe, ensure_demo_users
    from app.main import create_app, prepare_database

    factory = prepare_database()
    summary = load_demo(factory)
    passwords = ensure_demo_users(factory)
    typer.echo(f"演示数据：{summary}")
    typer.echo("演示用户（密码首次启动时随机生成，保存在 var/demo-users.txt）：")
    typer.echo(describe(passwords))
    if load_only:
        return
    import uvicorn

    typer.echo(f"服务地址：http://{host}:{port}/  （API 文档：http://{host}:{port}/docs）")
    uvicorn.run(create_app(factory=factory), host=host, port=port, log_level="warning",
                timeout_keep_alive=KEEP_ALIVE_SECONDS)


from app.cli_reports import reports_cli  # noqa: E402  (the report commands live in their own module)

cli.add_typer(reports_cli, name="report")

from app.cli_forecast import forecast_command  # noqa: E402  (预算测算, docs/forecast.md)

cli.command("forecast")(forecast_command)

user_cli = ChineseTyper(no_args_is_help=True, help="用户管理：添加用户、列出用户")
cli.add_typer(user_cli, name="user")


def _new_password() -> str:
    """The password typed twice (hidden); asked again when the two differ."""
    while True:
        first = typer.prompt("密码", hide_input=True)
        if typer.prompt("再输入一次密码", hide_input=True) == first:
            return str(first)
        typer.echo("两次输入的密码不一致，请重新输入。", err=True)


@user_cli.command("add")
def user_add(
    username: Annotated[str, typer.Argument(metavar="用户名", help="登录用的用户名")],
    role: Annotated[str, typer.Option(metavar="角色", help="用户的角色（可选值见上）")],
    jurisdiction: Annotated[str | None, typer.Option(
        metavar="区县代码", help="所属区县代码（区县角色必填），如 330402")] = None,
    display_name: Annotated[str, typer.Option(metavar="姓名", help="显示的姓名")] = "",
) -> None:
    """添加用户。

    密码在提示时输入两次（不写在命令行上）。

    角色：district_econ（区县经信部门）、district_finance（区县财政部门）、city_bureau（市经信局）、city_finance（市财政局）、auditor（审计人员）、admin（系统管理员）。"""
    from app.main import prepare_database
    from app.security import create_user
    from ledger.db import transaction
    from ledger.errors import LedgerError

    password = _new_password()
    try:
        with transaction(prepare_database()) as s:
            create_user(s, username=username, password=password, role=role, jurisdiction=jurisdiction,
                        display_name=display_name)
    except LedgerError as exc:
        from ledger.messages import label

        typer.echo(f"拒绝：{label(exc.field) + '：' if exc.field else ''}{exc.message}（依据：{exc.rule}）", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"已添加用户 {username}")


@user_cli.command("list")
def user_list(as_json: JsonOption = False) -> None:
    """列出用户。

    表格：用户名、姓名、角色、所属区县、状态（启用、停用、锁定）；加 --json 输出 JSON。"""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from app.permissions import ROLE_TITLES
    from ledger.db import reading
    from ledger.models import Jurisdiction, User

    with reading(_sessions()) as s:
        users = s.execute(select(User.username, User.display_name, User.role, User.jurisdiction_code, User.active,
                                 User.locked_until).order_by(User.username)).all()
        names = {code: name for code, name in s.execute(select(Jurisdiction.code, Jurisdiction.name))}
    now = datetime.now(UTC)

    def state(active: bool, locked: datetime | None) -> str:
        if locked is not None and locked.tzinfo is None:  # SQLite keeps no zone: the moments are UTC
            locked = locked.replace(tzinfo=UTC)
        if not active:
            return "停用"
        return f"锁定至 {formats.moment_text(locked, seconds=False)}" if locked and locked > now else "启用"

    if as_json:
        typer.echo(json.dumps([{"username": u.username, "display_name": u.display_name, "role": u.role,
                                "jurisdiction": u.jurisdiction_code, "active": u.active,
                                "state": state(u.active, u.locked_until)} for u in users],
                              ensure_ascii=False, indent=2))
        return
    t = ui.table(f"用户（{len(users)} 人）", [("用户名", "left"), ("姓名", "left"), ("角色", "left"),
                                          ("区县", "left"), ("状态", "left")])
    for u in users:
        code = u.jurisdiction_code
        ui.add_row(t, u.username, u.display_name or "—", ROLE_TITLES.get(u.role, u.role),
                   f"{names.get(code, '')}（{code}）" if code else "—", state(u.active, u.locked_until))
    ui.print_table(t)


ledger_cli = ChineseTyper(no_args_is_help=True, help="台账：校验、检查点、档案导出导入、试算平衡、迁移")
cli.add_typer(ledger_cli, name="ledger")


def _sessions() -> sessionmaker[Session]:
    from ledger.db import ensure_schema, make_engine, session_factory

    engine = make_engine()
    ensure_schema(engine)
    return session_factory(engine)


def _out(payload: dict[str, object], human: list[str], as_json: bool) -> None:
    """JSON for machines (``--json``), lines for people."""
    typer.echo(json.dumps(payload, ensure_ascii=False) if as_json else "\n".join(human))


def _refused(exc: Exception, as_json: bool) -> NoReturn:
    from ledger.errors import LedgerError

    if not isinstance(exc, LedgerError):
        raise exc
    if as_json:
        typer.echo(json.dumps({"ok": False, "error": exc.to_dict()}, ensure_ascii=False))
    else:
        typer.echo(f"拒绝：{exc.message}", err=True)
    raise typer.Exit(2)


@ledger_cli.command("verify")
def ledger_verify(
    against: Annotated[str | None, typer.Option(
        "--against", metavar="检查点",
        help="核对依据：检查点文件、档案，或文件上印的链头 凭证号:哈希（至少 16 位十六进制）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象")] = False,
    chain_only: Annotated[bool, typer.Option(
        "--chain-only", help="只校验哈希链及其锚点，不重算日记账以外的金额")] = False,
) -> None:
    """校验账链。

    重算哈希链，证明它仍延续各检查点（或给定的链头），并由日记账重算表中保存的每个金额。

    不符时退出码为 1，并指出第一张不符的凭证（或不符的表、行和字段）。"""
    from dataclasses import asdict

    from ledger import projections
    from ledger.checkpoint import verify_against
    from ledger.db import reading

    try:
        with ui.progress_bar("校验账链") as progress, reading(_sessions(), snapshot=True) as s:
            report, basis = verify_against(s, against, progress=progress)
            # amounts kept outside the journal, recomputed from it
            mismatches = [] if chain_only else projections.check(s)
    except Exception as exc:  # a LedgerError is a refusal (exit 2); anything else propagates
        _refused(exc, as_json)
    ok = report.ok and not mismatches
    if as_json:
        _out({**report.to_dict(), "ok": ok, "against": basis.to_dict(),
              "projections": [asdict(m) for m in mismatches]}, [], True)
    else:
        _verify_human(report, basis.describe(), mismatches)
    if not ok:
        raise typer.Exit(1)


def _verify_human(report: VerifyReport, basis: str, mismatches: list[ProjectionMismatch]) -> None:
    """The verdict as lines, then any projection that disagrees with the journal as a table."""
    lines = [basis]
    if report.ok:
        lines.append(f"账链完整：{report.entries:,} 张凭证、{report.postings:,} 条分录，链头为第 {report.head_id} 号凭证 "
                     f"{report.head_hash[:16]}…")
        if report.anchored is not None:
            lines.append(f"账本仍延续第 {report.anchored} 号凭证处的链头：其前无删改")
    else:
        lines.append(f"校验未通过：{report.problem}")
    if mismatches:
        lines.append(f"表中金额与日记账重算不符 {len(mismatches)} 处：")
    ui.echo_lines(lines)
    if mismatches:
        t = ui.table(None, [("表", "left"), ("行", "right"), ("内容", "left"), ("字段", "left"),
                            ("日记账重算（分）", "right"), ("表中（分）", "right")])
        for m in mismatches:
            ui.add_row(t, m.table, "—" if m.row_id is None else f"#{m.row_id}", m.key, m.field,
                       "—" if m.journal_fen is None else f"{m.journal_fen:,}",
                       "—" if m.table_fen is None else f"{m.table_fen:,}")
        ui.print_table(t)


@ledger_cli.command("checkpoint")
def ledger_checkpoint(
    skip_verify: Annotated[bool, typer.Option("--skip-verify", help="不重算账链，直接签署链头")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="只输出签署的检查点（JSON）")] = False,
) -> None:
    """写检查点。

    用检查点密钥签署链头（凭证号、哈希、时间），追加到检查点文件。"""
    from ledger.checkpoint import ALGORITHMS, verify_against, write_checkpoint
    from ledger.db import reading

    factory = _sessions()
    try:
        with reading(factory, snapshot=True) as s:
            if not skip_verify:
                report, _ = verify_against(s)
                if not report.ok:
                    typer.echo(f"账链校验未通过，不写检查点：{report.problem}", err=True)
                    raise typer.Exit(1)
            cp, path = write_checkpoint(s)
    except typer.Exit:
        raise
    except Exception as exc:
        _refused(exc, as_json)
    _out(json.loads(cp.line()), [f"检查点已写入 {path}", f"链头：第 {cp.entry_id} 号凭证 {cp.hash}",
                                 f"时间：{cp.at}  签名：{ALGORITHMS[cp.alg]}", cp.line()], as_json)


def _archive_run(run: Callable[..., Any], file: Path, as_json: bool, verb: str, extra: Callable[[Any], list[str]],
                 label: str) -> None:
    """Run an export or import with a progress bar on a terminal; print what it wrote or restored."""
    try:
        with ui.table_progress(label) as progress:
            summary = run(_sessions(), file, progress=progress)
    except Exception as exc:
        _refused(exc, as_json)
    m = summary.manifest
    head = m["chain_head"]
    lines = [f"{verb} {summary.path}：{len([x for x in m['members'] if 'table' in x])} 个表、{summary.rows:,} 行，"
             f"档案 {summary.size:,} 字节",
             f"链头：第 {head['entry_id']} 号凭证 {head['hash']}", *extra(summary),
             f"清单 {m['hash'].upper()}：{summary.manifest_digest}（请另行记下，以便核对档案未被替换）"]
    _out({"manifest": m, "manifest_digest": summary.manifest_digest, "size": summary.size}, lines, as_json)


@ledger_cli.command("export")
def ledger_export(
    file: Annotated[Path, typer.Argument(help="要写入的档案（.zip）", metavar="档案文件", dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="文件已存在时覆盖（否则拒绝）")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出档案清单")] = False,
) -> None:
    """导出档案。

    把整个台账（参考数据、日记账、各表金额、用户（不含密钥）、操作日志、最新检查点）写入一个带哈希清单的档案。"""
    from ledger.archive import export_archive

    ui.refuse_overwrite(file, force)
    _archive_run(export_archive, file, as_json, "档案已写入", lambda _: [], "导出档案")


@ledger_cli.command("import")
def ledger_import(
    file: Annotated[Path, typer.Argument(help="由「导出档案」（ledger export）写出的档案", metavar="档案文件",
                                         exists=True, dir_okay=False)],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出档案清单")] = False,
) -> None:
    """导入档案到空数据库。

    恢复到 DATABASE_URL 所指的空数据库（PostgreSQL 上须以数据库所有者连接，服务角色没有恢复所需的权限）：先核对清单，保留原编号，提交前把账链重算到档案的链头。"""
    from ledger.archive import import_archive

    _archive_run(import_archive, file, as_json, "已导入",
                 lambda summary: ["导入后重算账链：与档案的链头一致", summary.checkpoint_note], "导入档案")


@ledger_cli.command("import-entries")
def ledger_import_entries(
    file: Annotated[Path, typer.Argument(help="历史凭证文件：UTF-8 编码的 CSV，每行一条分录（列名见 docs/cli.md）",
                                         metavar="CSV文件", exists=True, dir_okay=False)],
    actor: Annotated[str, typer.Option(metavar="经办人", help="记入每张凭证的经办人")] = "历史凭证导入",
    batch: Annotated[int, typer.Option(metavar="张数", min=1, max=100_000, help="每批写入的凭证张数")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出结果或问题清单")] = False,
) -> None:
    """导入历史凭证（CSV）。

    先检查整个文件：每行的科目、金额、财政、平台、补助项目，每张凭证借贷平衡；有问题则逐行列出（行号、列名、依据）并退出，不写入任何内容。全部通过后在一个事务内写入，接续账链（凭证号连续、哈希链）；在终端上显示进度条，管道输出时不显示。"""
    from app.cli_import import import_entries_file

    import_entries_file(_sessions(), file, actor=actor, batch=batch, as_json=as_json)


@ledger_cli.command("trial-balance")
def ledger_trial_balance(
    as_of: Annotated[str | None, typer.Option(metavar="日期", help="截至日期 YYYY-MM-DD（不填：全部凭证）")] = None,
    as_json: JsonOption = False,
) -> None:
    """输出试算平衡表。

    截至某日每个科目的借方、贷方及合计（表格）；加 --json 输出 JSON（金额为十进制字符串）。"""
    from app.cli_reports import parse_date
    from ledger.queries import trial_balance

    on = parse_date(as_of, "--as-of")
    with _sessions()() as s:
        rows = trial_balance(s, as_of=on)
    debit, credit = sum(r.debit for r in rows), sum(r.credit for r in rows)
    if as_json:
        typer.echo(json.dumps({
            "as_of": on.isoformat() if on else None,
            "accounts": [{"account": r.account, "name": r.name, "view": r.view, "debit": formats.yuan(r.debit),
                          "credit": formats.yuan(r.credit)} for r in rows],
            "debit": formats.yuan(debit), "credit": formats.yuan(credit)}, ensure_ascii=False, indent=2))
        return
    title = f"试算平衡表（截至{formats.date_cn(on)}）" if on else "试算平衡表（全部凭证）"
    t = ui.table(title, [("科目代码", "left"), ("科目名称", "left"), ("会计", "left"), ("借方（元）", "right"),
                         ("贷方（元）", "right")])
    t.show_footer = True
    for r in rows:
        ui.add_row(t, r.account, r.name, VIEW_WORDS.get(r.view, r.view), formats.yuan_grouped(r.debit),
                   formats.yuan_grouped(r.credit))
    for column, text in zip(t.columns, ("合计", "", "", formats.yuan_grouped(debit), formats.yuan_grouped(credit)),
                            strict=True):
        column.footer = text
    ui.print_table(t)


VIEW_WORDS = {"budgetary": "预算会计", "financial": "财务会计", "memorandum": "备查"}


@ledger_cli.command("upgrade")
def ledger_upgrade() -> None:
    """迁移数据库并授权服务角色。

    以所有者身份把数据库结构升级到最新（DATABASE_OWNER_URL，未设则 DATABASE_URL；默认 var/subsidy.db），再在 PostgreSQL 上创建或更新服务角色（DATABASE_URL 的用户），授予且只授予 ledger/privileges.py 所列的权限。可重复运行。"""
    from ledger.db import SchemaNotCurrent, database_url, owner_url
    from ledger.privileges import PrivilegeError, upgrade

    try:
        for line in upgrade(owner_url(), database_url()):
            typer.echo(line)
    except (PrivilegeError, SchemaNotCurrent) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
