"""Arrhenius hops with a bond-counting barrier (Kawasaki dynamics of a lattice gas).

An N ion at site i with n_i occupied N neighbours and c_i Co neighbours hops to a vacant
neighbour over the barrier

    E_a(i) = E_0 + ε n_i + ε₂ m_i + δ c_i        rate = ν exp(-(E_a − q E dz / 2) / kT)

(the field term is added by the core; m_i counts occupied sites of the second neighbour shell,
read only when ε₂ ≠ 0). The saddle energy is the same seen from both ends, so the rates obey
detailed balance for the site energy E = −ε·(first-shell N–N pairs) − ε₂·(second-shell pairs)
− δ·Σ c_i (+ Σ_m Δ(n_m) with the option ``metal_energy``, below): ε < 0 is a first-neighbour N–N repulsion and ε₂ > 0 a second-neighbour attraction
(ε > 0 would be a first-neighbour attraction, which drives a nitride/metal phase separation behind
a planar front; the fcc lattice gas separates below kT_c ≈ 2.45 ε), and δ < 0 makes N next to Co
less bound than next to Fe (CoN is less stable than FeN).

Defaults: ε = −0.012 eV and ε₂ = +0.006 eV have the sign pattern of N–N interactions that
Mössbauer spectra of fcc Fe–N austenite give for N on the same octahedral sublattice (first
neighbours strongly repulsive, second weakly attractive: K. Oda, H. Fujimura and H. Ino, 1990);
their magnitudes are set by hand (the source gives the signs; docs/calibration.md,
``table1_nn_sign_magnitudes``, shows halving or doubling ε moves the level of Table 1's ΔM_S, not
the order of the states or the depth of depletion). E_0 = 0.9461 ± 0.0071 eV is fitted
(``mikmc calibrate table1_nn_sign_wide_fit``: Gaussian-process surrogate against the three ΔM_S of the
seed paper's Table 1, 3 min column, on the paper protocols' 50 nm films 6 × 6 cells wide, with 3 × 3-cell
films as a bias-corrected cheaper level; χ² = 7.3 for 3 targets). The hop of an N ion out of fully
nitrided surroundings into a vacancy (11 of 12 first neighbours N, 6 of 6 second) then has the barrier
E_0 + 11ε + 6ε₂ = 0.850 eV, a lone N ion 0.946 eV (N in α-Fe: ≈ 0.8 eV). δ = −0.01 eV and
ν = 10¹³ Hz (a phonon frequency) are set by hand. With ε and δ, E_0 is one of the parameters that
change the order of Table 1's ΔM_S (docs/calibration.md, ``table1_sensitivity``).

``metal_energy = "formation_hull"`` adds a many-body energy Σ_m Δ(n_m) over the host metals, from
the nitrides' formation energies (:mod:`kmc.plugins.hops.metal_energy`): the barrier of the ion at i
then has the further term Σ_{m ∋ i} [Δ(n_m − 1) − Δ(n_m)], the energy of taking it out (the core's
start-site factor, :mod:`kmc.core.metal_counts`). Default "none": the fitted E_0 above is for that.
"""

from __future__ import annotations

import numpy as np

