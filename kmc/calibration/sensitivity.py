"""One-at-a-time sensitivities (``method = "sensitivity"``): how far every target moves when each
parameter moves by a step, with a standard error, by central differences with common random numbers.

No fit. The start point u0 and, per parameter j, the two points u0 ± h e_j in unit coordinates
(h = ``diff_step``, a fraction of the parameter's range, linear or log; one-sided where a bound is
nearer than h) run as one batch of 2n + 1 parameter vectors, spread over the MPI ranks and resumed
from the store like every calibration. Per target i and parameter j, with p− and p+ the two values:

    Δ_ij  = mean_r [ y_i(p+)_r − y_i(p−)_r ]            the change of target i over the step
    SE_ij = std_r [ y_i(p+)_r − y_i(p−)_r ] / sqrt(n)    paired: replica r of every point has the same
                                                         seed and spawn key, i.e. the same random streams
    d y_i / d ln p_j = Δ_ij / (ln p+ − ln p−)             (NaN when p changes sign)

The pairing removes what the replicas share (lattice disorder, the first stretch of the random
stream); a kinetic Monte Carlo trajectory decorrelates after a rate change, so SE is an honest
error of Δ, not a small one. Targets' ``value`` and ``sigma`` are not used (only reported).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from kmc.calibration.evaluate import Evaluation, Evaluator
from kmc.calibration.spec import Calibration
from kmc.calibration.store import prepare_store, save_result
from kmc.campaigns.campaign import _canonical_json


@dataclass
class Sensitivity:
    calibration: Calibration
    start: Evaluation
    p_minus: np.ndarray        # per parameter, the lower value of its step (config units)
    p_plus: np.ndarray
    delta: np.ndarray          # targets x parameters: change of the target from p− to p+
    delta_se: np.ndarray
    dlnp: np.ndarray           # d target / d ln p
    at_minus: np.ndarray       # targets x parameters x (mean, sem) of each target at p−
    at_plus: np.ndarray        # ... and at p+ (the response need not be monotonic: compare with the start)
    evaluations: int
    new_evaluations: int
    replicas_run: int
    core_hours: float          # recorded wall time of every replica of the scan
    wall_s: float

    def table(self) -> str:
        cal = self.calibration
        lines = [f"{cal.title}: sensitivities at the start point, {self.evaluations} evaluations "
                 f"({self.new_evaluations} new, {self.replicas_run} replicas run), {self.core_hours:.2f} core-hours, "
                 f"{self.wall_s:.1f} s", "", f"{'target':34s} {'at start':>10s} {'± sem':>8s}"]
        for i, t in enumerate(cal.targets):
            lines.append(f"{t.name[:34]:34s} {self.start.mean[i]:10.4g} {self.start.sem[i]:8.3g}")
        lines += ["", "each target at p- and p+, and its change from p- to p+ (± paired SE):"]
        for j, p in enumerate(cal.parameters):
            lines.append(f"{p.key} {self.p_minus[j]:.4g} -> {self.p_plus[j]:.4g}: " + ", ".join(
                f"{t.name} {self.at_minus[i, j, 0]:.4g} -> {self.at_plus[i, j, 0]:.4g} "
                f"({self.delta[i, j]:+.3g} ± {self.delta_se[i, j]:.2g})" for i, t in enumerate(cal.targets)))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        cal = self.calibration
        return {"method": "sensitivity",
                "parameters": {p.key: {"start": p.start, "minus": float(self.p_minus[j]), "plus": float(self.p_plus[j])}
                               for j, p in enumerate(cal.parameters)},
                "targets": {t.name: {"value": t.value, "sigma": t.sigma, "model_mean": float(self.start.mean[i]),
                                     "model_sem": float(self.start.sem[i])} for i, t in enumerate(cal.targets)},
                "delta": self.delta.tolist(), "delta_se": self.delta_se.tolist(), "sensitivity_dlnp": self.dlnp.tolist(),
                "at_minus": self.at_minus.tolist(), "at_plus": self.at_plus.tolist(),
                "evaluations": self.evaluations, "new_evaluations": self.new_evaluations,
                "replicas_run": self.replicas_run, "core_hours": self.core_hours}


def steps(cal: Calibration) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Unit coordinates of the start and, per parameter, its (lower, upper) step points."""
    u0 = cal.start_unit()
    h = cal.diff_step
    out = []
    for j in range(len(u0)):
        lo, hi = u0.copy(), u0.copy()
        lo[j], hi[j] = max(u0[j] - h, 0.0), min(u0[j] + h, 1.0)
        out.append((lo, hi))
    return u0, out


def _key(cal: Calibration, params: np.ndarray) -> str:
    return _canonical_json(cal.point(params))  # as least_squares names its points


def paired_difference(plus: np.ndarray, minus: np.ndarray) -> tuple[float, float]:
    """Mean and standard error of plus_r − minus_r over the replicas where both are finite."""
    d = plus - minus
    d = d[np.isfinite(d)]
    if len(d) == 0:
        return math.nan, math.nan
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d))) if len(d) > 1 else math.nan


def scan(cal: Calibration, store_path, comm=None, log=lambda m: None,
         evaluate: Callable | None = None) -> Sensitivity:
    """Run the 2n + 1 points of ``cal`` (collective over ``comm``) and return their sensitivities.
    ``evaluate(batch) -> [Evaluation]`` replaces the campaign runs (tests)."""
    rank = 0 if comm is None else comm.Get_rank()
    wall0 = time.perf_counter()
    if rank == 0:
        prepare_store(cal, store_path)
    ev = Evaluator(cal, store_path, comm, log=log if rank == 0 else (lambda m: None))
    u0, pairs = steps(cal)
    batch = [cal.to_params(u0)] + [cal.to_params(u) for pair in pairs for u in pair]
    unique = {_key(cal, p): p for p in batch}  # a step clipped at a bound is the start point itself
    done = dict(zip(unique, (evaluate or ev.evaluate)(list(unique.values()))))
    out = [done[_key(cal, p)] for p in batch]
    start = out[0]
    n_t, n_p = len(cal.targets), len(cal.parameters)
    delta, se, dlnp = (np.full((n_t, n_p), np.nan) for _ in range(3))
    p_minus, p_plus = np.empty(n_p), np.empty(n_p)
    at_minus, at_plus = np.empty((n_t, n_p, 2)), np.empty((n_t, n_p, 2))
    for j in range(n_p):
        lo, hi = out[1 + 2 * j], out[2 + 2 * j]
        p_minus[j], p_plus[j] = lo.params[j], hi.params[j]
        at_minus[:, j, 0], at_minus[:, j, 1] = lo.mean, lo.sem
        at_plus[:, j, 0], at_plus[:, j, 1] = hi.mean, hi.sem
        log_step = math.log(p_plus[j] / p_minus[j]) if p_plus[j] * p_minus[j] > 0 else math.nan
        for i in range(n_t):
            delta[i, j], se[i, j] = paired_difference(hi.replica_values[i], lo.replica_values[i])
            dlnp[i, j] = delta[i, j] / log_step
    result = Sensitivity(cal, start, p_minus, p_plus, delta, se, dlnp, at_minus, at_plus, len(done), ev.new_evaluations,
                         ev.replicas_run, sum(e.core_s for e in done.values()) / 3600.0, time.perf_counter() - wall0)
    if rank == 0:
        save_result(store_path, result)
    return result
