"""The small, documented family of errors the calculators raise.

Batch work collects :class:`InputIssue` values and raises one :class:`InputErrors` carrying all
of them, so a clerk who filed twenty bad fields sees twenty verdicts at once.
"""

from __future__ import annotations

from dataclasses import dataclass


class CalculatorError(Exception):
    """Base of every error the calculators raise on purpose."""


@dataclass(frozen=True)
class InputIssue:
    """One thing wrong with the input.

    Attributes:
        field: dotted path of the offending field, e.g. ``claims[2].invoices[0].net``.
        rule: the rule broken, with its clause where one applies.
        message: what is wrong, in words a clerk understands.
    """

    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} [{self.rule}]"


class InputErrors(CalculatorError):
    """The input was refused; nothing was computed. ``issues`` lists every problem found."""

    def __init__(self, issues: list[InputIssue]) -> None:
        self.issues = list(issues)
        super().__init__("; ".join(str(i) for i in self.issues))

    @classmethod
    def one(cls, field: str, rule: str, message: str) -> InputErrors:
        return cls([InputIssue(field, rule, message)])


class RuleSetError(CalculatorError):
    """A rule-set or holiday-notice data file is malformed. Names the file and the key."""

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source = source
        self.key = key
        self.message = message
        super().__init__(f"{source}: {key}: {message}")


class ParameterNotSupplied(CalculatorError):
    """A program needs a parameter the rule set leaves open (e.g. the pool award table of seed 001)."""

    def __init__(self, rule_set: str, parameter: str, why: str) -> None:
        self.rule_set = rule_set
        self.parameter = parameter
        super().__init__(f"rule set {rule_set}: parameter {parameter} is not supplied: {why}")
