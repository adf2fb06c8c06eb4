"""The chain head (账本链头) printed on every published document — 公示名单, 资金下达 — so that the paper
itself anchors the ledger: anyone holding it can run ``subsidy ledger verify --against ID:HASH`` and see
that the journal still extends the head it was printed from (nothing removed, nothing rewritten)."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from ledger.checkpoint import MIN_PREFIX, head
from reports.xlsx import LEFT, font


@dataclass(frozen=True)
class ChainHead:
    """The last journal entry's number and hash when the document was produced."""

    entry_id: int
    hash: str

    @property
    def typed(self) -> str:
        """What a reader types: ``1234:ab12cd34ef56ab12`` (the number and the hash's first 16 hex digits)."""
        return f"{self.entry_id}:{self.hash[:MIN_PREFIX]}"

    def lines(self) -> list[tuple[str, float]]:
        """The printed lines and their font sizes (the full hash in small print)."""
        return [(f"账本链头：第 {self.entry_id} 号凭证  {self.hash[:MIN_PREFIX]}", 10),
                (f"链头哈希（SHA-256）：{self.hash}", 8),
                (f"账本校验：subsidy ledger verify --against {self.typed}", 10)]


def chain_head(session: Session) -> ChainHead:
    entry_id, digest = head(session)
    return ChainHead(entry_id, digest)


def put_chain_head(ws: Worksheet, row: int, chain: ChainHead, width: int) -> int:
    """Write the head's lines from ``row``, each merged across ``width`` columns; returns the last row used."""
    for k, (line, size) in enumerate(chain.lines()):
        r = row + k
        ws.merge_cells(f"A{r}:{get_column_letter(width)}{r}")
        cell = ws.cell(row=r, column=1, value=line)
        cell.font = font(size)
        cell.alignment = LEFT
    return row + len(chain.lines()) - 1
