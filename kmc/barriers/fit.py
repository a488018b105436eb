"""Local cluster expansion (LCE) of the hop barrier, fitted by ridge least squares with cross-validation.

The sites around a hop are the 12 N neighbours of the start site (occupation σ = 1/0; the target
is one of them and vacant) and its 6 metal neighbours (μ = 1 for Co, 0 for Fe), see
kmc.barriers.environments. A cluster is a set of these sites that are pairwise nearest neighbours
(N–N a/√2, N–metal a/2, metal–metal a/√2) with at most ``max_order`` sites; clusters equivalent under
a symmetry group form an orbit α, whose correlation is φ_α = Σ_{clusters in α} Π_sites (σ or μ).
The barrier is

    E_a = J_0 + Σ_α J_α φ_α        (eV; J_α: effective cluster interactions, ECIs)

Two forms (``form``):

``kra`` (default): detailed balance by construction. The KMC core gives an ion one rate per
    environment code of its *start* site, for any vacant neighbour. Such rates obey detailed balance
    only if the saddle-point energy is the same for every hop and the barrier is that energy minus
    the energy of the ion on its start site, E_a = E_s − u(start); then E_a = E_KRA + ΔE/2 with
    ΔE = u(end) − u(start) and E_KRA = E_s − (u(start) + u(end))/2. For u to be an energy of the
    occupancy that the core can evaluate from the code, only clusters with at most one N neighbour
    enter: the N point (φ = n_occ: an N–N bond energy) and clusters of metal sites (orbits of the
    cubic group O_h of the site). Each NEB gives two data rows (forward from the start
    environment, backward from the end environment), which fixes u through ΔE and E_s through
    the mean saddle energy. The plug-in then has ``energy_ev`` = −J_N·(N–N bonds) − Σ_occupied
    G(n_co), G = the metal part of the barrier.
``barrier``: the barrier itself, with every cluster of the hop (orbits of the 4 operations that fix
    the hop vector): which N neighbours are vacant where, Co at the saddle or behind it. More
    detail, no detailed balance guarantee.

The core resolves only the code (n_occ, n_co), so the plug-in fills its table with the LCE averaged
over the arrangements of a code (uniformly): the average of a cluster's product is
[n]_k/[11]_k · [c]_l/[6]_l for k of the 11 non-target N sites and l of the 6 metal sites
([x]_k = x(x−1)…(x−k+1)). Rows of a data file without site-resolved environment enter the fit
through the same average.

Fit: ridge regression (unpenalised J_0) on centred features; the ridge parameter α is chosen by
k-fold cross-validation over a grid (both rows of one NEB stay in one fold), or given. Reported:
the CV root-mean-square error, the training RMSE, each ECI with its standard error (from the
residual variance; ``nan`` for ECIs the data does not determine: a constant feature).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from kmc.barriers.environments import (HOP_PERMS, METALS, N_METALS, N_SHELL, OH_PERMS, SHELL_N, TARGET,
                                       Environment)

FORMS = ("kra", "barrier")
SITES = SHELL_N + METALS  # site index: 0..11 N neighbours, 12..17 metal neighbours
N_SITES = len(SITES)


def _is_metal(i: int) -> bool:
    return i >= N_SHELL


def _nearest(i: int, j: int) -> bool:
    d2 = sum((a - b) ** 2 for a, b in zip(SITES[i], SITES[j]))
    return d2 == (1 if _is_metal(i) != _is_metal(j) else 2)


def _site_perm(perms) -> tuple[int, ...]:
    ps, pm = perms
    return tuple(ps) + tuple(N_SHELL + j for j in pm)


def _falling(x: int, k: int) -> float:
    out = 1.0
    for i in range(k):
        out *= x - i
    return out


@dataclass(frozen=True)
class Orbit:
    """Clusters equivalent under the basis' group: site-index tuples (0..11 N, 12..17 metals)."""

    name: str
    members: tuple

    @property
    def multiplicity(self) -> int:
        return len(self.members)


