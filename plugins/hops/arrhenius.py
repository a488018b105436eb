"""Arrhenius hops with a bond-counting barrier (Kawasaki dynamics of a lattice gas).

An N ion at site i with n_i occupied N neighbours and c_i Co neighbours hops to a vacant
neighbour over the barrier

    E_a(i) = E_0 + ε n_i + ε₂ m_i + δ c_i        rate = ν exp(-(E_a − q E dz / 2) / kT)

(the field term is added by the core; m_i counts occupied sites of the second neighbour shell,
read only when ε₂ ≠ 0). The saddle energy is the same seen from both ends, so the rates obey
detailed balance for the site energy E = −ε·(first-shell N–N pairs) − ε₂·(second-shell pairs)
− δ·Σ c_i: ε > 0 is an N–N
attraction (it drives the nitride/metal phase separation behind a planar front; the fcc lattice
gas separates below kT_c ≈ 2.45 ε; the default ε = 0.012 eV puts T_c ≈ 340 K, just above room
temperature: strong short-range order, fronts that stay planar but can smear), δ < 0 makes N
next to Co less bound than next to Fe (CoN is less stable than FeN). The sign of ε is a
modelling choice the literature does not support for dilute N: Mössbauer spectra of fcc Fe–N
austenite (N on the same octahedral sublattice) give a strongly repulsive first-neighbour and
a weakly attractive second-neighbour N–N interaction (K. Oda, H. Fujimura and H. Ino, 1990):
ε < 0 with ε₂ > 0 is that sign pattern (docs/calibration.md, ``table1_nn_sign``).
With E_0 and δ, ε is one of the parameters that change the order of Table 1's ΔM_S
(docs/calibration.md, ``table1_sensitivity``).

Defaults: ν = 10¹³ Hz (phonon frequency). E_0 = 0.71 eV makes the hop of an N ion out of fully
nitrided surroundings (n = 11, barrier ≈ 0.84 eV) into a vacancy take place ~0.1 times per second
per vacant neighbour at 300 K: with the default film field (0.5 MV/cm, a tilt of 0.6 kT per hop)
vacancies then cross the 50 nm film in about ten minutes, which puts the top-to-bottom reversal
of the depletion between the Low M (4 min) and High M (16 min) states as in the seed paper.
A lone N ion in the metal (barrier 0.71 eV) hops ~10³ s⁻¹, of the order of N in α-Fe at room
temperature (≈ 0.8 eV). Hand-tuned starting values; ``mikmc calibrate`` fits them.
"""

from __future__ import annotations

import numpy as np

from kmc.plugins.hops.tables import HopTables
from kmc.units import K_B_EV


class ArrheniusHop:
    """Environment-dependent Arrhenius hop law.

    Parameters
    ----------
    barrier_ev : float
        E_0, the barrier of an ion with no N neighbours and no Co neighbours (eV).
    nn_bond_ev : float
        ε, added to the barrier per occupied N neighbour of the starting site (eV).
    nn2_bond_ev : float
        ε₂, added to the barrier per occupied second-shell N site of the starting site (eV);
        0 (default) leaves the second shell out of the law and of the core's bookkeeping.
    co_shift_ev : float
        δ, added to the barrier per Co neighbour of the starting site (eV).
    nu0_hz : float
        Attempt frequency ν (Hz).
    charge_e : float
        Ion charge in e (N³⁻: -3).
    """

    name = "arrhenius"
    api_version = 1
    #: rates obey detailed balance for :meth:`energy_ev` (checked by kmc.testing.check_hop_plugin)
    detailed_balance = True

    def __init__(self, barrier_ev: float = 0.71, nn_bond_ev: float = 0.012, co_shift_ev: float = -0.01,
                 nu0_hz: float = 1e13, charge_e: float = -3.0, nn2_bond_ev: float = 0.0):
        if nu0_hz <= 0:
            raise ValueError(f"nu0_hz must be > 0, got {nu0_hz}")
        self.barrier_ev, self.nn_bond_ev, self.co_shift_ev = barrier_ev, nn_bond_ev, co_shift_ev
        self.nn2_bond_ev = float(nn2_bond_ev)
        self.nu0_hz, self.charge_e = nu0_hz, charge_e

    @staticmethod
    def co_neighbours(lattice) -> np.ndarray:
        """(n_sites,) number of Co host neighbours of every mobile site."""
        m = lattice.host_nbr.shape[1]
        if "Co" in lattice.host_symbols and m:
            co = lattice.host_symbols.index("Co")
            nb = lattice.host_nbr
            return ((nb >= 0) & (lattice.host_species[np.maximum(nb, 0)] == co)).sum(axis=1)
        return np.zeros(lattice.n_sites, dtype=np.int64)

    def shell2(self, lattice) -> np.ndarray | None:
        """(n_sites, z2) second-shell sites the law reads, or None when ε₂ = 0."""
        return lattice.shell(2) if self.nn2_bond_ev != 0.0 else None

    def energy_ev(self, lattice, occ: np.ndarray) -> float:
        """Site energy (eV) of an occupancy: −ε·(first-shell pairs) − ε₂·(second-shell pairs)
        − δ·Σ_occupied c_i (field excluded)."""
        occ = np.asarray(occ, dtype=np.int64)
        e = -self.co_shift_ev * float(np.sum(occ * self.co_neighbours(lattice)))
        for eps, table in ((self.nn_bond_ev, lattice.hop_nbr), (self.nn2_bond_ev, self.shell2(lattice))):
            if table is not None:
                e -= eps * 0.5 * float(np.sum(occ * np.append(occ, 0)[table].sum(axis=1)))
        return e

    def build(self, lattice, temperature_k: float) -> HopTables:
        kt = K_B_EV * temperature_k
        z = lattice.hop_nbr.shape[1]
        shell2 = self.shell2(lattice)
        z2 = 0 if shell2 is None else shell2.shape[1]
        env = self.co_neighbours(lattice)
        n_static = lattice.host_nbr.shape[1] + 1
        n_occ, n_occ2, n_co = (a.reshape(-1) for a in np.meshgrid(np.arange(z + 1), np.arange(z2 + 1),
                                                                     np.arange(n_static), indexing="ij"))
        barrier = self.barrier_ev + self.nn_bond_ev * n_occ + self.nn2_bond_ev * n_occ2 + self.co_shift_ev * n_co
        rates = self.nu0_hz * np.exp(-barrier / kt)
        return HopTables(base_rate_hz=rates, env_static=env.astype(np.int64), n_static=n_static,
                         charge_e=self.charge_e, shell2=shell2)
