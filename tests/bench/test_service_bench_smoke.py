"""The service benchmark runs end to end in --quick mode on SQLite: it seeds a database, starts
``subsidy serve`` as a child process, drives it with concurrent clients and prints its table."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench import service as bench_service

NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"


def _row(out: str, engine: str, scenario: str) -> list[str]:
    m = re.search(rf"^{engine}\s+{re.escape(scenario)}\s+(.*)$", out, re.MULTILINE)
    assert m, f"no row for {scenario!r} in:\n{out}"
    cells = m.group(1).split()
    assert all(re.fullmatch(NUMBER, c) for c in cells[:6]), cells  # conc, requests, req/s, p50, p99, errors
    return cells


def test_quick_service_bench_prints_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--engine", "sqlite", "--quick", "--json", str(tmp_path / "figures.json")]
    start = time.perf_counter()
    # in a thread of its own: the benchmark runs asyncio.run(), and the browser tests' Playwright keeps
    # an event loop running in this thread for the whole session
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(bench_service.main, argv).result() == 0
    assert time.perf_counter() - start < 60
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("engine"))
    assert header.split()[:9] == ["engine", "scenario", "conc", "requests", "req/s", "p50", "ms", "p99", "ms"]
    for scenario in ("reads", "GET /claims?page=", "GET /claims/{number}", "GET /platforms/{code}",
                     "claim filing", "ping (ceiling)"):
        _conc, requests, rate, p50, p99, errors = _row(out, "sqlite", scenario)[:6]
        assert int(requests.replace(",", "")) > 0 and float(rate.replace(",", "")) > 0
        assert float(p50) <= float(p99)
        assert errors == "0", out
    assert re.search(rf"^sqlite: ratio reads / ping throughput {NUMBER}", out, re.MULTILINE)
    assert "errors (non-2xx or transport) in all: 0" in out
    figures = json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))
    (res,) = figures["results"]
    assert res["engine"] == "sqlite" and res["seed"]["claims"] > 0
    assert {r["scenario"] for r in res["rows"]} >= {"reads", "claim filing", "ping (ceiling)"}
    assert figures["argv"] == argv
