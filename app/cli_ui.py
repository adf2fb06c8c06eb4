"""How the ``subsidy`` command line talks to people (rich) and to machines (``--json``).

* :func:`print_table` — an aligned table (rich measures Chinese characters as two columns); on a
  terminal it fits the window, piped it is printed at its natural width so no cell is wrapped or cut;
* :func:`progress_bar` — a progress bar on stderr while a long command runs, only when stderr is a
  terminal: piped or redirected, the command prints nothing but its result. The library functions
  report progress through a callback (``progress(done, total)``); this module renders it;
* :func:`report_path` / :func:`refuse_overwrite` — report file names carry their as-of date or period
  (ISO ``2026-12-03``: sorts in date order in any file list) and an existing file is never replaced
  unless ``--force`` is given;
* :class:`ChineseGroup` — usage errors (a missing option, a bad value, an unknown command) in Chinese,
  naming the argument, instead of click's English;
* :class:`ChineseTyper` — a command group whose ``--help`` is Chinese throughout: the usage line
  (``用法：subsidy ledger [选项] 命令 [参数]...``), the panels (参数、选项、命令), ``[默认：…]``, ``[必填]`` and
  the help option's own line; each command's and option's help text is written in Chinese where it is
  declared (tests/app/test_cli_help.py walks the whole command tree).
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from typer import rich_utils
from typer._click import core as click_core  # typer runs on its own copy of click: its exceptions are these
from typer._click import exceptions as click
from typer._click.formatting import HelpFormatter
from typer.core import TyperCommand, TyperGroup

ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)``: how far a long library function has come (``total`` 0: not known yet)."""


def stderr_is_terminal() -> bool:
    """Whether progress may be drawn: stderr is a terminal (not a pipe, a file or a test runner)."""
    return sys.stderr.isatty()


def _console(*, stderr: bool = False) -> Console:
    # created per use: the streams are looked up when printing (a test runner swaps them)
    return Console(stderr=stderr, highlight=False, emoji=False)


def table(title: str | None, columns: Sequence[tuple[str, str]]) -> Table:
    """A table with ``columns`` as (heading, justify) pairs; justify ``left`` or ``right`` (amounts)."""
    t = Table(title=title, title_justify="left", show_lines=False, header_style="bold")
    for heading, justify in columns:
        right = justify == "right"
        # fold: Chinese has no spaces to wrap at; without it rich would cut a long cell with an ellipsis
        t.add_column(heading, justify="right" if right else "left", no_wrap=right, overflow="fold")
    return t


_CONTROL = dict.fromkeys([*range(0x20), 0x7F, *range(0x80, 0xA0)])
del _CONTROL[0x0A]  # newlines stay


def plain(value: str) -> str:
    """``value`` without control characters (ESC, BEL, …, C1): typed text cannot drive the terminal."""
    return value.translate(_CONTROL)


def text(value: str, style: str = "") -> Text:
    """Plain text for rich: never read as markup (``[bold]`` in a user's name stays as typed), no controls."""
    return Text(plain(value), style=style)


def add_row(t: Table, *cells: str, end_section: bool = False) -> None:
    """Add a row of plain text (:func:`text`)."""
    t.add_row(*(text(c) for c in cells), end_section=end_section)


def print_table(t: Table) -> None:
    """Print ``t`` aligned; piped, at its natural width (never wrapped at 80 columns)."""
    console = _console()
    if console.is_terminal:
        console.print(t)
        return
    natural = Console(width=10_000).measure(t).maximum
    sink = io.StringIO()
    Console(file=sink, width=max(natural, 20), highlight=False, emoji=False).print(t)
    typer.echo("\n".join(line.rstrip() for line in sink.getvalue().splitlines()))


def echo_lines(lines: Sequence[str]) -> None:
    typer.echo("\n".join(lines))


