"""The kra hop law (E_a = E_KRA + ΔE/2): the contract, detailed balance against exact enumeration,
exact incremental bookkeeping of its destination factors, and its zero-interaction limit."""

from itertools import combinations

import numpy as np
import pytest

from kmc.core import hopping as core
from kmc.lattices.base import mobile_shell
from kmc.lattices.cubic import CubicTestLattice
from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.model.ions import FieldModel, IonSystem
from kmc.plugins.boundary.closed import Closed
from kmc.plugins.boundary.solubility import SolubilityLimited
from kmc.plugins.hops.arrhenius import ArrheniusHop
from kmc.plugins.hops.kra import KraHop
from kmc.testing import check_hop_plugin, gate_and_relax
from kmc.units import K_B_EV


def ions_with(hop, lattice, occupancy=None, boundary=None, seed=1, temperature_k=300.0):
    return IonSystem(lattice, hop.build(lattice, temperature_k), (boundary or Closed()).build(lattice, temperature_k),
                     temperature_k, FieldModel(), seed, occupancy=occupancy)


@pytest.mark.parametrize("hop", [KraHop(), KraHop(nn_pair_ev=0.15, nn2_pair_ev=-0.03, co_site_ev=0.05)])
def test_kra_passes_the_contract_checker(hop):
    check_hop_plugin(hop)  # detailed balance of every sampled hop against energy_ev included


def test_kra_rates_give_the_exact_boltzmann_distribution_of_pair_counts():
    """Three ions on a periodic 3×3×3 simple cubic box with pair energies of several kT (V₁ = +0.06,
    V₂ = −0.04 eV at 300 K): the sampled (pairs, pairs₂) distribution is the exact one from all
    C(27, 3) arrangements."""
    lat = CubicTestLattice("sc", (3, 3, 3), 3.0, periodic_z=True).build(0)
    v1, v2, kt = 0.06, -0.04, K_B_EV * 300.0
    nbr, nbr2 = lat.hop_nbr, mobile_shell(lat, 2)
    g = np.zeros((4, 4))
    for sites in combinations(range(lat.n_sites), 3):
        s = set(sites)
        g[sum(1 for i in sites for j in nbr[i] if j in s) // 2, sum(1 for i in sites for j in nbr2[i] if j in s) // 2] += 1
    b1, b2 = np.meshgrid(np.arange(4), np.arange(4), indexing="ij")
    p_exact = g * np.exp(-(v1 * b1 + v2 * b2) / kt)
    p_exact /= p_exact.sum()
    occ = np.zeros(lat.n_sites, dtype=np.int8)
    occ[[0, 13, 26]] = 1
    ions = ions_with(KraHop(kra_barrier_ev=0.5, nn_pair_ev=v1, nn2_pair_ev=v2, co_site_ev=0.0), lat, occ, seed=8)
    hist = np.zeros((4, 4))
    tau = 1.0 / (1e13 * np.exp(-0.56 / kt))  # E_KRA + the largest |ΔE|/2 of three ions
    for _ in range(20000):
        ions.advance(ions.time_s + tau)
        on = ions.occ == 1
        hist[int(ions.nocc[on].sum()) // 2, int(ions.nocc2[on].sum()) // 2] += 1
    p = hist / hist.sum()
    assert np.allclose(p, p_exact, atol=0.02), (p, p_exact)
    assert np.abs(p_exact - g / g.sum()).max() > 0.1  # the energies matter here


def test_destination_factors_stay_exact_through_a_gated_run():
    """Hops, exits and entries with strong pair energies: every incrementally kept leaf equals a
    full rebuild (the ions next to each vacant site whose code changed were updated)."""
    lat = RocksaltFilm(thickness_nm=5.0, cells_xy=(2, 2)).build(1)
    hop = KraHop(kra_barrier_ev=0.75, nn_pair_ev=0.08, nn2_pair_ev=-0.02, co_site_ev=0.03)
    ions = ions_with(hop, lat, boundary=SolubilityLimited(solubility_per_nm2=200.0, escape_time_s=0.0), seed=9)
    c = gate_and_relax(ions)
    assert c["hops"] > 1000 and c["exits"] > 0 and c["entries"] > 0
    assert np.array_equal(ions.nocc2, np.append(ions.occ, 0)[ions.tables.shell2].sum(axis=1))
    tree = ions.tree.copy()
    core.rebuild_rates(ions.static, ions.x._replace(tree=tree))
    assert np.allclose(tree, ions.tree, rtol=1e-9, atol=0)


def test_without_interactions_kra_runs_the_arrhenius_trajectory():
    """V₁ = V₂ = w = 0: every destination factor is 1 and E_a = E_KRA, so the trajectory is the
    arrhenius law's with E_0 = E_KRA and no interactions, bit for bit (the destination path of
    the core picks the same hops)."""
    lat = RocksaltFilm(thickness_nm=3.0, cells_xy=(2, 2)).build(2)
    occ = (np.random.default_rng(3).random(lat.n_sites) < 0.7).astype(np.int8)
    runs = []
    for hop in (KraHop(kra_barrier_ev=0.7, nn_pair_ev=0.0, nn2_pair_ev=0.0, co_site_ev=0.0),
                ArrheniusHop(barrier_ev=0.7, nn_bond_ev=0.0, nn2_bond_ev=0.0, co_shift_ev=0.0)):
        ions = ions_with(hop, lat, occ, seed=4)
        ions.set_voltage(-5.0)
        ions.advance(np.inf, max_events=5000)
        runs.append((ions.occ.copy(), ions.disp.copy(), ions.time_s))
    assert runs[0][2] == runs[1][2]
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
