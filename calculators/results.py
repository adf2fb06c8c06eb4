"""What the calculators return for each claim: amounts in fen and the explanation trace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from typing import Any, TypeVar

from moneyed import Money
from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from calculators.formats import yuan as fen_to_yuan
from calculators.money import fen_to_money

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Give a frozen dataclass an ``__init__`` that fills the new instance's ``__dict__`` in one step.

    What :mod:`dataclasses` generates for a frozen class calls ``object.__setattr__`` once per field; for the
    results built for every claim (a result has nineteen fields) that was a fifth of the engine's time. The
    replacement has the same parameters, defaults and keyword-only marker, and the class stays frozen (only
    ``__init__`` changes). Apply it above ``@dataclass(frozen=True)``; fields must have no ``default_factory``,
    ``init=False`` or ``__post_init__`` (it refuses them)."""
    assert "__post_init__" not in vars(cls), f"{cls.__name__}: quick_init does not call __post_init__"
    defaults: dict[str, Any] = {}
    params: list[str] = []
    for f in fields(cls):  # type: ignore[arg-type]  # cls is a dataclass: fields() refuses anything else
        assert f.init and f.default_factory is MISSING, f"{cls.__name__}.{f.name}: quick_init needs plain fields"
        if f.kw_only and "*" not in params:
            params.append("*")
        if f.default is MISSING:
            params.append(f.name)
        else:
            defaults[f.name] = f.default
            params.append(f"{f.name}=_defaults[{f.name!r}]")
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    source = (f"def __init__(self, {', '.join(params)}):\n"
              f"    self.__dict__.update({{{', '.join(f'{n!r}: {n}' for n in names)}}})\n")
    namespace: dict[str, Any] = {"_defaults": defaults}
    exec(source, namespace)  # generated from the class's own field names, as dataclasses does
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    type.__setattr__(cls, "__init__", init)  # the same signature the dataclass declared, which mypy knows
    return cls


def shown(name: str, value: Any) -> tuple[str, str]:
    """A trace value as the trace shows it: ``*_fen`` amounts in 元 under the name without ``_fen``,
    anything else as ``str``."""
    if name.endswith("_fen"):
        return name[:-4], fen_to_yuan(value)
    return name, str(value)


_new_object = object.__new__  # what ``cls.__new__`` finds for a step, looked up once (a step is recorded ~8 times a claim)


class TraceStep:
    """One step of an explanation (计算过程): what was done, under which clause, with which values.

    Immutable, compared, copied and pickled by its four fields, like the frozen dataclass it was. The
    engine records a step cheaply with :meth:`recorded` — the raw values (amounts in fen) and, where the
    note needs formatting, a function writing it — and the text is written the first time
    :attr:`note` or :attr:`values` is read (most evaluations are never shown: the bench, the batch engine's
    fallback, cap checks), so what the trace says is the same whenever it is read.
    """

    __slots__ = ("_clause", "_note", "_step", "_values")

    _step: str
    _clause: str
    _note: str | Callable[[], str]
    _values: dict[str, str] | tuple[dict[str, Any]]  # written, or (raw,) until first read

    def __init__(self, step: str, clause: str, note: str, values: dict[str, str] | None = None) -> None:
        self._step = step
        self._clause = clause
        self._note = note
        self._values = {} if values is None else values

    @classmethod
    def recorded(cls, step: str, clause: str, note: str | Callable[[], str], raw: dict[str, Any]) -> TraceStep:
        """A step whose ``values`` are written from ``raw`` (see :func:`shown`) and whose ``note`` is
        ``note()`` when it is a function, both only when first read."""
        self = _new_object(cls)
        self._step = step
        self._clause = clause
        self._note = note
        self._values = (raw,)
        return self

    # Read-only: the public attributes have no setter, as in the frozen dataclass this was.
    @property
    def step(self) -> str:
        return self._step

    @property
    def clause(self) -> str:
        return self._clause

    @property
    def note(self) -> str:
        note = self._note
        if not isinstance(note, str):
            note = self._note = note()
        return note

    @property
    def values(self) -> dict[str, str]:
        values = self._values
        if isinstance(values, tuple):
            values = self._values = dict(shown(k, v) for k, v in values[0].items())
        return values

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

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        """Read and written by pydantic (a result an idempotency key keeps) as the dataclass it was: its four
        fields as a dict."""
        text = core_schema.str_schema()
        as_dict = core_schema.no_info_after_validator_function(
            lambda d: cls(d["step"], d["clause"], d["note"], d["values"]),
            core_schema.typed_dict_schema({
                "step": core_schema.typed_dict_field(text), "clause": core_schema.typed_dict_field(text),
                "note": core_schema.typed_dict_field(text),
                "values": core_schema.typed_dict_field(core_schema.dict_schema(text, text)),
            }),
        )
        return core_schema.json_or_python_schema(
            json_schema=as_dict,
            python_schema=core_schema.union_schema([core_schema.is_instance_schema(cls), as_dict]),
            serialization=core_schema.plain_serializer_function_ser_schema(lambda step: step.to_dict()),
        )


@quick_init
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


@quick_init
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


@quick_init
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