def error(message: str, *, code: int = 2) -> NoReturn:
    """Print ``message`` (Chinese, naming the argument) on stderr and exit with ``code``."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


@contextmanager
def progress_bar(label: str) -> Iterator[ProgressCallback | None]:
    """A ``progress(done, total)`` callback that draws a bar on stderr, or ``None`` when stderr is not a
    terminal (the library then skips its progress work). The bar disappears when the command ends."""
    if not stderr_is_terminal():
        yield None
        return
    console = Console(stderr=True, force_terminal=True, highlight=False)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)
        yield update


@contextmanager
def table_progress(label: str) -> Iterator[Callable[[str, int], None] | None]:
    """As :func:`progress_bar` for work counted per table (``progress(table, rows)``, total not known)."""
    if not stderr_is_terminal():
        yield None
        return
    console = Console(stderr=True, force_terminal=True, highlight=False)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[table]} {task.completed:,} 行"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None, table="")

        def update(table_name: str, rows: int) -> None:
            bar.update(task, completed=rows, table=table_name)
        yield update


def report_path(out: Path | None, stem: str, *, dated: str | None) -> Path:
    """``out`` if given, else ``STEM_DATED.xlsx`` (``dated`` the as-of date or the period, ISO)."""
    if out is not None:
        return out
    return Path(f"{stem}_{dated}.xlsx" if dated else f"{stem}.xlsx")


def refuse_overwrite(path: Path, force: bool) -> None:
    """Exit 2 with a Chinese message naming ``path`` and ``--force`` if ``path`` exists and ``force`` is off."""
    if path.exists() and not force:
        error(f"拒绝：文件 {path} 已存在，未覆盖。请用 --out 另选文件名，或加 --force 覆盖该文件。")


# --------------------------------------------------------------------------- usage errors in Chinese

def _param_name(exc: click.ClickException) -> str:
    param = getattr(exc, "param", None)
    hint = getattr(exc, "param_hint", None)
    if isinstance(hint, str) and hint:
        return hint
    if isinstance(hint, Sequence) and hint:
        return " / ".join(str(h) for h in hint)
    if isinstance(param, click_core.Parameter):
        long = [o for o in param.opts if o.startswith("--")]
        return long[0] if long else (param.name or "").upper()
    return ""


_BOUND = re.compile(r"(greater than or equal to|less than or equal to|greater than|less than) (-?[\d.]+)")
_BOUND_WORDS = {"greater than or equal to": "不小于", "less than or equal to": "不大于", "greater than": "大于",
                "less than": "小于"}


def _bad_value(exc: click.BadParameter) -> str:
    """click's (or pydantic's) English for the common cases in Chinese; other messages are ours already."""
    message = exc.message
    if "valid integer" in message:
        return "须为整数"
    if "valid date" in message or "valid datetime" in message:
        return "须为日期 YYYY-MM-DD"
    bound = _BOUND.search(message)
    if bound:
        return f"须{_BOUND_WORDS[bound[1]]} {bound[2]}"
    for english, words in ((" does not exist", "不存在"), (" is a directory", "是目录，不是文件")):
        if english in message:
            what = message.split(" ", 1)[-1].rsplit(english, 1)[0]
            return f"文件 {what} {words}"
    return message


def chinese(exc: click.ClickException) -> str:
    """A usage error in Chinese, naming the argument."""
    name = _param_name(exc)
    if isinstance(exc, click.MissingParameter):
        return f"缺少参数 {name}"
    if isinstance(exc, click.NoSuchOption):
        maybe = f"（是否想用：{'、'.join(sorted(exc.possibilities))}）" if exc.possibilities else ""
        return f"没有选项 {exc.option_name}{maybe}"
    if isinstance(exc, click.BadParameter):
        return f"参数 {name} 的值无效：{_bad_value(exc)}"
    message = exc.format_message()
    if message.startswith("No such command"):
        return f"没有这个命令：{message.partition(' command ')[2].rstrip('.')}"
    if message.startswith("Got unexpected extra argument"):
        return f"多余的参数：{message.partition('(')[2].rstrip(')')}"
    return f"用法错误：{message}"


# --------------------------------------------------------------------------- help in Chinese

HELP_OPTION_TEXT = "显示本帮助并退出"
USAGE_PREFIX = "用法："
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."

# typer's rich help reads these module settings as it prints (its documented way to restyle the help)
rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
rich_utils.OPTIONS_PANEL_TITLE = "选项"
rich_utils.COMMANDS_PANEL_TITLE = "命令"
rich_utils.ERRORS_PANEL_TITLE = "错误"
rich_utils.DEFAULT_STRING = "[默认：{}]"
rich_utils.REQUIRED_LONG_STRING = "[必填]"
rich_utils.ENVVAR_STRING = "[环境变量：{}]"
rich_utils.DEPRECATED_STRING = "（已弃用）"
rich_utils.ABORTED_TEXT = "已中止。"
rich_utils.RICH_HELP = "用 [blue]{command_path} {help_option}[/] 查看用法。"


def _chinese_help_option(option: click_core.Parameter | None) -> Any:
    if option is not None:
        option.help = HELP_OPTION_TEXT  # type: ignore[attr-defined]  # an Option (the Parameter base has no help)
    return option


def _usage(command: click_core.Command, ctx: click_core.Context, formatter: HelpFormatter) -> None:
    formatter.write_usage(ctx.command_path, " ".join(command.collect_usage_pieces(ctx)), prefix=USAGE_PREFIX)


class ChineseCommand(TyperCommand):
    """A command whose usage line and help option speak Chinese."""

    def get_help_option(self, ctx: click_core.Context) -> Any:
        return _chinese_help_option(super().get_help_option(ctx))

    def format_usage(self, ctx: click_core.Context, formatter: HelpFormatter) -> None:
        _usage(self, ctx, formatter)


class ChineseGroup(TyperGroup):
    """A command group whose usage errors are printed in Chinese (exit 2), with where to find the help,
    and whose usage line and help option speak Chinese."""

    def get_help_option(self, ctx: click_core.Context) -> Any:
        return _chinese_help_option(super().get_help_option(ctx))

    def format_usage(self, ctx: click_core.Context, formatter: HelpFormatter) -> None:
        _usage(self, ctx, formatter)

    def _usage(self, exc: click.UsageError) -> NoReturn:
        if isinstance(exc, click.NoArgsIsHelpError):
            raise exc  # the help text itself
        ctx = getattr(exc, "ctx", None)
        path = ctx.command_path if isinstance(ctx, click_core.Context) else "subsidy"
        typer.echo(f"错误：{chinese(exc)}\n用 {path} --help 查看用法。", err=True)
        raise typer.Exit(exc.exit_code)

    def make_context(self, info_name: str | None, args: list[str], parent: click_core.Context | None = None,
                     **extra: Any) -> click_core.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            self._usage(exc)

    def invoke(self, ctx: click_core.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            self._usage(exc)


class ChineseTyper(typer.Typer):
    """``typer.Typer`` for the ``subsidy`` command line: a :class:`ChineseGroup` whose commands are
    :class:`ChineseCommand` and whose usage line names options and commands in Chinese."""

    def __init__(self, *, help: str, **kwargs: Any) -> None:
        super().__init__(cls=ChineseGroup, help=help, options_metavar=OPTIONS_METAVAR,
                         subcommand_metavar=SUBCOMMAND_METAVAR, **kwargs)

    def command(self, name: str | None = None, *, cls: type[TyperCommand] | None = None,
                **kwargs: Any) -> Callable[[Any], Any]:
        return super().command(name, cls=cls or ChineseCommand, **kwargs)
