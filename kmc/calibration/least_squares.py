"""Least-squares calibration: scipy.optimize.least_squares (trust region reflective) or Nelder-Mead
on the residuals of the targets, with common random numbers (:mod:`kmc.calibration.evaluate`).

Objective: r_i = (mean_i(p) - value_i) / s_i with s_i = sqrt(sigma_i² + sem_i(p0)²), mean/sem over
the replicas, in the target's units; sem is taken at the start point and then held fixed so the
objective does not change its weights as the fit moves. Parameters are fitted in unit coordinates
u in [0, 1] between their bounds (linear or log). The forward-difference Jacobian (step
``diff_step`` in u) has its points run as one batch, spread over MPI ranks. Uncertainties:
cov = (JᵀJ)⁻¹ in u, mapped to parameter units by dp/du; sensitivities are d target / d ln(param).
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from kmc.calibration.evaluate import Evaluation, Evaluator, chi2_of
from kmc.calibration.result import Result
from kmc.calibration.spec import Calibration
from kmc.calibration.store import prepare_store, save_result
from kmc.campaigns.campaign import _canonical_json


class Budget(Exception):
    pass


def calibrate(cal: Calibration, store_path, comm=None, max_evaluations: int | None = None,
              log=lambda m: None, evaluate: Callable | None = None) -> Result:
    """Fit ``cal`` by ``cal.method`` ("least_squares" or "nelder-mead"; collective over ``comm``:
    every rank runs the same optimiser on broadcast values).

    Stops after ``max_evaluations`` parameter vectors (reused ones count) and reports the best so far.
    ``evaluate(batch) -> [Evaluation]`` replaces the campaign runs (tests).
    """
    from scipy import optimize

    rank = 0 if comm is None else comm.Get_rank()
    say = log if rank == 0 else (lambda m: None)
    wall0 = time.perf_counter()
    if rank == 0:
        prepare_store(cal, store_path)
    ev = Evaluator(cal, store_path, comm, log=say)
    budget = max_evaluations or cal.max_evaluations
    values = np.array([t.value for t in cal.targets])
    P = cal.parameters
    to_params = cal.to_params
    cache: dict[str, Evaluation] = {}
    scale_box: list = []

    def key(u):
        return _canonical_json(cal.point(to_params(u)))

    def run(us):
        need = [u for u in us if key(u) not in cache]
        unique = list({key(u): u for u in need}.values())
        if len(cache) + len(unique) > budget:
            unique = unique[:max(0, budget - len(cache))]
            if not unique:
                raise Budget()
        for u, e in zip(unique, (evaluate or ev.evaluate)([to_params(u) for u in unique])):
            cache[key(u)] = e
            say(f"eval {len(cache):3d}: " + ", ".join(f"{p.key}={v:.6g}" for p, v in zip(P, e.params))
                + (f"  chi2={chi2_of(e, values, scale_box):.4g}" if scale_box else "")
                + ("" if e.ran else "  (reused)"))
        if any(key(u) not in cache for u in us):
            raise Budget()
        return [cache[key(u)] for u in us]

    def resid(u):
        e = run([u])[0]
        r = (e.mean - values) / scale_box[0]
        return np.where(np.isfinite(r), r, 1e6)

    h = cal.diff_step

    def steps(u):
        out = []
        for j in range(len(u)):
            d = np.array(u, float)
            d[j] += h if u[j] + h <= 1.0 else -h
            out.append(d)
        return out

    def jac(u):
        us = steps(u)
        r0 = resid(u)
        rs = [(e.mean - values) / scale_box[0] for e in run(us)]
        return np.column_stack([(r - r0) / (d[j] - u[j]) for j, (r, d) in enumerate(zip(rs, us))])

    u0 = cal.start_unit()
    e0 = run([u0])[0]
    scale = np.sqrt(np.array([t.sigma for t in cal.targets]) ** 2 + np.nan_to_num(e0.sem) ** 2)
    scale_box.append(scale)
    say(f"start: chi2 = {chi2_of(e0, values, scale_box):.4g}")
    converged, message = False, ""
    try:
        if cal.method == "least_squares":
            res = optimize.least_squares(resid, u0, jac=jac, bounds=(0.0, 1.0), method="trf",
                                         xtol=cal.tolerance, ftol=cal.tolerance, gtol=cal.tolerance,
                                         max_nfev=budget)
        else:
            res = optimize.minimize(lambda u: float(np.sum(resid(u) ** 2)), u0, method="Nelder-Mead",
                                    bounds=[(0.0, 1.0)] * len(P),
                                    options={"xatol": cal.tolerance, "fatol": cal.tolerance,
                                             "maxfev": budget, "initial_simplex": _simplex(u0, 0.2)})
        converged, message = bool(res.success), str(res.message)
    except Budget:
        message = f"stopped after {budget} evaluations"
    # the best evaluated point
    best_key = min(cache, key=lambda k: chi2_of(cache[k], values, scale_box))
    best = cache[best_key]
    u_best = np.array([p.to_unit(v) for p, v in zip(P, best.params)])
    J, cov, sig, sens = None, np.full((len(P), len(P)), np.nan), np.full(len(P), np.nan), \
        np.full((len(cal.targets), len(P)), np.nan)
    try:
        J = jac(u_best)
    except Budget:
        say("no Jacobian at the fit (evaluation budget): uncertainties and sensitivities unavailable")
    if J is not None:
        cov_u = np.linalg.pinv(J.T @ J)
        dpdu = np.array([p.dp_du(v) for p, v in zip(P, best.params)])
        cov = cov_u * np.outer(dpdu, dpdu)
        sig = np.sqrt(np.clip(np.diag(cov), 0, None))
        # d mean_i / d ln p_j = (d r_i/du_j) s_i * du_j/dln p_j, du/dln p = p / (dp/du)
        sens = J * scale[:, None] * (best.params / dpdu)[None, :]
    result = Result(cal, best.params, best, scale, sig, cov, sens, chi2_of(best, values, scale_box), len(cache),
                    ev.new_evaluations, ev.replicas_run, converged, message, time.perf_counter() - wall0,
                    history=[("full", e) for e in cache.values()])
    if rank == 0:
        save_result(store_path, result)
    return result


def _simplex(u0, size):
    pts = [u0]
    for j in range(len(u0)):
        d = np.array(u0, float)
        d[j] += size if d[j] + size <= 1 else -size
        pts.append(d)
    return np.array(pts)
