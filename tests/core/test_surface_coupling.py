"""Exits and entries coupled to the site energy (kmc.core.surface): a film in contact with its
electrolyte reaches the exact equilibrium of film + electrolyte, which the uncoupled surface
misses once N–N interactions matter; the coupled trajectory keeps every total exact."""

import numpy as np
import pytest

from kmc.core import hopping as core
from kmc.core.sumtree import leaf_get
from kmc.core.surface import site_weights
from kmc.lattices.cubic import CubicTestLattice
from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.model.ions import FieldModel, IonSystem
from kmc.plugins.boundary.solubility import SolubilityLimited
from kmc.plugins.hops.arrhenius import ArrheniusHop
from kmc.plugins.hops.kra import KraHop
from kmc.testing import gate_and_relax
from kmc.units import K_B_EV

T_K = 300.0
N_TOTAL = 12


def boundary(coupled: bool) -> SolubilityLimited:
    """Rates independent of time (no overshoot, no escape, 0 V), capacity ~8 ions on the 0.81 nm² film."""
    return SolubilityLimited(barrier_ev=0.5, solvation_ev=0.0, solubility_per_nm2=10.0, reversal_fraction=0.0,
                             escape_time_s=0.0, site_energy_coupling=coupled)


def exact_distribution(lat, pair_ev: float, n_sat: float) -> np.ndarray:
    """P(N in the film, first-shell pairs) of film + electrolyte (N_TOTAL ions, n_el = N_TOTAL − N_film)
    from all 2^n film occupancies: exp(−pair_ev·pairs/kT) times the electrolyte's weight, whose ratio
    R(n+1)/R(n) = k_out(n)/k_in(n+1) for G = 0 is (1 − n/n_sat)/min(1, (n+1)/n_sat)."""
    n = lat.n_sites
    occ = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
    bonds = [(i, j) for i in range(n) for j in lat.hop_nbr[i] if j > i]
    pairs = sum(occ[:, i] * occ[:, j] for i, j in bonds)
    n_film = occ.sum(axis=1)
    r = np.ones(N_TOTAL + 1)
    for k in range(N_TOTAL):
        r[k + 1] = r[k] * max(0.0, 1.0 - k / n_sat) / min(1.0, (k + 1) / n_sat)
    n_el = N_TOTAL - n_film
    w = np.where(n_el >= 0, r[np.clip(n_el, 0, N_TOTAL)], 0.0) * np.exp(-pair_ev * pairs / (K_B_EV * T_K))
    p = np.zeros((n + 1, len(bonds) + 1))
    np.add.at(p, (n_film, pairs), w)
    return p / p.sum()


