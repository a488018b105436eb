"""The metal-centred N energy E = Σ_m g(n_m) (kmc.core.metal_counts): the core samples its exact
Boltzmann distribution, keeps the metals' counts and every rate exact through gated runs with a
coupled surface, and the hop plug-in's table is the formation energies it says it is."""

import re
from itertools import combinations

import numpy as np
import pytest

from kmc.core import hopping as core
from kmc.core.metal_counts import count_metal_n
from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.plugins.boundary.solubility import SolubilityLimited
from kmc.plugins.hops import metal_energy
from kmc.plugins.hops.arrhenius import ArrheniusHop
from kmc.testing import check_hop_plugin, gate_and_relax, make_ions
from kmc.units import K_B_EV


def metal_counts_of(lat, occ):
    return count_metal_n(lat.host_mobile_nbr, occ)


def test_three_ions_sample_the_exact_boltzmann_distribution_of_a_metal_centred_energy():
    """Three ions in a closed 2 nm (Co,Fe)N film (80 sites, 2×2 cells), no pair or Co energy, only
    E = Σ_m g_{species(m)}(n_m) with metals sharing two or three ions bound, differently for Co and
    Fe: the sampled distribution of E is the exact one from all C(80, 3) arrangements."""
    lat = RocksaltFilm(thickness_nm=2.0, cells_xy=(2, 2)).build(0)
    t_k = 600.0
    kt = K_B_EV * t_k
    g = np.zeros((2, 7))  # rows Co, Fe (lattice.host_symbols)
    assert lat.host_symbols == ("Co", "Fe")
    g[0, 2], g[0, 3] = -0.03, -0.10
    g[1, 2], g[1, 3] = -0.06, -0.14
    trip = np.array(list(combinations(range(lat.n_sites), 3)))
    occ_all = np.zeros((len(trip), lat.n_sites + 1), dtype=np.int64)
    np.put_along_axis(occ_all, trip, 1, axis=1)
    n_m = occ_all[:, lat.host_mobile_nbr].sum(axis=2)
    e_all = np.round(g[lat.host_species, n_m].sum(axis=1), 9)  # g(0) = g(1) = 0
    levels, inverse = np.unique(e_all, return_inverse=True)
    w = np.bincount(inverse) * np.exp(-levels / kt)
    p_exact = w / w.sum()

    occ = np.zeros(lat.n_sites, dtype=np.int8)
    occ[[0, 40, 79]] = 1
    ions = make_ions(lat, barrier_ev=0.6, temperature_k=t_k, occupancy=occ, seed=3, metal_energy_ev=g)
    tau = 3.0 / (1e13 * np.exp(-0.6 / kt))
    hist = np.zeros(len(levels))
    for _ in range(20000):
        ions.advance(ions.time_s + tau)
        e = round(float(g[lat.host_species, metal_counts_of(lat, ions.occ)].sum()), 9)
        hist[np.searchsorted(levels, e)] += 1
    p = hist / hist.sum()
    assert np.abs(p - p_exact).max() < 0.02, (p, p_exact)
    p_free = np.bincount(inverse) / len(trip)
    assert np.abs(p_free - p_exact).max() > 0.1  # the energy matters at this temperature
    assert np.array_equal(ions.metal_n, metal_counts_of(lat, ions.occ))


@pytest.mark.parametrize("coupled", [False, True])
def test_metal_counts_and_every_rate_stay_exact_through_a_gated_run(coupled):
    lat = RocksaltFilm(thickness_nm=4.0, cells_xy=(2, 2)).build(1)
    g = metal_energy.formation_mixing_table(lat.host_symbols, 6, 6)
    for seed in range(3, 12):
        ions = make_ions(lat, barrier_ev=0.8, nn_bond_ev=-0.012, nn2_bond_ev=0.006, co_shift_ev=-0.01, seed=seed,
                         metal_energy_ev=g, boundary=SolubilityLimited(solubility_per_nm2=200.0, escape_time_s=0.0,
                                                                       site_energy_coupling=coupled))
        n0 = ions.n_ions
        gate_and_relax(ions, gate_s=30.0, relax_s=40.0)
        if ions.counters()["entries"] > 0:
            break
    c = ions.counters()
    assert c["exits"] > 0 and c["entries"] > 0
    assert ions.n_film + ions.n_electrolyte == n0
    assert np.array_equal(ions.metal_n, metal_counts_of(lat, ions.occ))
    tree = ions.tree.copy()
    core.rebuild_rates(ions.static, ions.x._replace(tree=tree))
    assert np.allclose(tree, ions.tree, rtol=1e-9, atol=0)
    # a checkpoint reload recomputes the counts from the occupancy and continues the same trajectory
    state = ions.state()
    ions.advance(ions.time_s + 5.0)
    again = make_ions(lat, barrier_ev=0.8, nn_bond_ev=-0.012, nn2_bond_ev=0.006, co_shift_ev=-0.01, seed=seed,
                      metal_energy_ev=g, boundary=SolubilityLimited(solubility_per_nm2=200.0, escape_time_s=0.0,
                                                                    site_energy_coupling=coupled))
    again.load_state(state)
    again.advance(ions.time_s)
    assert np.array_equal(again.occ, ions.occ) and again.events == ions.events


def test_arrhenius_with_the_formation_hull_passes_the_contract_and_detailed_balance_checks():
    check_hop_plugin(ArrheniusHop(metal_energy="formation_hull", barrier_ev=0.8))


def test_formation_hull_table_is_the_nitrides_formation_energies_less_the_metal_to_xn_line():
    """Δ_X(n) from the bundled table: 0 at n = 0 and 6, X₃N at n = 2 and X₂N at n = 3 as formation
    energy per metal minus the straight line from X to XN; and the module's docstring quotes these."""
    from kmc.data import formation_energies

    e = {x["formula"]: x["energy_ev_per_atom"] for x in formation_energies()["entries"]}
    table = metal_energy.formation_mixing_table(("Co", "Fe"), 6, 6)
    for row, x in enumerate(("Co", "Fe")):
        full = 2 * e[f"{x}N"]
        assert table[row, 0] == 0 and abs(table[row, 6]) < 1e-15
        assert table[row, 2] == pytest.approx(4 / 3 * e[f"{x}3N"] - full * 2 / 6)
        assert table[row, 3] == pytest.approx(1.5 * e[f"{x}2N"] - full * 3 / 6)
        assert table[row, 4] == pytest.approx((2 * table[row, 3] + table[row, 6]) / 3)
    doc = metal_energy.__doc__
    for x, row in (("Fe", 1), ("Co", 0)):
        quoted = re.search(rf"{x}: n = 2: ([−+]\d\.\d+), n = 3: ([−+]\d\.\d+)", doc).groups()
        assert [float(q.replace("−", "-")) for q in quoted] == [round(table[row, 2], 3), round(table[row, 3], 3)]


def test_bad_metal_energy_is_refused():
    lat = RocksaltFilm(thickness_nm=2.0, cells_xy=(2, 2)).build(0)
    with pytest.raises(ValueError, match="metal_energy must be"):
        ArrheniusHop(metal_energy="hull")
    with pytest.raises(ValueError, match="finite"):
        make_ions(lat, metal_energy_ev=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="finite"):
        make_ions(lat, metal_energy_ev=np.full((2, 7), np.nan))
