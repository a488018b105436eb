"""``method = "surrogate"``: calibration by Gaussian-process models of the targets (docs/calibration.md).

Each target's mean over the replicas is modelled as a function of the unit coordinates u by its own
GP (kmc.calibration.surrogate.GP; noise = the evaluation's SEM²); χ² is computed from the predicted means,

    χ²(u) = Σ_i ((μ_i(u) + b_i − value_i) / s_i)²,   s_i = sqrt(sigma_i² + sem_i(start, full)²).

Fidelity levels: ``[fidelity] low = { set = {...}, replicas = n }`` makes the GPs model the cheap
level; the start point and every new model optimum are also run on the full level ([set] and
``replicas`` of the file), and b_i is the constant bias full − low per target, the SEM-weighted mean
over the paired points, its SE inflated by the Birge ratio when the pairs disagree. Without
[fidelity] the GPs model the full level and b = 0.

Loop: a seeded design (the start point + scrambled Sobol points, ``initial_points`` = 2d + 2 in all);
then per iteration: fit the GPs, u* = argmin of the predicted χ², run u* (if no evaluation lies
within 0.02 of it) and ``batch_size`` points minimising the lower confidence bound
E[χ²] − κ·SD[χ²] (GP variance only: the bias's error is common to all u, sampling cannot reduce
it), the batch by the kriging believer (each point added as a noise-free observation of the
predicted mean before the next is chosen). Stops at ``max_evaluations`` (both levels), at
``max_core_hours`` (recorded wall time of the replicas used, reused ones included, and not starting a
batch that the mean cost per evaluation says would overrun it), or when χ²(u*) − min LCB <
tolerance·max(1, χ²(u*)) with u* evaluated. Every choice is deterministic (seeded designs, multi-start
L-BFGS-B), so a rerun on the same store proposes the same points, reuses them by fingerprint, and
resumes or reproduces the result bit for bit.

The options (``initial_points``, ``batch_size``, ``max_core_hours``, ``kappa``, ``[fidelity]``) are
read by :mod:`kmc.calibration.parse` into :class:`~kmc.calibration.spec.SurrogateOptions`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from kmc.calibration.evaluate import Evaluator, chi2_of
from kmc.calibration.result import Result
from kmc.calibration.spec import Calibration, SurrogateOptions, level_calibration
from kmc.calibration.store import prepare_store, save_result
from kmc.calibration.surrogate import GP, chi2_moments, minimize_box, sobol
from kmc.campaigns.campaign import _canonical_json

NEAR = 0.02          # u* counts as evaluated if an evaluation lies this close (max norm, unit coordinates)
DUPLICATE = 0.005    # a proposal this close to an evaluation of its level is not run again


def store_evaluator(cal, store_path, comm, log) -> Callable:
    """``evaluate(batch, levels)`` running (or reusing) campaigns in the calibration store, all levels'
    replicas handed out over the ranks together."""
    ev = Evaluator(cal, store_path, comm, log=log)

    def evaluate(batch, levels=None):
        return ev.evaluate(batch, [level_calibration(cal, lv) for lv in levels or ["high"] * len(batch)])
    return evaluate


# --- the model ----------------------------------------------------------------------------------

@dataclass
class Model:
    """Per-target GPs of the modelled level and the bias to the full level (0 without [fidelity])."""
    gps: list
    bias: np.ndarray
    bias_se: np.ndarray
    n_pairs: int

    def predict(self, U):
        """Mean (full level) and GP variance per target at the rows of U: arrays n x targets."""
        out = [g.predict(U) for g in self.gps]
        return np.column_stack([m for m, _ in out]) + self.bias, np.column_stack([v for _, v in out])


def _bias(low: dict, high: dict, m: int):
    """Constant bias high − low per target from the paired evaluations (same key at both levels)."""
    keys = [k for k in high if k in low]
    if not keys:
        return np.zeros(m), np.full(m, np.inf), 0
    D = np.array([high[k][1].mean - low[k][1].mean for k in keys])
    V = np.array([np.nan_to_num(high[k][1].sem) ** 2 + np.nan_to_num(low[k][1].sem) ** 2 for k in keys])
    bias, se = np.zeros(m), np.full(m, np.inf)
    for i in range(m):
        ok = np.isfinite(D[:, i])
        d, v, n = D[ok, i], V[ok, i], int(ok.sum())
        if n == 0:
            continue
        if np.all(v > 0):
            w = 1.0 / v
            bias[i] = np.sum(w * d) / w.sum()
            var = 1.0 / w.sum()
            if n > 1:
                var *= max(1.0, np.sum(w * (d - bias[i]) ** 2) / (n - 1))   # Birge ratio
        else:   # no replica scatter (1 replica): the scatter of the pairs
            bias[i] = d.mean()
            var = d.var(ddof=1) / n if n > 1 else d[0] ** 2
        se[i] = math.sqrt(var)
    return bias, se, len(keys)


def fit_model(data: dict, level: str, paired: bool, seed: int, previous: Model | None = None) -> Model | None:
    """GPs of every target on the evaluations of ``level`` (None if fewer than 2 usable points)."""
    pts = list(data[level].values())
    if len(pts) < 2:
        return None
    U = np.array([u for u, _ in pts])
    Y = np.array([e.mean for _, e in pts])
    S = np.array([e.sem for _, e in pts])
    gps = []
    for i in range(Y.shape[1]):
        ok = np.isfinite(Y[:, i])
        if ok.sum() < 2:
            return None
        g = GP(U[ok], Y[ok, i], S[ok, i] ** 2, seed=seed + i)
        gps.append(g.fit(warm=previous.gps[i].theta if previous is not None else None))
    if paired:
        bias, se, n = _bias(data[level], data["high"], Y.shape[1])
    else:
        bias, se, n = np.zeros(Y.shape[1]), np.zeros(Y.shape[1]), 0
    return Model(gps, bias, se, n)


# --- the result ---------------------------------------------------------------------------------

@dataclass
class SurrogateResult(Result):
    chi2_predicted: float = math.nan      # predicted χ² there
    predicted: np.ndarray = None          # predicted target means there (full level)
    predicted_sd: np.ndarray = None       # their SD (GP and bias)
    bias: np.ndarray = None               # full − low per target (0 without [fidelity])
    bias_se: np.ndarray = None
    n_pairs: int = 0
    evaluations_by_level: dict = field(default_factory=dict)
    core_hours: float = 0.0               # recorded wall time of all replicas used (reused included)
    interval: np.ndarray = None           # params x (low, high): predicted χ² < χ²_min + 1

    def table(self) -> str:
        cal = self.calibration
        by = ", ".join(f"{n} {lvl}" for lvl, n in self.evaluations_by_level.items())
        lines = [super().table(), "", f"surrogate: {by} evaluations, {self.core_hours:.3g} core-hours; fitted = the "
                 f"optimum of the GP model, predicted chi2 = {self.chi2_predicted:.3g}; the model column above is the "
                 "full-level evaluation nearest to it, at:",
                 f"{'parameter':34s} {'evaluated at':>12s}  region chi2 < chi2_min + 1 (model)"]
        for j, p in enumerate(cal.parameters):
            lines.append(f"{p.key:34s} {self.evaluation.params[j]:12.5g}  "
                         f"[{self.interval[j, 0]:.5g}, {self.interval[j, 1]:.5g}]")
        lines.append(f"{'target':34s} {'predicted':>10s} {'± sd':>8s} {'bias full-low':>14s} {'± se':>8s}")
        for i, t in enumerate(cal.targets):
            lines.append(f"{t.name[:34]:34s} {self.predicted[i]:10.4g} {self.predicted_sd[i]:8.3g} "
                         f"{self.bias[i]:14.4g} {self.bias_se[i]:8.3g}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        cal = self.calibration
        out = super().to_dict()
        out["surrogate"] = {
            "evaluated_at": {p.key: float(self.evaluation.params[j]) for j, p in enumerate(cal.parameters)},
            "interval_chi2_min_plus_1": {p.key: [float(x) for x in self.interval[j]]
                                         for j, p in enumerate(cal.parameters)},
            "chi2_predicted": float(self.chi2_predicted),
            "targets": {t.name: {"predicted": float(self.predicted[i]), "predicted_sd": float(self.predicted_sd[i]),
                                 "bias": float(self.bias[i]), "bias_se": float(self.bias_se[i])}
                        for i, t in enumerate(cal.targets)},
            "pairs": self.n_pairs, "evaluations_by_level": dict(self.evaluations_by_level),
            "core_hours": float(self.core_hours)}
        return out


# --- the loop -----------------------------------------------------------------------------------

def calibrate(cal: Calibration, store_path, comm=None, max_evaluations: int | None = None,
              log=lambda m: None, evaluate: Callable | None = None, max_core_hours: float | None = None
              ) -> SurrogateResult:
    """Fit ``cal`` with the surrogate loop (collective over ``comm``); see the module docstring.

    ``evaluate(batch of parameter vectors, levels) -> [Evaluation]`` ("low"/"high" per vector; None:
    all "high") replaces the campaign runs.
    """
    o = cal.surrogate or SurrogateOptions()
    rank = 0 if comm is None else comm.Get_rank()
    say = log if rank == 0 else (lambda m: None)
    wall0 = time.perf_counter()
    if rank == 0:
        prepare_store(cal, store_path)
    evaluate = evaluate or store_evaluator(cal, store_path, comm, say)
    P, T = cal.parameters, cal.targets
    d, m = len(P), len(T)
    paired = o.low_set is not None
    level = "low" if paired else "high"
    values = np.array([t.value for t in T])
    sigma = np.array([t.sigma for t in T])
    max_evals = max_evaluations or cal.max_evaluations
    hours = max_core_hours or o.max_core_hours
    budget_s = hours * 3600.0 if hours else math.inf
    n0 = o.initial_points or 2 * d + 2
    runs_per_eval = len(cal.bases) * level_calibration(cal, level).replicas
    q = o.batch_size or max(1, (1 if comm is None else comm.Get_size()) // runs_per_eval)

    to_params = cal.to_params

    def key(u):
        return _canonical_json(cal.point(to_params(u)))

    data: dict[str, dict] = {"low": {}, "high": {}}      # level -> key -> (u, Evaluation)
    session = {"new": 0, "replicas": 0}
    scale_box: list = []

    def run(level_us: list[tuple[str, np.ndarray]]):
        todo = {(lv, key(u)): np.asarray(u, float) for lv, u in level_us if key(u) not in data[lv]}
        if todo:
            done = evaluate([to_params(u) for u in todo.values()], [lv for lv, _ in todo])
            for ((lvl, k), u), e in zip(todo.items(), done):
                data[lvl][k] = (u, e)
                session["new"] += e.ran > 0
                session["replicas"] += e.ran
                chi2 = f"  chi2={chi2_of(e, values - (bias_now() if lvl == 'low' else 0), scale_box):.4g}" \
                    if scale_box else ""
                say(f"eval {n_used():3d} {lvl:4s}: " + ", ".join(f"{p.key}={v:.6g}" for p, v in zip(P, e.params))
                    + chi2 + ("" if e.ran else "  (reused)"))

    def n_used():
        return len(data["low"]) + len(data["high"])

    def core_s():
        return sum(e.core_s for lv in data.values() for _, e in lv.values())

    model_box: list = []

    def bias_now():
        return model_box[-1].bias if model_box else 0.0

    def near(u, lvl, tol):
        return any(np.max(np.abs(v - u)) <= tol for v, _ in data[lvl].values())

    def affordable(batch):
        """The longest head of ``batch`` that the evaluation and core-hour budgets allow."""
        out, cost = [], core_s()
        mean_cost = {lv: (np.mean([e.core_s for _, e in data[lv].values()]) if data[lv] else 0.0)
                     for lv in ("low", "high")}
        for lv, u in batch:
            if n_used() + len(out) >= max_evals or cost + mean_cost[lv] > budget_s:
                break
            out.append((lv, u))
            cost += mean_cost[lv]
        return out

    # the initial design: the start point (full level, and low) + Sobol points (modelled level)
    u0 = cal.start_unit()
    design = [("high", u0)] + ([("low", u0)] if paired else []) + \
        [(level, u) for u in sobol(n0 - 1, d, cal.seed)]
    run(design[:max_evals])
    start = data["high"][key(u0)][1]
    scale_box.append(np.sqrt(sigma ** 2 + np.nan_to_num(start.sem) ** 2))
    scale = scale_box[0]
    say(f"start: chi2 = {chi2_of(start, values, scale_box):.4g}")

    def chi2_mean(model, U):
        mean, _ = model.predict(U)
        return np.sum(((mean - values) / scale) ** 2, axis=1)

    converged, message, it = False, "", 0
    while True:
        model = fit_model(data, level, paired, cal.seed, model_box[-1] if model_box else None)
        if model is None:
            message = f"stopped after {n_used()} evaluations: too few to model the targets"
            break
        model_box.append(model)
        extra = [u for u, _ in data[level].values()]
        u_star, chi_star = minimize_box(lambda U: chi2_mean(model, U), d, cal.seed, extra)
        batch = []
        if not near(u_star, "high", NEAR):
            batch += [("high", u_star)] + ([("low", u_star)] if paired and key(u_star) not in data["low"] else [])
        gps, lcb_min = model.gps, math.inf
        for k in range(q):
            fant = Model(gps, model.bias, model.bias_se, model.n_pairs)

            def lcb(U):
                e, sd = chi2_moments(*fant.predict(U), values, scale)
                return e - o.kappa * sd
            x, a = minimize_box(lcb, d, cal.seed + 1, extra + [u_star])
            if k == 0:
                lcb_min = a
            if near(x, level, DUPLICATE) or any(np.max(np.abs(x - y)) <= DUPLICATE for _, y in batch):
                break
            batch.append((level, x))
            gps = [g.with_points(x, 0.0) for g in gps]    # noise-free fantasy: the next point goes elsewhere
        improvement = chi_star - lcb_min
        say(f"iteration {it}: model optimum " + ", ".join(f"{p.key}={v:.6g}" for p, v in zip(P, to_params(u_star)))
            + f", predicted chi2 = {chi_star:.4g}, improvement by LCB {improvement:.3g}"
            + (f", bias {np.array2string(model.bias, precision=3)} ± {np.array2string(model.bias_se, precision=3)}"
               f" ({model.n_pairs} pairs)" if paired else ""))
        todo, stop = affordable(batch), ""
        if not batch or (improvement < cal.tolerance * max(1.0, chi_star) and near(u_star, "high", NEAR)):
            stop = "converged: " + (f"predicted improvement {improvement:.3g} < tolerance" if batch
                                    else "the acquisition proposes only evaluated points")
        elif not todo:
            stop = (f"stopped after {n_used()} evaluations (budget: max_evaluations = {max_evals}"
                    + (f", max_core_hours = {hours:g}" if hours else "") + f"; {core_s() / 3600:.3g} core-hours)")
        if comm is not None:   # every rank follows rank 0's decision
            todo, stop = comm.bcast((todo, stop), root=0)
        if stop:
            converged, message = stop.startswith("converged"), stop.removeprefix("converged: ")
            break
        run(todo)
        it += 1

    # the result: the model's optimum, with the full-level evaluation nearest to it (the best measured
    # one without a model)
    high = list(data["high"].values())
    u_best, best = min(high, key=lambda ue: chi2_of(ue[1], values, scale_box))
    res = dict(params=to_params(u_best), chi2_predicted=math.nan, predicted=np.full(m, np.nan),
               predicted_sd=np.full(m, np.nan), bias=np.zeros(m), bias_se=np.zeros(m), n_pairs=0,
               interval=np.full((d, 2), np.nan))
    sig, cov, sens = np.full(d, np.nan), np.full((d, d), np.nan), np.full((m, d), np.nan)
    if model is not None:
        u_star, chi_star = minimize_box(lambda U: chi2_mean(model, U), d, cal.seed,
                                        [u for u, _ in data[level].values()])
        mean, var = model.predict(u_star[None, :])
        u_best, best = min(high, key=lambda ue: float(np.max(np.abs(ue[0] - u_star))))
        cov, sig, sens = _uncertainty(model, u_star, to_params(u_star), P, values, scale)
        # the box, and a box 1/20 of its width around the optimum: a sharp minimum can lie between the points
        # of a grid over the whole box
        local = np.clip(u_star + (sobol(4096, d, cal.seed + 3) - 0.5) / 20.0, 0.0, 1.0)
        grid = np.vstack([u_star, sobol(4096, d, cal.seed + 2), local])
        inside = grid[chi2_mean(model, grid) <= chi_star + 1.0]
        inside_p = np.array([to_params(u) for u in inside])
        res.update(params=to_params(u_star), chi2_predicted=chi_star, predicted=mean[0],
                   predicted_sd=np.sqrt(var[0] + model.bias_se ** 2), bias=model.bias, bias_se=model.bias_se,
                   n_pairs=model.n_pairs, interval=np.column_stack([inside_p.min(0), inside_p.max(0)]))
    result = SurrogateResult(cal, res.pop("params"), best, scale, sig, cov, sens, chi2_of(best, values, scale_box),
                             n_used(), session["new"], session["replicas"], converged, message,
                             time.perf_counter() - wall0,
                             evaluations_by_level={lv: len(data[lv]) for lv in ("low", "high") if data[lv]},
                             core_hours=core_s() / 3600.0,
                             history=[("full" if lv == "high" else lv, e) for lv in ("low", "high")
                                      for _, e in data[lv].values()], **res)
    if rank == 0:
        save_result(store_path, result)
    return result


def _uncertainty(model: Model, u, params, P, values, scale, h: float = 1e-4):
    """Covariance (parameter units), 1σ and d target/d ln p at u by Gauss-Newton on the predicted
    residuals r_i = (μ_i − value_i)/s_i: cov_u = A (1 + D) Aᵀ, A = (JᵀJ)⁻¹Jᵀ,
    D = (GP variance + bias SE²)/s²."""
    d = len(u)
    J = np.empty((len(values), d))
    for j in range(d):
        lo, hi = u.copy(), u.copy()
        lo[j], hi[j] = max(u[j] - h, 0.0), min(u[j] + h, 1.0)
        J[:, j] = (model.predict(hi[None, :])[0][0] - model.predict(lo[None, :])[0][0]) / scale / (hi[j] - lo[j])
    var = model.predict(u[None, :])[1][0] + model.bias_se ** 2
    A = np.linalg.pinv(J)
    cov_u = A @ np.diag(1.0 + var / scale ** 2) @ A.T
    dpdu = np.array([p.dp_du(v) for p, v in zip(P, params)])
    cov = cov_u * np.outer(dpdu, dpdu)
    sens = J * scale[:, None] * (params / dpdu)[None, :]
    return cov, np.sqrt(np.clip(np.diag(cov), 0, None)), sens
