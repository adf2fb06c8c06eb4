"""The batch engine's vectorised programs (first version: every platform falls back)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from calculators.batch_columns import PlatformColumns, empty_rows
from calculators.rulesets.model import Options, RuleBook


@dataclass(frozen=True)
class KernelOutput:
    """Rows of the vectorised platforms (``empty_rows`` fields) and each platform's fallback reason."""

    rows: dict[str, Any]
    fallback_reason: npt.NDArray[np.object_]


def run_kernel(cols: PlatformColumns, book: RuleBook, options: Options) -> KernelOutput:
    reasons = cols.fallback.copy()
    reasons[reasons == ""] = "not vectorised yet"
    return KernelOutput(empty_rows(0), reasons)
