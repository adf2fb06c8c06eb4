"""``bench.reads`` measures the service's three reads in process: each costs one statement besides the
token's (SQLite adds its deferred BEGIN)."""

from __future__ import annotations

from pathlib import Path

from bench.reads import measure


def test_reads_bench_measures_each_read(tmp_path: Path) -> None:
    figures = measure(f"sqlite:///{tmp_path}/reads.db", platforms=2, claims_per_platform=2, reads=6)
    assert set(figures) == {"GET /claims/{number}", "GET /platforms/{code}", "GET /claims?page="}
    for kind, f in figures.items():
        assert f["statements"] <= 2, (kind, f)  # BEGIN and the one SELECT
        assert f["cpu_ms"] > 0 and f["wall_ms"] > 0
