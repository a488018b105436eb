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


def welch_dof(*terms: tuple[float, int]) -> float:
    """Welch–Satterthwaite degrees of freedom of a difference of means, from each mean's (SE, number
    of values); a term without an SE (one value, or a fixed number) adds no variance and is skipped.
    ``inf`` when no term has one: the difference then has no estimated scatter."""
    var = [(se * se, n) for se, n in terms if n > 1 and math.isfinite(se) and se > 0]
    if not var:
        return math.inf
    return sum(v for v, _ in var) ** 2 / sum(v * v / (n - 1) for v, n in var)


def student_bound(k_se: float, dof: float) -> float:
    """Multiple of an estimated SE that a difference must exceed to hold at the one-sided confidence of
    ``k_se`` known standard errors (normal: Φ(2) = 97.7 %), with the SE estimated on ``dof`` degrees of
    freedom (Student t quantile; ``k_se`` itself for dof = inf). Three replicas against three of equal
    scatter (4 degrees of freedom): 2.9, not 2."""
    if not math.isfinite(dof):
        return float(k_se)
    from scipy import stats

    return float(stats.t.ppf(one_sided_confidence(k_se), dof))


def one_sided_confidence(k_se: float) -> float:
    """Φ(k_se): the one-sided confidence of a difference of ``k_se`` known standard errors."""
    return 0.5 * (1.0 + math.erf(k_se / math.sqrt(2.0)))
