"""The reports benchmark runs end to end with tiny sizes and prints its figures."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from bench import reports as bench_reports

NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"


def test_tiny_reports_bench_prints_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = time.perf_counter()
    assert bench_reports.main(["--platforms", "40", "--postings", "3000", "--forms", "5",
                               "--json", str(tmp_path / "figures.json")]) == 0
    assert time.perf_counter() - start < 90  # catches a runaway, not a busy machine
    out = capsys.readouterr().out
    for label in ("annex3 forms (5), ours", "annex3 forms (5), plain openpyxl baseline",
                  "reconciliation, a tenth of the journal, ours", "reconciliation, whole journal, ours",
                  "reconciliation, whole journal, plain openpyxl"):
        m = re.search(rf"^{re.escape(label)}\s+({NUMBER}) s\s+({NUMBER}) MB peak RSS", out, re.MULTILINE)
        assert m, f"no figure for {label!r} in:\n{out}"
        assert float(m.group(1)) > 0 and float(m.group(2)) > 0
    figures = json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))
    assert figures["setup"]["platforms"] == 40
    assert 2_500 <= figures["setup"]["postings"] <= 3_100
    assert figures["annex3"]["files"] == 5
    assert figures["annex3_baseline"]["same_cells"] is True  # the baseline writes the very same cells
    for run in ("annex3", "annex3_baseline", "reconciliation_tenth", "reconciliation", "reconciliation_baseline"):
        assert 0 < figures[run]["start_rss_mb"] <= figures[run]["peak_rss_mb"], run
    assert figures["reconciliation"]["bytes"] > figures["reconciliation_tenth"]["bytes"]
