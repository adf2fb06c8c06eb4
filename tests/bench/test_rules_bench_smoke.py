"""The rules benchmark runs end to end on a tiny population, ours equal to OpenFisca's to the fen."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

pytest.importorskip("openfisca_core", reason="openfisca-core is the benchmark-only extra `bench`")
import numpy as np

from bench import rules as bench_rules
from bench.population import generate

NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"


def _row(out: str, phase: str) -> list[str]:
    m = re.search(rf"^{re.escape(phase)}\s+(.*)$", out, re.MULTILINE)
    assert m, f"no row for {phase!r} in:\n{out}"
    cells = m.group(1).split()
    assert len(cells) == 8 and all(re.fullmatch(NUMBER, c) for c in cells), cells
    return cells


def test_tiny_rules_bench_is_exact_and_prints_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = time.perf_counter()
    code = bench_rules.main(["--platforms", "200", "--per-platform", "20", "--in-process",
                             "--json", str(tmp_path / "rules.json")])
    assert time.perf_counter() - start < 20
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.search(rf"200 platforms, {NUMBER} platform-years", out)
    for phase in ("ours (default)", "ours (what-if)", "ours, batch (default)", "ours, batch (what-if)",
                  "OpenFisca (default)", "OpenFisca (what-if)", "OpenFisca (per-platform)"):
        cells = _row(out, phase)
        assert float(cells[4].replace(",", "")) > 0  # platform-years/s
        assert float(cells[6]) > 0  # memory
    for variant in ("default", "what-if", "per-platform"):
        assert re.search(rf"ratio ours/OpenFisca, platform-years/s, compute \({variant}\)\s+{NUMBER}×", out)
        assert re.search(rf"claims equal to the fen \({variant}\)\s+({NUMBER}) of \1 EXACT", out)
    assert "MISMATCH" not in out
    _assert_batch_rows(out)
    figures = json.loads((tmp_path / "rules.json").read_text(encoding="utf-8"))
    assert figures["population"]["platforms"] == 200
    assert all(c["mismatches"] == 0 for c in figures["checks"].values())
    assert {p["phase"] for p in figures["phases"].values()} >= {"batch:default", "batch:what-if"}
    for variant in ("default", "what-if"):
        batch = figures["batch_checks"][variant]
        assert set(batch["against"]) == {"per-claim", "OpenFisca"}
        assert all(c["mismatches"] == 0 and c["claims"] == figures["population"]["platform_years"]
                   for c in batch["against"].values())
        assert batch["fallbacks"] == {} and batch["shares_not_adding_up"] == 0
    # the what-if changes the money, so the comparison is not of two identical runs
    default, what_if = (figures["checks"][v]["exercised"]["payable total, yuan"] for v in ("default", "what-if"))
    assert default != what_if


def _assert_batch_rows(out: str) -> None:
    """The batch phases' lines: each variant equal to the fen against the per-claim engine and OpenFisca,
    with its speed ratios, and its fallback count printed."""
    assert "batch engine (calculators.batch, int64 fen arrays), in the same run:" in out
    for variant in ("default", "what-if"):
        for peer in ("per-claim", "OpenFisca"):
            assert re.search(rf"^  {re.escape(variant)}\s+vs {peer}\s+claims equal to the fen ({NUMBER}) of \1 EXACT; "
                             rf"platform-years/s ratio batch/{peer} {NUMBER}× compute, {NUMBER}× end-to-end$",
                             out, re.MULTILINE), (variant, peer)
        assert re.search(rf"^  {re.escape(variant)}\s+platforms left to the per-claim engine: none; "
                         r"shares not adding up: 0$", out, re.MULTILINE), variant


def test_a_difference_of_one_fen_is_reported(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    real = bench_rules.run_openfisca

    def off_by_one_fen(pop, what_if, **kw):  # type: ignore[no-untyped-def]
        figures, res = real(pop, what_if, **kw)
        k = int(np.nonzero(res.eligible & (res.local > 0))[0][0])
        res.local[k] += 1
        return figures, res

    monkeypatch.setattr(bench_rules, "run_openfisca", off_by_one_fen)
    assert bench_rules.main(["--platforms", "50", "--per-platform", "0", "--in-process"]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH" in out
    assert re.search(r"P0000\d\d-20\d\d: local: ours \d+ vs OpenFisca \d+", out)


def test_population_is_deterministic_and_money_exceeds_int32() -> None:
    a, b, c = generate(300, seed=1), generate(300, seed=1), generate(300, seed=2)
    assert a.digest() == b.digest() != c.digest()
    # a three-year window of the population goes beyond int32 fen: the peer must store int64
    assert int(a.investment.max()) * 3 > 2**31
    from bench import openfisca_equipment as ofe
    from calculators.rulesets.bundled import rulebook

    tbs = ofe.tax_benefit_system(rulebook())
    assert tbs.variables["equipment_base"].dtype == np.int64
    assert tbs.variables["equipment_investment"].dtype == np.int64


def test_batch_fallbacks_and_mismatches_are_printed_by_reason() -> None:
    entry = {"py_per_s": 1.0, "fallbacks": {"program national-matching": 3, "record events (复评、变更等事件)": 1},
             "shares_not_adding_up": 0,
             "against": {"per-claim": {"claims": 10, "mismatches": 1, "first_mismatches": ["P000001-2027: gross"],
                                       "ratio_compute": 2.0, "ratio_end_to_end": 1.5}}}
    out = bench_rules.batch_table({"default": entry})
    assert "default  vs per-claim  claims equal to the fen 9 of 10 MISMATCH" in out
    assert "    P000001-2027: gross" in out
    assert ("default  platforms left to the per-claim engine: program national-matching: 3, "
            "record events (复评、变更等事件): 1; shares not adding up: 0") in out
