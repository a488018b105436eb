"""Hops whose barrier follows the energy change of the hop (kinetically resolved activation, KRA).

An N ion hopping from site i to a vacant neighbour j crosses

    E_a(i→j) = E_KRA + (E_after − E_before) / 2        rate = ν exp(-(E_a − q E dz / 2) / kT)

(A. Van der Ven, G. Ceder, M. Asta and P. D. Tepesch, Phys. Rev. B 64, 184307 (2001)), with the
lattice-gas energy

    E = V₁·(first-shell N–N pairs) + V₂·(second-shell pairs) + w·Σ_occupied c_i

(V > 0: repulsion; c_i: Co neighbours of site i). Unlike the start-site bond counting of
``hops.arrhenius`` (E_a = E_0 + ε n_i + …, which turns negative once 11|ε| > E_0), the barrier
stays near E_KRA when an ion moves between equally crowded sites, however strong the
interactions, so pair energies of order 0.1 eV (the scale of ordering into γ′-Fe₄N near 830 K)
can be used. With h(s) = V₁ nocc_s + V₂ nocc2_s + w c_s, the interaction energy an ion at s has
(the ion at i counted among j's neighbours), E_after − E_before = h(j) − V₁ − h(i), so

    rate(i→j) = ν e^{−(E_KRA − V₁/2)/kT} e^{h(i)/2kT} · e^{−h(j)/2kT}

factorises into a rate per start code (``base_rate_hz``) and a factor per destination code
(``dest_factor``), which the core multiplies (kmc.core.records.site_rate). Detailed balance holds
by construction; E_a < 0 (only if |ΔE|/2 > E_KRA) is left as the formula gives it.

Defaults: the energy of the ``hops.arrhenius`` defaults (V₁ = −ε, V₂ = −ε₂, w = −δ) and
E_KRA = E_0, so a lone N ion has the same barrier under both laws; they are a starting point for
studies (docs/paper.md), not a fit of this law.
"""

from __future__ import annotations

import numpy as np

from kmc.plugins.hops.arrhenius import co_neighbours, environment_codes, pair_energy_ev, second_shell
from kmc.plugins.hops.tables import HopTables
from kmc.units import K_B_EV


class KraHop:
    """Hop law E_a = E_KRA + ΔE/2 with first- and second-shell N–N pair energies.

    Parameters
    ----------
    kra_barrier_ev : float
        E_KRA, the barrier of a hop that does not change the energy (eV).
    nn_pair_ev : float
        V₁, energy of a first-shell N–N pair (eV; > 0 repulsive).
    nn2_pair_ev : float
        V₂, energy of a second-shell N–N pair (eV); 0 leaves the second shell out.
    co_site_ev : float
        w, energy of an N ion per Co neighbour (eV; > 0: N is less bound next to Co).
    nu0_hz : float
        Attempt frequency ν (Hz).
    charge_e : float
        Ion charge in e (N³⁻: -3).
    """

    name = "kra"
    api_version = 1
    #: rates obey detailed balance for :meth:`energy_ev` (checked by kmc.testing.check_hop_plugin)
    detailed_balance = True

    def __init__(self, kra_barrier_ev: float = 0.9461, nn_pair_ev: float = 0.012, nn2_pair_ev: float = -0.006,
                 co_site_ev: float = 0.01, nu0_hz: float = 1e13, charge_e: float = -3.0):
        for key, value in (("kra_barrier_ev", kra_barrier_ev), ("nn_pair_ev", nn_pair_ev),
                           ("nn2_pair_ev", nn2_pair_ev), ("co_site_ev", co_site_ev)):
            if not (isinstance(value, (int, float)) and np.isfinite(value)):
                raise ValueError(f"{key} must be a finite number (eV), got {value!r}")
        if not (isinstance(nu0_hz, (int, float)) and 0 < nu0_hz < np.inf):
            raise ValueError(f"nu0_hz must be > 0 (Hz), got {nu0_hz!r}")
        self.kra_barrier_ev, self.nn_pair_ev = float(kra_barrier_ev), float(nn_pair_ev)
        self.nn2_pair_ev, self.co_site_ev = float(nn2_pair_ev), float(co_site_ev)
        self.nu0_hz, self.charge_e = float(nu0_hz), float(charge_e)

    def shell2(self, lattice) -> np.ndarray | None:
        """(n_sites, z2) second-shell sites the law reads, or None when V₂ = 0."""
        return second_shell(lattice, self.nn2_pair_ev)

    def energy_ev(self, lattice, occ: np.ndarray) -> float:
        """Lattice-gas energy (eV) of an occupancy: V₁·(first-shell pairs) + V₂·(second-shell
        pairs) + w·Σ_occupied c_i (field excluded)."""
        return pair_energy_ev(lattice, occ, self.nn_pair_ev, self.nn2_pair_ev, self.co_site_ev)

    def build(self, lattice, temperature_k: float) -> HopTables:
        kt = K_B_EV * temperature_k
        shell2 = self.shell2(lattice)
        n_occ, n_occ2, n_co, n_static = environment_codes(lattice, shell2)
        h = self.nn_pair_ev * n_occ + self.nn2_pair_ev * n_occ2 + self.co_site_ev * n_co
        base = self.nu0_hz * np.exp(-(self.kra_barrier_ev - 0.5 * self.nn_pair_ev - 0.5 * h) / kt)
        return HopTables(base_rate_hz=base, env_static=co_neighbours(lattice).astype(np.int64),
                         n_static=n_static, charge_e=self.charge_e, shell2=shell2,
                         dest_factor=np.exp(-0.5 * h / kt))
