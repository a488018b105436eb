"""Replica statistics shared by reports, claim verdicts and benchmarks."""

from __future__ import annotations

import math

import numpy as np


def mean_se(values) -> tuple[float, float]:
    """Mean and standard error of the finite values (NaN, NaN if none; SE NaN for a single value).

    ``None`` entries (missing numbers, e.g. read back from JSON) are skipped like NaN."""
    v = np.array([x for x in values if x is not None and math.isfinite(x)], float)
    if len(v) == 0:
        return math.nan, math.nan
    return float(v.mean()), (float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else math.nan)
