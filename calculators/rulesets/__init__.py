"""Rule sets as data: one YAML file per rule set, every parameter value dated and cited.

See ``docs/adding-a-rule-set.md`` for the file format.
"""

from calculators.rulesets.model import DatedValue, Parameter, Reading, Resolved, RuleBook, RuleSet

__all__ = ["DatedValue", "Parameter", "Reading", "Resolved", "RuleBook", "RuleSet"]