from kmc.plugins.hops.metal_energy import metal_energy_ev, metal_energy_table
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
        0 leaves the second shell out of the law and of the core's bookkeeping.
    co_shift_ev : float
        δ, added to the barrier per Co neighbour of the starting site (eV).
    nu0_hz : float
        Attempt frequency ν (Hz).
    charge_e : float
        Ion charge in e (N³⁻: -3).
    metal_energy : str
        "none", or "formation_hull": the metal-centred energy of :mod:`kmc.plugins.hops.metal_energy`.
    """

    name = "arrhenius"
    api_version = 1
    #: rates obey detailed balance for :meth:`energy_ev` (checked by kmc.testing.check_hop_plugin)
    detailed_balance = True

    def __init__(self, barrier_ev: float = 0.9461, nn_bond_ev: float = -0.012, co_shift_ev: float = -0.01,
                 nu0_hz: float = 1e13, charge_e: float = -3.0, nn2_bond_ev: float = 0.006,
                 metal_energy: str = "none"):
        if nu0_hz <= 0:
            raise ValueError(f"nu0_hz must be > 0, got {nu0_hz}")
        if metal_energy not in ("none", "formation_hull"):
            raise ValueError(f"metal_energy must be \"none\" or \"formation_hull\", got {metal_energy!r}")
        self.metal_energy = metal_energy
        self.barrier_ev, self.nn_bond_ev, self.co_shift_ev = barrier_ev, nn_bond_ev, co_shift_ev
        self.nn2_bond_ev = float(nn2_bond_ev)
        self.nu0_hz, self.charge_e = nu0_hz, charge_e

    def shell2(self, lattice) -> np.ndarray | None:
        """(n_sites, z2) second-shell sites the law reads, or None when ε₂ = 0."""
        return second_shell(lattice, self.nn2_bond_ev)

    def energy_ev(self, lattice, occ: np.ndarray) -> float:
        """Site energy (eV) of an occupancy: −ε·(first-shell pairs) − ε₂·(second-shell pairs)
        − δ·Σ_occupied c_i (+ Σ_m Δ(n_m) with a metal energy; field excluded)."""
        return (pair_energy_ev(lattice, occ, -self.nn_bond_ev, -self.nn2_bond_ev, -self.co_shift_ev)
                + metal_energy_ev(lattice, occ, metal_energy_table(lattice, self.metal_energy)))

    def barrier(self, n_occ, n_co, n_occ2=0):
        """E_a (eV) of an ion with n_occ occupied first-shell neighbours, n_co Co neighbours and
        n_occ2 occupied second-shell sites (numbers or arrays)."""
        return self.barrier_ev + self.nn_bond_ev * n_occ + self.nn2_bond_ev * n_occ2 + self.co_shift_ev * n_co

    def build(self, lattice, temperature_k: float) -> HopTables:
        kt = K_B_EV * temperature_k
        shell2 = self.shell2(lattice)
        n_occ, n_occ2, n_co, n_static = environment_codes(lattice, shell2)
        rates = self.nu0_hz * np.exp(-self.barrier(n_occ, n_co, n_occ2) / kt)
        return HopTables(base_rate_hz=rates, env_static=co_neighbours(lattice).astype(np.int64), n_static=n_static,
                         charge_e=self.charge_e, shell2=shell2,
                         metal_energy_ev=metal_energy_table(lattice, self.metal_energy))


def co_neighbours(lattice) -> np.ndarray:
    """(n_sites,) number of Co host neighbours of every mobile site."""
    m = lattice.host_nbr.shape[1]
    if "Co" in lattice.host_symbols and m:
        co = lattice.host_symbols.index("Co")
        nb = lattice.host_nbr
        return ((nb >= 0) & (lattice.host_species[np.maximum(nb, 0)] == co)).sum(axis=1)
    return np.zeros(lattice.n_sites, dtype=np.int64)


def environment_codes(lattice, shell2) -> tuple:
    """(n_occ, n_occ2, n_co, n_static): the occupied first-shell neighbours, occupied ``shell2``
    sites and Co neighbours of every environment code, in the HopTables order, and n_static."""
    z, z2 = lattice.hop_nbr.shape[1], (0 if shell2 is None else shell2.shape[1])
    n_static = lattice.host_nbr.shape[1] + 1
    n_occ, n_occ2, n_co = (a.reshape(-1) for a in np.meshgrid(np.arange(z + 1), np.arange(z2 + 1),
                                                                 np.arange(n_static), indexing="ij"))
    return n_occ, n_occ2, n_co, n_static


def second_shell(lattice, v2_ev: float) -> np.ndarray | None:
    """(n_sites, z2) second-shell sites a law with second-shell energy v2_ev (eV) reads, or None
    when v2_ev = 0 (the core then keeps no second-shell counts)."""
    return lattice.shell(2) if v2_ev != 0.0 else None


def pair_energy_ev(lattice, occ: np.ndarray, v1_ev: float, v2_ev: float, w_ev: float) -> float:
    """Lattice-gas energy (eV) V₁·(first-shell N–N pairs) + V₂·(second-shell pairs) + w·Σ_occupied
    c_i of an occupancy (c_i: Co neighbours of site i; the second shell is read only if V₂ ≠ 0)."""
    occ = np.asarray(occ, dtype=np.int64)
    e = w_ev * float(np.sum(occ * co_neighbours(lattice)))
    for v, table in ((v1_ev, lattice.hop_nbr), (v2_ev, second_shell(lattice, v2_ev))):
        if table is not None:
            e += v * 0.5 * float(np.sum(occ * np.append(occ, 0)[table].sum(axis=1)))
    return e
