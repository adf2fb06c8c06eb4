"""A crash mid-batch: SIGKILL part-way; after restart the journal balances, verifies, and re-sending the
batch with the same idempotency keys completes it with nothing posted twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ledger import services as S
from ledger.journal import verify
from ledger.models import JournalEntry, Posting
from ledger.queries import trial_balance

ROOT = Path(__file__).resolve().parents[2]
COUNT = 400


def test_sigkill_mid_batch_then_resend(db: Any) -> None:
    with db.sessions.begin() as s:
        S.sync_reference_data(s)
    db.engine.dispose()
    cmd = [sys.executable, "-m", "tests.ledger.crash_worker", db.url, str(COUNT)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ})
    assert proc.stdout is not None
    for line in proc.stdout:
        if int(line) >= 60:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with db.sessions() as s:
        posted = s.execute(select(func.count(JournalEntry.id))).scalar_one()
        assert 60 <= posted < COUNT
        assert verify(s).ok
        rows = trial_balance(s)
        assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    with db.sessions() as s:
        assert s.execute(select(func.count(JournalEntry.id))).scalar_one() == COUNT
        assert s.execute(select(func.count(Posting.id))).scalar_one() == COUNT * 4
        assert verify(s).ok
        assert S.available_budget(s, "330400", 2026, "equipment-subsidy") == sum(1000 + i for i in range(COUNT))