class ClusterBasis:
    """The orbits of a form (``kra`` or ``barrier``) up to ``max_order`` sites per cluster."""

    def __init__(self, form: str = "kra", max_order: int = 2):
        if form not in FORMS:
            raise ValueError(f"form = {form!r}: must be one of {', '.join(FORMS)}")
        if not isinstance(max_order, int) or not 1 <= max_order <= 4:
            raise ValueError(f"max_order = {max_order!r}: must be an integer in [1, 4] (sites per cluster)")
        self.form, self.max_order = form, max_order
        perms = [_site_perm(p) for p in (OH_PERMS if form == "kra" else HOP_PERMS)]
        if form == "kra":
            candidates = list(range(N_SHELL, N_SITES))  # metal clusters; the N point is added below
        else:
            candidates = [i for i in range(N_SITES) if i != TARGET]
        seen, orbits = set(), []
        if form == "kra":
            orbits.append(Orbit("N", tuple((i,) for i in range(N_SHELL))))
        for k in range(1, max_order + 1):
            for cluster in itertools.combinations(candidates, k):
                if cluster in seen or not all(_nearest(i, j) for i, j in itertools.combinations(cluster, 2)):
                    continue
                members = sorted({tuple(sorted(p[i] for i in cluster)) for p in perms})
                seen.update(members)
                # kra: one compact metal cluster per size (point, cis pair, fac triangle) -> "Co", "Co-Co", ...
                name = "-".join(["Co"] * k) if form == "kra" else self._name(members[0])
                orbits.append(Orbit(name, tuple(members)))
        self.orbits = orbits
        self.names = [o.name for o in orbits]
        self._members = [np.array(o.members, dtype=np.int64) for o in orbits]  # (count, sites) per orbit

    @staticmethod
    def _name(cluster) -> str:
        def one(i):
            return ("Co" if _is_metal(i) else "N") + "(" + ",".join(str(x) for x in SITES[i]) + ")"
        return " ".join(one(i) for i in cluster)

    def __len__(self) -> int:
        return len(self.orbits)

    def features(self, env: Environment) -> np.ndarray:
        """φ_α of a site-resolved environment."""
        x = np.array([c == "1" for c in env.shell + env.metals], dtype=np.float64)
        return np.array([x[m].prod(axis=1).sum() for m in self._members])

    def features_code(self, n_occ: int, n_co: int) -> np.ndarray:
        """φ_α averaged over all arrangements with ``n_occ`` of the 11 non-target N sites occupied and
        ``n_co`` of the 6 metals Co."""
        out = np.zeros(len(self.orbits))
        for a, o in enumerate(self.orbits):
            for m in o.members:
                if TARGET in m:
                    continue
                k = sum(1 for i in m if not _is_metal(i))
                ell = len(m) - k
                out[a] += (_falling(n_occ, k) / _falling(N_SHELL - 1, k)
                           * _falling(n_co, ell) / _falling(N_METALS, ell))
        return out

    def matrix(self, rows) -> np.ndarray:
        """Features of data rows (site-resolved where the row has shell/metals, else by code)."""
        return np.array([self.features(r.env) if r.env is not None else self.features_code(r.n_occ, r.n_co)
                         for r in rows]).reshape(len(rows), len(self.orbits))


