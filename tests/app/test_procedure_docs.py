"""docs/procedures.md is what app/procedure_docs.py generates from the rule sets' procedures; each step's
role may take the step's permission (the permission matrix agrees with the transition table)."""

from __future__ import annotations

from app import procedure_docs
from app.permissions import MATRIX
from calculators.rulesets.bundled import rulebook


def test_the_committed_diagram_is_the_generated_one() -> None:
    assert procedure_docs.DOC.read_text(encoding="utf-8") == procedure_docs.markdown(), (
        "docs/procedures.md is stale: run `python -m app.procedure_docs`")


def test_every_step_names_a_permission_its_role_holds() -> None:
    for procedure in rulebook().procedures().values():
        for step in procedure.steps:
            rule = MATRIX.get(step.permission)
            assert rule is not None and rule.writes, (procedure.id, step.id, step.permission)
            assert step.role in rule.roles, (procedure.id, step.id, step.role, sorted(rule.roles))
