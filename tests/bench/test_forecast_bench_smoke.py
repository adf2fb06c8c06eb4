"""Smoke test of ``bench/forecast.py``: a small population, both engines, the same forecast to the fen."""

from __future__ import annotations

import pytest

from bench.forecast import WHAT_IFS, main, subjects, timed
from calculators.forecast import batch_engine, per_claim_engine


def test_forecast_bench_runs_and_both_engines_agree(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--platforms", "40"]) == 0
    out = capsys.readouterr().out
    assert "same forecast to the fen: yes" in out and "ratio peer / ours" in out


def test_subjects_carry_pending_claims_commitments_and_plans() -> None:
    subs = subjects(10, 7)
    assert any(s.pending for s in subs) and any(s.commitments for s in subs) and any(s.plan for s in subs)
    _, ours, _ = timed(subs, batch_engine)
    _, peer, _ = timed(subs, per_claim_engine)
    assert [f.lines for f in ours] == [f.lines for f in peer]
    assert len(ours) == len(WHAT_IFS) and ours[1].total() != ours[0].total()
