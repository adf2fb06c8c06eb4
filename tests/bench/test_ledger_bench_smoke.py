"""The ledger benchmark runs end to end in --quick mode and prints its figures: on SQLite always, and on
PostgreSQL too when ``TEST_DATABASE_URL`` is set (the bench creates and drops its own ``bench_*`` databases).

python-accounting runs on SQLite only here: its child process costs a few seconds of fixed setup on
PostgreSQL, and the smoke test stays under 15 s per engine on a busy two-core machine."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from bench import ledger as bench_ledger
from bench.ledger_peer import available

NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
ENGINES = ["sqlite", *(["postgres"] if PG_URL else [])]


def _figure(out: str, label: str) -> str:
    m = re.search(rf"^{re.escape(label)}\s+({NUMBER})", out, re.MULTILINE)
    assert m, f"no figure for {label!r} in:\n{out}"
    return m.group(1)


@pytest.mark.parametrize("engine", ENGINES)
def test_quick_ledger_bench_prints_figures(engine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    peer = engine == "sqlite" and available() is None
    argv = ["--engine", engine, "--quick", "--peer-postings", "150", "--json", str(tmp_path / "figures.json"),
            "--try-index", "postings(account_code, entry_id, amount_fen)"]
    if engine == "postgres":
        argv += ["--pg-url", PG_URL]
    if not peer:
        argv.append("--no-peer")
    start = time.perf_counter()
    assert bench_ledger.main(argv) == 0
    assert time.perf_counter() - start < 15
    out = capsys.readouterr().out
    assert float(_figure(out, "(a) full-life claims/s, empty journal").replace(",", "")) > 0
    assert float(_figure(out, "(a') full-life claims/s, journal full").replace(",", "")) > 0
    # the floor: the claim lives' own statements replayed on a copy, ending at the same journal head
    assert float(_figure(out, "    floor: the same statements replayed, claims/s").replace(",", "")) > 0
    assert float(_figure(out, "(b) bulk import postings/s").replace(",", "")) > 0
    assert re.search(r"verify whole chain, s\s+[0-9.]+ ok", out)
    assert re.search(r"limit: read raw \+ canonical bytes \+ sha256, s\s+[0-9.]+ ok", out)
    assert re.search(rf"ratio verify / limit\s+{NUMBER}×", out)
    for query in ("cap_headroom (live platform)", "cap_headroom (busiest platform)", "trial_balance",
                  "trial_balance as of 2026-12-31"):
        _figure(out, f"    {query} ms (median)")
    assert "debits" in out and "UNBALANCED" not in out
    assert re.search(r"plan: .*postings", out)  # the plans were read
    _figure(out, "(c+) with an extra index postings(account_code, entry_id, amount_fen): create s")
    assert "with postings(account_code, entry_id, amount_fen): trial_balance: debits" in out
    _figure(out, "(d) same first postings, bulk import postings/s")
    _figure(out, "    journal.post, one entry per txn, postings/s")
    figures = json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))
    (res,) = figures["results"]
    assert res["engine"] == ("sqlite" if engine == "sqlite" else "postgresql") and res["verify"]["ok"]
    assert res["claims"]["floor_claims_per_s"] > 0 and res["claims"]["ratio_to_floor"] > 0
    assert res["bulk"]["postings"] >= 3_000 and res["journal_postings"] > res["bulk"]["postings"]
    assert 150 <= res["bulk"]["prefix_postings"] < 200  # the prefix python-accounting writes, whole entries
    assert figures["argv"] == argv
    # the queries give the same answers with and without the extra index
    (tried,) = res["try_index"]
    assert {k: q["result"] for k, q in tried["queries"].items()} == {k: q["result"] for k, q in res["queries"].items()}
    if peer:
        assert float(_figure(out, "    python-accounting postings/s").replace(",", "")) > 0
        assert re.search(rf"ratio bulk import / python-accounting\s+{NUMBER}×", out)
        assert re.search(rf"ratio journal.post / python-accounting\s+{NUMBER}×", out)
        assert res["peer"]["postings"] == res["bulk"]["prefix_postings"]
        assert res["peer"]["hashes_verified"] is True
    else:
        assert "python-accounting skipped" in out


def test_only_verify_prints_ours_the_limit_and_the_ratio(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--engine", "sqlite", "--quick", "--only-verify", "--verify-runs", "2", "--json", str(tmp_path / "v.json")]
    assert bench_ledger.main(argv) == 0
    out = capsys.readouterr().out
    assert re.search(r"verify whole chain, s\s+[0-9.]+ ok", out)
    assert re.search(r"limit: read raw \+ canonical bytes \+ sha256, s\s+[0-9.]+ ok", out)
    assert float(_figure(out, "    verify peak Python memory, MiB").replace(",", "")) > 0
    (res,) = json.loads((tmp_path / "v.json").read_text(encoding="utf-8"))["results"]
    v = res["verify"]
    assert v["ok"] and v["limit_ok"] and v["runs"] == 2 and len(v["limit_seconds_all"]) == 2
    assert v["postings"] == res["journal_postings"] >= 3_000 and v["ratio"] == v["seconds"] / v["limit_seconds"]
    assert "claims" not in res and "queries" not in res  # nothing else ran
