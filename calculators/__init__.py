"""Pure subsidy rules: rule sets as dated data, programs as small functions, no I/O.

Entry points:
  * :func:`calculators.engine.evaluate` — every claim of one platform's history, with traces.
  * :func:`calculators.rulesets.bundled.rulebook` — the rule sets shipped with the code.
  * :mod:`calculators.notice` — the public-notice (公示) calendar.
"""
