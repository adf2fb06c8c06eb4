"""A process that posts a long batch of idempotent requests; the crash test kills it with SIGKILL."""

from __future__ import annotations

import sys
from datetime import date

from ledger import idempotency
from ledger import services as S
from ledger.db import make_engine, session_factory


def main(url: str, count: int) -> None:
    factory = session_factory(make_engine(url))
    for i in range(count):
        request = {"payer": "330400", "year": 2026, "amount": 1000 + i}

        def work(s, i=i):  # type: ignore[no-untyped-def]
            return S.appropriate(s, payer="330400", fiscal_year=2026, program="equipment-subsidy",
                                 amount_fen=1000 + i, on=date(2026, 1, 5), document_number=f"批量{i}")

        idempotency.run(factory, "appropriate", request, work, key=f"batch-{i}")
        print(i, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
