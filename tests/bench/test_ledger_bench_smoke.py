"""The ledger benchmark runs end to end in --quick mode on SQLite and prints its figures."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from bench import ledger as bench_ledger
from bench.ledger_peer import available

NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"


def _figure(out: str, label: str) -> str:
    m = re.search(rf"^{re.escape(label)}\s+({NUMBER})", out, re.MULTILINE)
    assert m, f"no figure for {label!r} in:\n{out}"
    return m.group(1)


def test_quick_ledger_bench_prints_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    peer = available() is None
    argv = ["--engine", "sqlite", "--quick", "--json", str(tmp_path / "figures.json")]
    if not peer:
        argv.append("--no-peer")
    start = time.perf_counter()
    assert bench_ledger.main(argv) == 0
    assert time.perf_counter() - start < 30
    out = capsys.readouterr().out
    assert float(_figure(out, "(a) full-life claims/s, empty journal").replace(",", "")) > 0
    assert float(_figure(out, "(a') full-life claims/s, journal full").replace(",", "")) > 0
    assert float(_figure(out, "(b) bulk import postings/s").replace(",", "")) > 0
    assert re.search(r"verify whole chain, s\s+[0-9.]+ ok", out)
    for query in ("cap_headroom (live platform)", "cap_headroom (busiest platform)", "trial_balance"):
        _figure(out, f"    {query} ms (median)")
    assert "debits" in out and "UNBALANCED" not in out
    assert re.search(r"plan: .*postings", out)  # the plans were read
    _figure(out, "(d) journal.post, one entry per txn, postings/s")
    figures = json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))
    (sqlite,) = figures["results"]
    assert sqlite["engine"] == "sqlite" and sqlite["verify"]["ok"]
    assert sqlite["bulk"]["postings"] >= 3_000
    if peer:
        assert float(_figure(out, "    python-accounting postings/s").replace(",", "")) > 0
        assert re.search(rf"ratio bulk import / python-accounting\s+{NUMBER}×", out)
        assert sqlite["peer"]["hashes_verified"] is True
    else:
        assert "python-accounting skipped" in out
