"""Gaussian-process regression and box-constrained minimisation for surrogate calibration (numpy/scipy).

:class:`GP` models one scalar y(u) of unit coordinates u ∈ [0, 1]^d from noisy observations with a
known per-observation noise variance (an evaluation's SEM²) plus a fitted nugget τ²:

    y = f(u) + ε,  f ~ GP(0, k),  ε ~ N(0, noise_j + τ²)         (y standardised: mean 0, SD 1)
    k(u, u') = σ² (1 + √5 r + 5r²/3) exp(−√5 r),  r² = Σ_k ((u_k − u'_k)/ℓ_k)²   (Matérn 5/2)

Hyperparameters (ℓ_1..ℓ_d, σ², τ²) maximise the log marginal likelihood plus a weak log-normal
prior on ℓ (median 0.5, 1 e-fold SD; keeps ℓ sane with few points), by L-BFGS-B with the analytic
gradient from a few starts (the default and a seeded Sobol design). Everything is deterministic
for a given seed: a rerun on the same data gives the same model bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg, optimize
from scipy.stats import qmc

SQRT5 = math.sqrt(5.0)
#: bounds of log ℓ, log σ², log τ² (standardised y units)
LOG_ELL = (math.log(0.03), math.log(20.0))
LOG_SF2 = (math.log(1e-2), math.log(1e2))
LOG_TAU2 = (math.log(1e-8), math.log(1.0))
ELL_PRIOR = (math.log(0.5), 1.0)          # mean, SD of log ℓ


def sobol(n: int, d: int, seed: int) -> np.ndarray:
    """n points of a scrambled Sobol sequence in [0, 1]^d (seeded: the same points on every run)."""
    if n <= 0:
        return np.zeros((0, d))
    return qmc.Sobol(d, scramble=True, seed=seed).random_base2(max(0, math.ceil(math.log2(n))))[:n]


def _matern(X1, X2, ell, sf2):
    """Kernel matrix and the scaled squared differences ((Δ_k/ℓ_k)², shape n1 x n2 x d)."""
    D2 = ((X1[:, None, :] - X2[None, :, :]) / ell) ** 2
    r = np.sqrt(D2.sum(-1))
    e = np.exp(-SQRT5 * r)
    return sf2 * (1.0 + SQRT5 * r + 5.0 / 3.0 * r * r) * e, D2, r, e


class GP:
    """GP regression of one output; ``fit`` then ``predict`` (mean, variance of f, original units)."""

    def __init__(self, X, y, noise, seed: int = 0, restarts: int = 2, theta=None, norm=None):
        self.X = np.atleast_2d(np.asarray(X, float))
        y = np.asarray(y, float)
        self.d = self.X.shape[1]
        self.ym, self.ys = norm if norm is not None else (float(y.mean()), float(y.std()) or 1.0)
        self.y = (y - self.ym) / self.ys
        self.noise = np.nan_to_num(np.asarray(noise, float), nan=0.0) / self.ys ** 2
        self.seed, self.restarts = seed, restarts
        self.theta = None
        if theta is not None:
            self._set(np.asarray(theta, float))

    # --- hyperparameters: theta = (log ℓ_1..d, log σ², log τ²) ---
    def bounds(self):
        return [LOG_ELL] * self.d + [LOG_SF2, LOG_TAU2]

    def _nll(self, theta):
        """Negative log marginal likelihood + prior, and its gradient."""
        ell, sf2, tau2 = np.exp(theta[:self.d]), math.exp(theta[self.d]), math.exp(theta[self.d + 1])
        n = len(self.y)
        Ks, D2, r, e = _matern(self.X, self.X, ell, sf2)
        K = Ks + np.diag(self.noise + tau2 + 1e-10)
        try:
            c = linalg.cho_factor(K, lower=True)
        except linalg.LinAlgError:
            return 1e25, np.zeros_like(theta)
        a = linalg.cho_solve(c, self.y)
        Kinv = linalg.cho_solve(c, np.eye(n))
        z = (theta[:self.d] - ELL_PRIOR[0]) / ELL_PRIOR[1]
        nll = 0.5 * self.y @ a + np.log(np.diag(c[0])).sum() + 0.5 * n * math.log(2 * math.pi) + 0.5 * z @ z
        W = np.outer(a, a) - Kinv                  # d nll / d θ = -½ tr(W dK/dθ)
        g = np.empty_like(theta)
        common = sf2 * 5.0 / 3.0 * (1.0 + SQRT5 * r) * e
        for k in range(self.d):
            g[k] = -0.5 * np.sum(W * common * D2[:, :, k]) + z[k] / ELL_PRIOR[1]
        g[self.d] = -0.5 * np.sum(W * Ks)
        g[self.d + 1] = -0.5 * tau2 * np.trace(W)
        return float(nll), g

    def fit(self, warm=None) -> "GP":
        """Maximise the (penalised) log marginal likelihood from deterministic starts: ``warm`` (e.g. the
        previous fit's theta), the default and ``restarts`` seeded Sobol points."""
        lo, hi = np.array(self.bounds()).T
        theta0 = np.array([ELL_PRIOR[0]] * self.d + [0.0, math.log(1e-3)])
        starts = ([np.asarray(warm, float)] if warm is not None else []) + [theta0] + \
            list(lo + sobol(self.restarts, len(lo), self.seed) * (hi - lo))
        best = None
        for t0 in starts:
            res = optimize.minimize(self._nll, np.clip(t0, lo, hi), jac=True, method="L-BFGS-B",
                                    bounds=self.bounds(), options={"maxiter": 100})
            if best is None or res.fun < best.fun:
                best = res
        self._set(best.x)
        self.nll = float(best.fun)
        return self

    def _set(self, theta):
        self.theta = np.asarray(theta, float)
        self.ell = np.exp(self.theta[:self.d])
        self.sf2, self.tau2 = math.exp(self.theta[self.d]), math.exp(self.theta[self.d + 1])
        K = _matern(self.X, self.X, self.ell, self.sf2)[0] + np.diag(self.noise + self.tau2 + 1e-10)
        self._c = linalg.cho_factor(K, lower=True)
        self._a = linalg.cho_solve(self._c, self.y)

    def predict(self, U) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the latent f at the rows of U (original units of y)."""
        U = np.atleast_2d(np.asarray(U, float))
        Ks = _matern(U, self.X, self.ell, self.sf2)[0]
        mean = Ks @ self._a
        v = linalg.cho_solve(self._c, Ks.T)
        var = np.clip(self.sf2 - np.einsum("ij,ji->i", Ks, v), 1e-12 * self.sf2, None)
        return self.ym + self.ys * mean, self.ys ** 2 * var

    def with_points(self, U, noise) -> "GP":
        """The same hyperparameters and normalisation, conditioned also on observations at U equal to the
        current predicted mean (the "kriging believer" fantasy: the mean is unchanged, the variance
        shrinks around U), each with ``noise`` variance (original units)."""
        U = np.atleast_2d(np.asarray(U, float))
        m, _ = self.predict(U)
        X = np.vstack([self.X, U])
        y = np.concatenate([self.ym + self.ys * self.y, m])
        nz = np.concatenate([self.noise * self.ys ** 2, np.broadcast_to(noise, len(U))])
        return GP(X, y, nz, self.seed, self.restarts, theta=self.theta, norm=(self.ym, self.ys))


def minimize_box(f, d: int, seed: int, extra=(), n_grid: int = 256, n_starts: int = 3) -> tuple[np.ndarray, float]:
    """Minimise f over [0, 1]^d: f of a seeded Sobol grid (plus ``extra`` points) vectorised, then
    L-BFGS-B (finite-difference gradient) from the ``n_starts`` best distinct grid points.
    ``f`` maps an (n, d) array to n values. Deterministic."""
    grid = sobol(n_grid, d, seed)
    extra = np.asarray(extra, float).reshape(-1, d)
    grid = np.vstack([extra, grid]) if len(extra) else grid
    vals = f(grid)
    order = np.argsort(vals, kind="stable")
    starts = []
    for i in order:
        if all(np.max(np.abs(grid[i] - s)) > 0.02 for s in starts):
            starts.append(grid[i])
        if len(starts) == n_starts:
            break
    best_x, best_f = grid[order[0]], float(vals[order[0]])
    scalar = lambda x: float(f(np.clip(x, 0.0, 1.0)[None, :])[0])  # noqa: E731
    for s in starts:
        res = optimize.minimize(scalar, s, method="L-BFGS-B", bounds=[(0.0, 1.0)] * d,
                                options={"maxiter": 100, "eps": 1e-6})
        if res.fun < best_f:
            best_x, best_f = np.clip(res.x, 0.0, 1.0), float(res.fun)
    return np.asarray(best_x, float), best_f


def chi2_moments(mean, var, values, scale):
    """E[χ²] and SD[χ²] of χ² = Σ_i ((y_i − value_i)/s_i)² for independent normal y_i (mean, var: n x m)."""
    m = (np.asarray(mean) - values) / scale
    v = np.asarray(var) / scale ** 2
    e = np.sum(m * m + v, axis=-1)
    sd = np.sqrt(np.sum(2 * v * v + 4 * m * m * v, axis=-1))
    return e, sd
