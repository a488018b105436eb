"""Hop barriers from a local cluster expansion (LCE) fitted to a barrier data file.

The expansion, its two forms and the fit are in kmc.barriers.fit; in short, with n_occ occupied N
neighbours and n_co Co neighbours of the start site,

    form "kra" (default):  E_a = J_0 + J_N n_occ + G(n_co)      detailed balance by construction
    form "barrier":        E_a = J_0 + Σ_α J_α φ̄_α(n_occ, n_co)  every cluster of the hop, averaged
                                                                 over the arrangements of the code

fitted when the plug-in is constructed (ridge least squares, the ridge parameter by
cross-validation; ``mikmc barriers fit DATA`` prints the same fit: CV error and ECIs). The jitted
core reads the frozen table ν exp(−E_a/kT) per code, as for every hop law. With form "kra" the
rates obey detailed balance for the energy

    E = −J_N · (N–N bonds) − Σ_occupied sites G(n_co)

(``energy_ev``; with J_N = ε, G = δ n_co this is the ``arrhenius`` law). A needed code whose
predicted barrier is negative (an extrapolation far from the data, or a fit that cannot follow
the data there) is an error naming it, unless ``min_barrier_ev`` is set: predicted barriers below
it are then raised to it, with a warning, and detailed balance no longer holds for hops from those
codes (the instance then says ``detailed_balance = False``).
"""

from __future__ import annotations

import logging
import math

import numpy as np

from kmc.plugins.hops.arrhenius import co_neighbours
from kmc.plugins.hops.table import missing_message, needed_codes
from kmc.plugins.hops.tables import HopTables
from kmc.units import K_B_EV

log = logging.getLogger(__name__)


class LceHop:
    """Barriers from a local cluster expansion fitted to a data file.

    Parameters
    ----------
    path : str
        Barrier data file (CSV or JSON, kmc.barriers.datafile) or a bundled data set (``emt_nin``).
        Required.
    form : str
        "kra" (detailed balance by construction) or "barrier" (every cluster of the hop).
    max_order : int
        Largest cluster, in sites (1: points; 2: + nearest-neighbour pairs; ...).
    alpha : "cv" or float
        Ridge parameter (dimensionless: weight of Σ ECI² against the squared residuals; 0: least
        squares), or "cv": chosen by cross-validation.
    cv_folds : int
        k of the k-fold cross-validation.
    nu0_hz : float
        Attempt frequency ν (Hz).
    charge_e : float
        Ion charge in e (N³⁻: -3).
    min_barrier_ev : float, optional
        Floor (eV) for predicted barriers; default: a negative predicted barrier is an error.
    """

    name = "lce"
    api_version = 1
    detailed_balance = True  # form "kra"; an instance with form "barrier" sets False

    def __init__(self, path: str = "", form: str = "kra", max_order: int = 2, alpha="cv", cv_folds: int = 5,
                 nu0_hz: float = 1e13, charge_e: float = -3.0, min_barrier_ev: float | None = None):
        from kmc.barriers import datafile
        from kmc.barriers.fit import fit_lce

        if not (isinstance(nu0_hz, (int, float)) and 0 < nu0_hz < math.inf):
            raise ValueError(f"nu0_hz must be > 0 (Hz), got {nu0_hz!r}")
        if not (alpha == "cv" or (isinstance(alpha, (int, float)) and not isinstance(alpha, bool))):
            raise ValueError(f"alpha must be \"cv\" or a number >= 0 (dimensionless), got {alpha!r}")
        self.path, self.form, self.max_order, self.alpha, self.cv_folds = path, form, max_order, alpha, cv_folds
        if min_barrier_ev is not None and not (isinstance(min_barrier_ev, (int, float))
                                               and 0 <= min_barrier_ev < math.inf):
            raise ValueError(f"min_barrier_ev must be a number >= 0 (eV), got {min_barrier_ev!r}")
        self.nu0_hz, self.charge_e, self.min_barrier_ev = float(nu0_hz), float(charge_e), min_barrier_ev
        data = datafile.read(path)
        rows = data.usable()
        if not rows:
            raise ValueError(f"barrier data file {path!r}: no converged row")
        self.fit = fit_lce(rows, form=form, max_order=max_order, alpha=alpha, folds=cv_folds)
        self.detailed_balance = form == "kra"
        log.info("hops plug-in lce, %s:\n%s", path, self.fit.table())

    def barrier_table(self, lattice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(z+1, m+1) barriers (eV) of every code, which codes the lattice needs, Co count per site."""
        from kmc.config import ConfigError

        z, m = lattice.hop_nbr.shape[1], lattice.host_nbr.shape[1]
        n_co = co_neighbours(lattice)
        barrier = np.array([[self.fit.barrier_ev(n, c) for c in range(m + 1)] for n in range(z + 1)])
        need = needed_codes(lattice, n_co)
        if self.min_barrier_ev is not None:
            low = need & (barrier < self.min_barrier_ev)
            if low.any():
                n, c = np.argwhere(low)[np.argmin(barrier[low])]
                log.warning("hops plug-in lce: %d environment(s) of the lattice raised to min_barrier_ev = %g eV, "
                            "the lowest n_occ=%d, n_co=%d from %.3g eV; no detailed balance for hops from them",
                            int(low.sum()), self.min_barrier_ev, n, c, barrier[n, c])
                barrier = np.where(low, self.min_barrier_ev, barrier)
                self.detailed_balance = False
        bad = np.argwhere(need & ~(barrier >= 0))
        if len(bad):
            n, c = bad[np.argmin(barrier[tuple(bad.T)])]
            raise ConfigError("hops.path", self.path, missing_message(
                [(int(n), int(c))] + [tuple(b) for b in bad if tuple(b) != (n, c)],
                f"the fit predicts a barrier of {barrier[n, c]:.3g} eV") + "; add data near it, change "
                "hops.form/max_order/alpha, or set hops.min_barrier_ev")
        return barrier, need, n_co

    def energy_ev(self, lattice, occ: np.ndarray) -> float:
        """E = −J_N·(N–N bonds) − Σ_occupied G(n_co) (eV, field excluded); form "kra" only."""
        if self.form != "kra":
            raise ValueError("energy_ev: the form \"barrier\" defines no energy (no detailed balance)")
        occ = np.asarray(occ, dtype=np.int64)
        j_n = self.fit.eci("N")
        g = np.array([self.fit.barrier_ev(0, c) - self.fit.intercept_ev for c in range(lattice.host_nbr.shape[1] + 1)])
        nocc = np.append(occ, 0)[lattice.hop_nbr].sum(axis=1)
        bonds = 0.5 * float(np.sum(occ * nocc))
        return -j_n * bonds - float(np.sum(occ * g[co_neighbours(lattice)]))

    def build(self, lattice, temperature_k: float) -> HopTables:
        kt = K_B_EV * temperature_k
        barrier, need, n_co = self.barrier_table(lattice)
        flat = barrier.reshape(-1)  # code = n_occ * (m + 1) + n_co
        with np.errstate(over="ignore"):
            rates = self.nu0_hz * np.exp(-flat / kt)
        rates[~need.reshape(-1)] = 0.0  # codes no hop of this lattice starts from
        return HopTables(base_rate_hz=rates, env_static=n_co.astype(np.int64), n_static=lattice.host_nbr.shape[1] + 1,
                         charge_e=self.charge_e)