@dataclass
class LceFit:
    """A fitted expansion (energies in eV)."""

    basis: ClusterBasis
    intercept_ev: float
    eci_ev: np.ndarray
    eci_se_ev: np.ndarray
    determined: np.ndarray
    alpha: float
    alpha_chosen_by_cv: bool
    cv_rmse_ev: float
    rmse_ev: float
    delta_e_rmse_ev: float
    n_rows: int
    n_groups: int
    rank: int

    def barrier_ev(self, n_occ: int, n_co: int) -> float:
        """The barrier of a code (averaged over its arrangements), eV."""
        return float(self.intercept_ev + self.basis.features_code(n_occ, n_co) @ self.eci_ev)

    def predict(self, rows) -> np.ndarray:
        return self.intercept_ev + self.basis.matrix(rows) @ self.eci_ev

    def eci(self, name: str) -> float:
        return float(self.eci_ev[self.basis.names.index(name)])

    def table(self) -> str:
        """The fit as text: errors, then one line per ECI."""
        cv = "n/a (fewer than 3 NEBs)" if math.isnan(self.cv_rmse_ev) else f"{1000 * self.cv_rmse_ev:.1f} meV"
        lines = [f"LCE form {self.basis.form}, clusters up to {self.basis.max_order} sites: {len(self.basis)} ECIs + "
                 f"J_0 from {self.n_rows} barriers ({self.n_groups} NEBs), rank {self.rank}",
                 f"  CV RMSE {cv}, training RMSE {1000 * self.rmse_ev:.1f} meV, ridge alpha {self.alpha:.3g}"
                 + (" (chosen by CV)" if self.alpha_chosen_by_cv else "")]
        if not math.isnan(self.delta_e_rmse_ev):
            lines.append(f"  end-state energy difference ΔE: RMSE {1000 * self.delta_e_rmse_ev:.1f} meV")
        lines.append(f"  {'cluster':34s} {'count':>5s} {'ECI (eV)':>10s} {'± s.e.':>8s}")
        lines.append(f"  {'J_0':34s} {'':>5s} {self.intercept_ev:10.4f}")
        for o, j, se, ok in zip(self.basis.orbits, self.eci_ev, self.eci_se_ev, self.determined):
            err = f"{se:8.4f}" if ok and math.isfinite(se) else "   (n/d)"
            lines.append(f"  {o.name:34s} {o.multiplicity:5d} {j:10.4f} {err}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"form": self.basis.form, "max_order": self.basis.max_order, "intercept_ev": self.intercept_ev,
                "eci_ev": dict(zip(self.basis.names, self.eci_ev.tolist())),
                "eci_se_ev": dict(zip(self.basis.names, self.eci_se_ev.tolist())),
                "alpha": self.alpha, "cv_rmse_ev": self.cv_rmse_ev, "rmse_ev": self.rmse_ev,
                "delta_e_rmse_ev": self.delta_e_rmse_ev, "n_rows": self.n_rows, "n_neb": self.n_groups}


def _ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[float, np.ndarray]:
    """Intercept and weights of ridge regression (intercept unpenalised; alpha = 0: minimum-norm LSQ)."""
    mx, my = x.mean(axis=0), y.mean()
    xc = x - mx
    p = x.shape[1]
    if p == 0:
        return my, np.zeros(0)
    a = np.vstack([xc, math.sqrt(alpha) * np.eye(p)]) if alpha > 0 else xc
    b = np.concatenate([y - my, np.zeros(p)]) if alpha > 0 else y - my
    w = np.linalg.lstsq(a, b, rcond=None)[0]
    return float(my - mx @ w), w


def _cv_rmse(x, y, groups, folds: int, alpha: float, rng_seed: int) -> float:
    labels = np.unique(groups)
    k = min(folds, len(labels))
    order = np.random.default_rng(rng_seed).permutation(len(labels))
    fold_of = dict(zip(labels[order], np.arange(len(labels)) % k))
    fold = np.array([fold_of[g] for g in groups])
    err = np.empty(len(y))
    for f in range(k):
        test = fold == f
        c, w = _ridge(x[~test], y[~test], alpha)
        err[test] = y[test] - (c + x[test] @ w)
    return float(np.sqrt(np.mean(err ** 2)))


