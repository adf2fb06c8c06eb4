"""What the calculators return for each claim: amounts in fen and the explanation trace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moneyed import Money

from calculators.formats import yuan as fen_to_yuan
from calculators.money import fen_to_money


def shown(name: str, value: Any) -> tuple[str, str]:
    """A trace value as the trace shows it: ``*_fen`` amounts in 元 under the name without ``_fen``,
    anything else as ``str``."""
    if name.endswith("_fen"):
        return name[:-4], fen_to_yuan(value)
    return name, str(value)


class TraceStep:
    """One step of an explanation (计算过程): what was done, under which clause, with which values.

    Immutable, compared, copied and pickled by its four fields, like the frozen dataclass it was. The
    engine records a step cheaply with :meth:`recorded` — the raw values (amounts in fen) and, where the
    note needs formatting, a function writing it — and the text is written the first time
    :attr:`note` or :attr:`values` is read (most evaluations are never shown: the bench, the batch engine's
    fallback, cap checks), so what the trace says is the same whenever it is read.
    """

    __slots__ = ("_note", "_raw", "_values", "clause", "step")

    step: str
    clause: str
    _note: str | Callable[[], str]
    _values: dict[str, str] | None
    _raw: dict[str, Any] | None

    def __init__(self, step: str, clause: str, note: str, values: dict[str, str] | None = None) -> None:
        _set = object.__setattr__
        _set(self, "step", step)
        _set(self, "clause", clause)
        _set(self, "_note", note)
        _set(self, "_values", {} if values is None else values)
        _set(self, "_raw", None)

    @classmethod
    def recorded(cls, step: str, clause: str, note: str | Callable[[], str], raw: dict[str, Any]) -> TraceStep:
        """A step whose ``values`` are written from ``raw`` (see :func:`shown`) and whose ``note`` is
        ``note()`` when it is a function, both only when first read."""
        self = cls.__new__(cls)
        _set = object.__setattr__
        _set(self, "step", step)
        _set(self, "clause", clause)
        _set(self, "_note", note)
        _set(self, "_values", None)
        _set(self, "_raw", raw)
        return self

    @property
    def note(self) -> str:
        note = self._note
        if not isinstance(note, str):
            note = note()
            object.__setattr__(self, "_note", note)
        return note

    @property
    def values(self) -> dict[str, str]:
        values = self._values
        if values is None:
            raw = self._raw
            assert raw is not None
            values = dict(shown(k, v) for k, v in raw.items())
            object.__setattr__(self, "_values", values)
            object.__setattr__(self, "_raw", None)
        return values

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"TraceStep is immutable: cannot assign {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"TraceStep is immutable: cannot delete {name}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, TraceStep)
        return (self.step, self.clause, self.note, self.values) == (other.step, other.clause, other.note, other.values)

    __hash__ = None  # type: ignore[assignment]  # values is a dict, as in the dataclass it was

    def __repr__(self) -> str:
        return f"TraceStep(step={self.step!r}, clause={self.clause!r}, note={self.note!r}, values={self.values!r})"

    def __reduce__(self) -> tuple[type[TraceStep], tuple[str, str, str, dict[str, str]]]:
        return TraceStep, (self.step, self.clause, self.note, self.values)

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "clause": self.clause, "note": self.note, "values": dict(self.values)}


@dataclass(frozen=True, kw_only=True)
class CapInfo:
    """The cap (累计上限) applied to a claim, as it stood before the claim."""

    level: str
    limit: int
    used: int
    headroom: int
    clause: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "limit": fen_to_yuan(self.limit),
            "used": fen_to_yuan(self.used),
            "headroom": fen_to_yuan(self.headroom),
            "clause": self.clause,
        }


@dataclass(frozen=True, kw_only=True)
class Share:
    """One payer's share (分担) of a payable amount."""

    payer: str
    payer_name: str
    party: str  # city | local | province
    amount: int

    def to_dict(self) -> dict[str, Any]:
        return {"payer": self.payer, "payer_name": self.payer_name, "party": self.party,
                "amount": fen_to_yuan(self.amount)}


STATUSES = ("payable", "capped", "offset", "excluded", "ineligible", "declined", "reversed")


@dataclass(frozen=True, kw_only=True)
class ClaimResult:
    """The computed outcome of one claim (built with keywords: eighteen fields are not read by position).

    Attributes:
        claim_id / program / program_title: which claim, under which program.
        rule_set / rule_set_title: the rule set that governs it (and why, in the trace).
        purse: ``municipal`` | ``provincial``.
        status: one of :data:`STATUSES`.
        gross: the program's amount before cap, exclusion and offset (fen).
        cap: the cap applied, if the program has one.
        entitled: after the cap and any exclusion (fen).
        offset: what the higher-of rule (就高不重复) withheld (fen).
        payable: what is owed (fen) = sum of ``shares``.
        shares: each payer's share.
        trace: every step with its clause.
        reasons: short statements of why the payable is less than the gross, if it is.
        years / invoices: investment years and invoice keys this claim consumed.
        trigger: the event that triggered the claim and picked the rule set.
        warnings: notes that change no amount (e.g. undertaking 2 of Annex 3 cannot be signed truthfully).
    """

    claim_id: str
    program: str
    program_title: str
    rule_set: str
    rule_set_title: str
    purse: str
    status: str
    gross: int
    cap: CapInfo | None
    entitled: int
    offset: int
    payable: int
    shares: tuple[Share, ...]
    trace: tuple[TraceStep, ...]
    reasons: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    invoices: tuple[str, ...] = ()
    trigger: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def payable_money(self) -> Money:
        return fen_to_money(self.payable)

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim_id,
            "program": self.program,
            "program_title": self.program_title,
            "rule_set": self.rule_set,
            "rule_set_title": self.rule_set_title,
            "purse": self.purse,
            "status": self.status,
            "trigger": self.trigger,
            "gross": fen_to_yuan(self.gross),
            "cap": self.cap.to_dict() if self.cap else None,
            "entitled": fen_to_yuan(self.entitled),
            "offset": fen_to_yuan(self.offset),
            "payable": fen_to_yuan(self.payable),
            "shares": [s.to_dict() for s in self.shares],
            "years": list(self.years),
            "invoices": list(self.invoices),
            "reasons": list(self.reasons),
            "trace": [t.to_dict() for t in self.trace],
            **({"warnings": list(self.warnings)} if self.warnings else {}),
        }
