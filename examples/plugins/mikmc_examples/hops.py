"""Vacancy-assisted hops: the barrier falls with the local vacancy fraction (free-volume relief).

An N ion at site i with z_i neighbour sites (fewer at the film surfaces), n_i of them occupied,
hops to a vacant neighbour over

    E_a(i) = E_0 + ε n_i − λ f_v(i)^p,        f_v(i) = (z_i − n_i) / z_i

rate = ν exp(−E_a / kT) (the core adds the field term). With p > 1 the lowering is negligible in
the nitride and large in N-depleted regions, so hops accelerate super-linearly as the film
empties: an autocatalytic, sharpened reduction front, unlike the bond-counting Arrhenius law.
It depends on z_i and is non-linear in n_i, so it does not obey detailed balance for any pair
energy: the class says ``detailed_balance = False`` (a kinetic model, not an equilibrium one).
"""

from __future__ import annotations

import numpy as np

from kmc.plugins.hops.tables import K_B_EV, HopTables


class VacancyAssistedHop:
    """Barrier lowered by the local vacancy fraction.

    Parameters
    ----------
    barrier_ev : float
        E_0, barrier of an ion with no occupied neighbour and no lowering (eV).
    nn_bond_ev : float
        ε, added per occupied N neighbour of the starting site (eV).
    lowering_ev : float
        λ, barrier lowering when every neighbour site is vacant (eV, >= 0).
    exponent : float
        p, how sharply the lowering sets in with the vacancy fraction (>= 1).
    nu0_hz : float
        Attempt frequency (Hz).
    charge_e : float
        Ion charge in e.
    """

    name = "vacancy_assisted"
    api_version = 1
    detailed_balance = False

    def __init__(self, barrier_ev: float = 0.75, nn_bond_ev: float = 0.012, lowering_ev: float = 0.15,
                 exponent: float = 2.0, nu0_hz: float = 1e13, charge_e: float = -3.0):
        if nu0_hz <= 0:
            raise ValueError(f"nu0_hz must be > 0, got {nu0_hz}")
        if lowering_ev < 0:
            raise ValueError(f"lowering_ev must be >= 0, got {lowering_ev}")
        if exponent < 1:
            raise ValueError(f"exponent must be >= 1, got {exponent}")
        self.barrier_ev, self.nn_bond_ev, self.lowering_ev = barrier_ev, nn_bond_ev, lowering_ev
        self.exponent, self.nu0_hz, self.charge_e = exponent, nu0_hz, charge_e

    def build(self, lattice, temperature_k: float) -> HopTables:
        kt = K_B_EV * temperature_k
        z = lattice.hop_nbr.shape[1]
        z_site = (lattice.hop_nbr >= 0).sum(axis=1).astype(np.int64)  # static code: z_i in 0..z
        n_static = z + 1
        n_occ = np.repeat(np.arange(z + 1), n_static).astype(np.float64)
        z_i = np.tile(np.arange(n_static), z + 1).astype(np.float64)
        f_v = np.where(z_i > 0, np.clip((z_i - n_occ) / np.maximum(z_i, 1.0), 0.0, 1.0), 0.0)
        barrier = self.barrier_ev + self.nn_bond_ev * n_occ - self.lowering_ev * f_v**self.exponent
        rates = self.nu0_hz * np.exp(-barrier / kt)
        return HopTables(base_rate_hz=rates, env_static=z_site, n_static=n_static, charge_e=self.charge_e)