def fit_lce(rows, form: str = "kra", max_order: int = 2, alpha="cv", folds: int = 5, seed: int = 0) -> LceFit:
    """Fit the LCE of ``form`` to data rows (kmc.barriers.datafile.BarrierRow, barrier_ev in eV).

    Parameters
    ----------
    rows : list of BarrierRow
        Barriers; both directions of an NEB (same ``task``) stay in one CV fold.
    form : {"kra", "barrier"}
    max_order : int
        Largest cluster (sites).
    alpha : "cv" or float
        Ridge parameter, dimensionless: the weight of Σ J_α² against the sum of squared residuals
        (both eV²; the features are counts); 0: plain least squares. Or "cv":
        the value of a grid with the lowest cross-validation error.
    folds : int
        k of k-fold cross-validation (at most the number of NEBs; with fewer than 3, no CV).
    seed : int
        Seed of the fold assignment.
    """
    rows = list(rows)
    if not rows:
        raise ValueError("no barriers to fit")
    if not isinstance(folds, int) or folds < 2:
        raise ValueError(f"folds = {folds!r}: must be an integer >= 2")
    basis = ClusterBasis(form, max_order)
    x = basis.matrix(rows)
    y = np.array([r.barrier_ev for r in rows])
    groups = np.array([r.task or f"row{i}" for i, r in enumerate(rows)])
    n_groups = len(set(groups))
    xc = x - x.mean(axis=0)
    scale = float((xc ** 2).sum()) / max(x.shape[1], 1) or 1.0
    can_cv = n_groups >= 3
    if alpha == "cv":
        if can_cv:
            grid = [0.0, *(scale * np.geomspace(1e-6, 10.0, 29))]
            scores = [_cv_rmse(x, y, groups, folds, a, seed) for a in grid]
            alpha_value, by_cv = float(grid[int(np.argmin(scores))]), True
        else:
            alpha_value, by_cv = 0.0, False
    else:
        if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not (0 <= alpha < math.inf):
            raise ValueError(f"alpha = {alpha!r}: must be \"cv\" or a number >= 0")
        alpha_value, by_cv = float(alpha), False
    cv = _cv_rmse(x, y, groups, folds, alpha_value, seed) if can_cv else math.nan
    c, w = _ridge(x, y, alpha_value)
    resid = y - (c + x @ w)
    p = x.shape[1]
    gram = xc.T @ xc
    a_inv = np.linalg.pinv(gram + alpha_value * np.eye(p))
    dof = len(y) - 1 - float(np.trace(xc @ a_inv @ xc.T))
    sigma2 = float(resid @ resid) / dof if dof > 0.5 else math.nan
    se = np.sqrt(np.maximum(np.diag(sigma2 * a_inv @ gram @ a_inv), 0.0)) if p else np.zeros(0)
    determined = xc.std(axis=0) > 1e-12
    se = np.where(determined, se, math.nan)
    return LceFit(basis=basis, intercept_ev=c, eci_ev=w, eci_se_ev=se, determined=determined, alpha=alpha_value,
                  alpha_chosen_by_cv=by_cv, cv_rmse_ev=cv, rmse_ev=float(np.sqrt(np.mean(resid ** 2))),
                  delta_e_rmse_ev=_delta_e_rmse(rows, c + x @ w), n_rows=len(rows), n_groups=n_groups,
                  rank=int(np.linalg.matrix_rank(xc)) if p else 0)


def _delta_e_rmse(rows, predicted) -> float:
    """RMSE of ΔE = E_a(forward) − E_a(backward), model vs NEB, over NEBs with both directions."""
    pairs: dict[str, dict[str, int]] = {}
    for i, r in enumerate(rows):
        if r.task and r.direction:
            pairs.setdefault(r.task, {})[r.direction] = i
    err = [(predicted[d["forward"]] - predicted[d["backward"]]) - (rows[d["forward"]].barrier_ev
                                                                    - rows[d["backward"]].barrier_ev)
           for d in pairs.values() if len(d) == 2]
    return float(np.sqrt(np.mean(np.square(err)))) if err else math.nan
