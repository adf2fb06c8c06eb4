"""Programs (补助政策) by id. Each module defines ``find_trigger`` and ``compute``.

To add a program: write a module with those two functions, register it here, and name it under
``programs:`` in the rule set(s) that define it.
"""

from __future__ import annotations

from calculators.programs import (
    equipment,
    municipal_award,
    plan_national_matching,
    plan_pool_award,
    plan_provincial_award,
    zj_excellent,
    zj_national_upgrade,
    zj_new_provincial,
)
from calculators.programs.base import ProgramSpec

PROGRAMS: dict[str, ProgramSpec] = {
    m.PROGRAM: ProgramSpec(m.PROGRAM, m.find_trigger, m.compute)
    for m in (
        equipment,
        municipal_award,
        plan_national_matching,
        plan_provincial_award,
        plan_pool_award,
        zj_new_provincial,
        zj_national_upgrade,
        zj_excellent,
    )
}
