"""Anchors benchmark: ``subsidy ledger verify --against`` and an export/import round trip at N postings.

    python -m bench.anchors --postings 1000000 --json /tmp/bench-anchors.json
    python -m bench.anchors --quick                     # a few seconds

One history of N postings (``bench.ledger.build_history``, imported through ``ledger.bulk``) is built in a
fresh SQLite database, and then, each step timed as the commands an operator types (a child process
``python -m app.cli ledger …``, so process start-up and the schema check are included):

1. SQLite: ``ledger checkpoint --skip-verify``, then ``ledger verify --against ID:HASH16`` (the head as printed
   on a document) — the whole chain recomputed and the head proved;
2. ``ledger export`` from SQLite (archive size), ``ledger import`` into a fresh PostgreSQL database;
3. PostgreSQL: ``ledger verify --against ID:HASH16`` on the restored copy;
4. ``ledger export`` from PostgreSQL, ``ledger import`` into a fresh SQLite database, and the two archives'
   table digests compared (the round trip changed nothing).

Progress goes to stderr; the table to stdout (``--json PATH`` also writes the figures).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.ledger import DEFAULT_PG, analyze, build_history, fresh_database, say, timed_import
from calculators.rulesets.bundled import rulebook
from ledger import services as S
from ledger.db import ensure_schema, make_engine, session_factory


def command(url: str, *args: str, env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Run ``subsidy ledger ARGS --json`` on ``url`` in a child process; seconds and its JSON."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "app.cli", "ledger", *args, "--json"], env={**env, "DATABASE_URL": url},
                         capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"ledger {' '.join(args)} failed ({out.returncode}): {out.stdout}{out.stderr}")
    return seconds, json.loads(out.stdout)


def table_digests(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    return {m["table"]: m["digest"] for m in manifest["members"] if "table" in m}


def run(args: argparse.Namespace) -> dict[str, Any]:
    res: dict[str, Any] = {"postings_target": args.postings, "started": time.strftime("%H:%M:%S"),
                           "loadavg_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="bench_anchors_") as folder, \
            fresh_database("sqlite", args.pg_url, "anchors") as lite, \
            fresh_database("postgresql", args.pg_url, "anchors") as pg, \
            fresh_database("sqlite", args.pg_url, "anchors_back") as back:
        work = Path(folder)
        env = {**os.environ, "SUBSIDY_CHECKPOINT_DIR": str(work / "checkpoints"),
               "SUBSIDY_CHECKPOINT_KEY_FILE": str(work / "checkpoint.key")}
        env.pop("SUBSIDY_CHECKPOINT_KEY", None)
        engine = make_engine(lite)
        ensure_schema(engine)
        factory = session_factory(engine)
        with factory.begin() as s:
            S.sync_reference_data(s)
        jurisdictions = [(j.code, j.split_class) for j in rulebook().jurisdictions.values()]
        say(f"building a history of {args.postings:,} postings (SQLite)")
        history = build_history(factory, args.postings, jurisdictions)
        res["bulk"] = timed_import(factory, history.entries, 2000, 0)
        analyze(engine)
        engine.dispose()
        res["postings"], res["entries"] = history.postings, len(history.entries)
        say(f"  {history.postings:,} postings in {len(history.entries):,} entries")

        res["startup_s"], _ = command(back, "verify", env=env)  # an empty journal: start-up and schema check
        seconds, cp = command(lite, "checkpoint", "--skip-verify", env=env)
        res["checkpoint_s"] = seconds
        typed = f"{cp['entry_id']}:{cp['hash'][:16]}"
        res["typed_head"] = typed
        def verify_and_export(name: str, url: str, archive: Path) -> None:
            say(f"{name}: ledger verify --against {typed}")
            res[f"verify_{name}_s"], out = command(url, "verify", "--against", typed, "--chain-only", env=env)
            assert out["ok"] and out["postings"] == history.postings, out
            say(f"{name}: ledger export")
            res[f"export_{name}_s"], _ = command(url, "export", str(archive), env=env)
            res[f"archive_{name}_bytes"] = archive.stat().st_size

        archive, again = work / "ledger.zip", work / "ledger-pg.zip"
        verify_and_export("sqlite", lite, archive)
        say(f"  {archive.stat().st_size:,} bytes; postgresql: ledger import")
        res["import_postgresql_s"], _ = command(pg, "import", str(archive), env=env)
        verify_and_export("postgresql", pg, again)
        say("sqlite: ledger import")
        res["import_sqlite_s"], _ = command(back, "import", str(again), env=env)
        res["round_trip_identical"] = table_digests(archive) == table_digests(again)
    res["loadavg_end"], res["ended"] = os.getloadavg()[0], time.strftime("%H:%M:%S")
    return res


def table(r: dict[str, Any]) -> str:
    rows = [
        ("postings / entries", f"{r['postings']:,} / {r['entries']:,}"),
        ("start-up: ledger verify on an empty journal, s", f"{r['startup_s']:.1f}"),
        ("ledger checkpoint --skip-verify, s", f"{r['checkpoint_s']:.1f}"),
        (f"ledger verify --against {r['typed_head']}, SQLite, s", f"{r['verify_sqlite_s']:.1f}"),
        (f"ledger verify --against {r['typed_head']}, PostgreSQL, s", f"{r['verify_postgresql_s']:.1f}"),
        ("ledger export (SQLite), s", f"{r['export_sqlite_s']:.1f}"),
        ("archive size, bytes (from SQLite / from PostgreSQL)", f"{r['archive_sqlite_bytes']:,} / {r['archive_postgresql_bytes']:,}"),
        ("ledger import (into PostgreSQL), s", f"{r['import_postgresql_s']:.1f}"),
        ("ledger export (PostgreSQL), s", f"{r['export_postgresql_s']:.1f}"),
        ("ledger import (into SQLite), s", f"{r['import_sqlite_s']:.1f}"),
        ("round trip: every table's digest the same", "yes" if r["round_trip_identical"] else "NO"),
        ("load average (start / end)", f"{r['loadavg_start']:.1f} / {r['loadavg_end']:.1f}"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.anchors", description=__doc__.split("\n\n")[0])
    ap.add_argument("--postings", type=int, default=None, help="postings in the journal (1,000,000; --quick 3,000)")
    ap.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
                    or DEFAULT_PG, help="a PostgreSQL database to connect to for creating bench_* databases")
    ap.add_argument("--quick", action="store_true", help="a tiny history, for a smoke test")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    if args.postings is None:
        args.postings = 3_000 if args.quick else 1_000_000
    if args.pg_url.startswith("postgresql://"):
        args.pg_url = "postgresql+psycopg://" + args.pg_url[len("postgresql://"):]
    res = run(args)
    print(table(res), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"argv": list(sys.argv[1:] if argv is None else argv), "date": time.strftime("%Y-%m-%d"),
                       "result": res}, f, ensure_ascii=False, indent=2, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