def sampled_distribution(lat, hop, coupled: bool, shape, samples: int = 20000) -> np.ndarray:
    occ = np.zeros(lat.n_sites, dtype=np.int8)
    occ[:N_TOTAL] = 1  # the bottom layer and 3 top sites: N_TOTAL ions in the film, none released
    ions = IonSystem(lat, hop.build(lat, T_K), boundary(coupled).build(lat, T_K), T_K, FieldModel(), 5,
                     occupancy=occ)
    tau = 1.0 / (1e13 * np.exp(-0.55 / (K_B_EV * T_K)))
    hist = np.zeros(shape)
    for _ in range(samples):
        ions.advance(ions.time_s + tau)
        on = ions.occ == 1
        hist[int(on.sum()), int(ions.nocc[on].sum()) // 2] += 1
    assert ions.n_film + ions.n_electrolyte == N_TOTAL
    return hist / hist.sum()


@pytest.mark.parametrize("law", ["arrhenius", "kra"])
def test_coupled_surface_gives_the_exact_equilibrium_of_film_and_electrolyte(law):
    """A periodic 3×3 simple-cubic film two layers thick (18 sites, 9 at the surface) exchanging N
    with a solubility-limited electrolyte, N–N repulsion of 2 kT (0.05 eV) per pair: the sampled
    distribution of (N in the film, pairs) is the exact one (all 2^18 film states enumerated) when
    exits and entries are coupled to the site energy, and clearly not when they are not."""
    lat = CubicTestLattice("sc", (3, 3, 2), 3.0).build(0)
    v1 = 0.05
    hop = ArrheniusHop(barrier_ev=0.5, nn_bond_ev=-v1, nn2_bond_ev=0.0, co_shift_ev=0.0) if law == "arrhenius" else \
        KraHop(kra_barrier_ev=0.5, nn_pair_ev=v1, nn2_pair_ev=0.0, co_site_ev=0.0)
    p_exact = exact_distribution(lat, v1, boundary(True).build(lat, T_K).n_sat)
    p = sampled_distribution(lat, hop, True, p_exact.shape)
    assert np.abs(p - p_exact).max() < 0.02, np.abs(p - p_exact).max()
    p_uncoupled = sampled_distribution(lat, hop, False, p_exact.shape, samples=5000)
    assert np.abs(p_uncoupled - p_exact).max() > 0.05  # the test can tell


def test_site_weights_are_the_hop_laws_factors_relative_to_an_isolated_site():
    base = np.array([2.0, 8.0, 0.5])
    w_out, w_in, unit = site_weights(base, np.array([1.0, 0.5, 2.0]), n_top=100)
    assert np.allclose(w_out * unit[0], [1.0, 4.0, 0.25], rtol=1e-12)
    assert np.allclose(w_in * unit[1], [1.0, 0.5, 2.0], rtol=1e-12)
    assert 100 * int(w_out.max()) < 2 ** 62 and 100 * int(w_in.max()) < 2 ** 62  # a whole layer's sum fits
    w_out, w_in, unit = site_weights(base, None, n_top=7)
    assert np.all(w_in == w_in[0]) and np.isclose(w_in[0] * unit[1], 1.0)
    with pytest.raises(ValueError, match="isolated site"):
        site_weights(np.array([0.0, 1.0]), None, n_top=7)


def test_coupled_surface_keeps_every_total_exact_through_a_gated_run():
    """Hops, exits and entries on a rocksalt film with the coupled surface: the exit and entry leaves
    equal a full rebuild's, N is conserved, and coupling with no interactions changes nothing."""
    lat = RocksaltFilm(thickness_nm=5.0, cells_xy=(2, 2)).build(1)
    hop = ArrheniusHop(barrier_ev=0.75, nn_bond_ev=-0.02, nn2_bond_ev=0.006, co_shift_ev=-0.01)
    bnd = SolubilityLimited(solubility_per_nm2=200.0, escape_time_s=0.0, site_energy_coupling=True)
    ions = IonSystem(lat, hop.build(lat, T_K), bnd.build(lat, T_K), T_K, FieldModel(), 9)
    c = gate_and_relax(ions)
    assert c["exits"] > 0 and c["entries"] > 0
    tree = ions.tree.copy()
    core.rebuild_rates(ions.static, ions.x._replace(tree=tree))
    n = lat.n_sites  # the exit and entry leaves: integer weight sums, exact however they were reached
    assert [leaf_get(tree, n + 1), leaf_get(tree, n + 2)] == [leaf_get(ions.tree, n + 1), leaf_get(ions.tree, n + 2)]
    assert np.allclose(tree, ions.tree, rtol=1e-9, atol=0)

    def run(coupled):
        b = SolubilityLimited(solubility_per_nm2=200.0, escape_time_s=0.0, site_energy_coupling=coupled)
        free = ArrheniusHop(barrier_ev=0.75, nn_bond_ev=0.0, nn2_bond_ev=0.0, co_shift_ev=0.0)
        x = IonSystem(lat, free.build(lat, T_K), b.build(lat, T_K), T_K, FieldModel(), 9)
        x.set_voltage(-25.0)
        x.advance(20.0)
        return x.occ.copy(), x.counters()
    (occ_a, c_a), (occ_b, c_b) = run(False), run(True)
    assert c_a["exits"] > 0 and c_a == c_b and np.array_equal(occ_a, occ_b)


def test_site_energy_coupling_must_be_a_bool():
    with pytest.raises(ValueError, match="true or false"):
        SolubilityLimited(site_energy_coupling="yes")
