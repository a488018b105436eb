"""The KMC core against exact results: waiting times, vacancy diffusion, correlation factor,
biased walk, Boltzmann occupations, and its bookkeeping (conservation, incremental counts)."""

from itertools import combinations

import numpy as np
import pytest
from scipy import stats

from kmc.analysis import CORRELATION_FACTOR_VACANCY, correlation_factor
from kmc.core import hopping as core
from kmc.core import records
from kmc.model.ions import FieldModel
from kmc.lattices.cubic import CubicTestLattice
from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.plugins.boundary.solubility import SolubilityLimited
from kmc.units import K_B_EV
from kmc.testing import make_ions, single_vacancy

A = 3.0  # Å, cubic test lattice constant


def hop_rate(barrier_ev, temperature_k=300.0, nu0_hz=1e13):
    return nu0_hz * np.exp(-barrier_ev / (K_B_EV * temperature_k))


def test_waiting_times_are_exponential_with_mean_one_over_total_rate(sc_periodic):
    ions = make_ions(sc_periodic, occupancy=single_vacancy(sc_periodic.n_sites))
    total = 6 * hop_rate(0.5)  # six ions next to the vacancy, each at rate Γ
    assert np.isclose(ions.total_rate_hz(), total, rtol=1e-12)
    times = []
    for _ in range(20000):
        t0 = ions.time_s
        ions.advance(1e9, max_events=1)
        times.append(ions.time_s - t0)
    times = np.array(times)
    assert abs(times.mean() * total - 1) < 4 / np.sqrt(len(times))
    assert stats.kstest(times * total, "expon").pvalue > 1e-3


def test_single_vacancy_diffusion_coefficient_is_gamma_a_squared(sc_periodic):
    ions = make_ions(sc_periodic, occupancy=single_vacancy(sc_periodic.n_sites), seed=2)
    gamma = hop_rate(0.5)
    tau = 50 / (6 * gamma)  # ≈ 50 vacancy hops per window
    steps = []
    prev = np.zeros(3)
    for k in range(1, 3001):
        ions.advance(k * tau)
        vac = -ions.disp.sum(axis=0)  # the vacancy moves opposite to the ions it exchanges with
        steps.append(vac - prev)
        prev = vac
    steps = np.array(steps)
    d_measured = (steps ** 2).sum(axis=1).mean() / (6 * tau)
    assert d_measured == pytest.approx(gamma * A ** 2, rel=0.05)


@pytest.mark.slow
def test_tracer_correlation_factor_of_vacancy_mechanism_on_simple_cubic():
    lat = CubicTestLattice("sc", (8, 8, 8), A, periodic_z=True).build(0)
    f = []
    for seed in range(16):  # one trajectory's estimate is noisy: average independent ones
        ions = make_ions(lat, occupancy=single_vacancy(lat.n_sites), seed=seed)
        ions.advance(1e9, max_events=500_000)
        f.append(correlation_factor(ions.disp, ions.counters()["hops"], A))
    sem = np.std(f, ddof=1) / np.sqrt(len(f))
    assert sem < 0.01
    assert abs(np.mean(f) - CORRELATION_FACTOR_VACANCY["sc"]) < 3.5 * sem + 0.005


def test_uniform_field_gives_exact_biased_walk_drift_and_spread():
    lat = CubicTestLattice("sc", (4, 4, 400), A, periodic_z=False).build(0)
    rng = np.random.default_rng(0)
    occ = np.zeros(lat.n_sites, dtype=np.int8)
    middle = np.flatnonzero((lat.layer >= 100) & (lat.layer < 300))
    occ[rng.choice(middle, 100, replace=False)] = 1  # dilute: 100 ions in 6400 sites
    field = FieldModel(film_voltage_fraction=1.0, metal_resistance_ratio=1.0)
    ions = make_ions(lat, occupancy=occ, field=field, seed=4)
    ions.set_voltage(-1.0)
    e_z = -1.0 / ((lat.n_layers - 1) * A * 1e-10)  # V/m, uniform
    w = -3.0 * e_z * A * 1e-10 / (2 * K_B_EV * 300.0)  # half the work per hop over kT
    assert np.allclose(ions.gap_fields_v_per_m(), e_z)
    gamma = hop_rate(0.5)
    t = 400 / (6 * gamma)
    ions.advance(t)
    dz = ions.disp[:, 2]
    drift = A * gamma * 2 * np.sinh(w) * t
    spread = A ** 2 * gamma * 2 * np.cosh(w) * t
    assert abs(dz.mean() - drift) < 4 * np.sqrt(spread / len(dz)) + 0.03 * drift
    assert dz.var(ddof=1) == pytest.approx(spread, rel=0.3)
    assert drift > 10 * np.sqrt(spread / len(dz))  # the test can tell drift from none


def canonical_occupation(energies_by_class, multiplicity, n_ions, kt):
    """Exact canonical occupation probability per class for non-interacting ions with exclusion."""
    x = np.exp(-(np.asarray(energies_by_class) - min(energies_by_class)) / kt)
    poly = np.array([1.0])
    for xc, m in zip(x, multiplicity):
        for _ in range(m):
            poly = np.convolve(poly, [1.0, xc])
    out = []
    for c, xc in enumerate(x):
        rest = np.array([1.0])
        for c2, (x2, m2) in enumerate(zip(x, multiplicity)):
            for _ in range(m2 - (c2 == c)):
                rest = np.convolve(rest, [1.0, x2])
        out.append(xc * rest[n_ions - 1] / poly[n_ions])
    return np.array(out)


def test_site_energies_give_canonical_boltzmann_occupations():
    lat = RocksaltFilm(thickness_nm=2.0, cells_xy=(2, 2), co_fraction=0.5).build(5)
    t_k, delta = 600.0, -0.05  # E_i = -δ·(Co neighbours of i)
    occ = np.zeros(lat.n_sites, dtype=np.int8)
    occ[: lat.n_sites // 2] = 1
    ions = make_ions(lat, co_shift_ev=delta, temperature_k=t_k, occupancy=occ, seed=6)
    n_co = ions.tables.env_static
    classes = np.unique(n_co)
    mult = [int((n_co == c).sum()) for c in classes]
    expected = canonical_occupation(-delta * classes, mult, int(occ.sum()), K_B_EV * t_k)
    samples = np.zeros(len(classes))
    ions.advance(1e9, max_events=20000)
    n_snap = 4000
    tau = 200 / ions.total_rate_hz()
    for _ in range(n_snap):
        ions.advance(ions.time_s + tau)
        samples += [ions.occ[n_co == c].mean() for c in classes]
    measured = samples / n_snap
    assert np.allclose(measured, expected, atol=0.03), (measured, expected)
    assert expected[0] - expected[-1] > 0.3  # the energies matter at this temperature


@pytest.mark.parametrize("eps, eps2", [(0.04, 0.0), (-0.03, 0.04)])
def test_bond_energies_give_boltzmann_distribution_of_bond_count(eps, eps2):
    """Three ions on a periodic 3×3×3 simple cubic box, E = −ε·(first-shell pairs) −
    ε₂·(second-shell pairs): the sampled (pairs, pairs₂) distribution is the exact one from
    enumerating all C(27, 3) arrangements (ε₂ = 0: the first shell alone; ε < 0 < ε₂: the sign
    pattern of N in fcc iron, read through the core's second-shell bookkeeping)."""
    from kmc.lattices.base import mobile_shell

    lat = CubicTestLattice("sc", (3, 3, 3), A, periodic_z=True).build(0)
    t_k, n_ions = 300.0, 3
    kt = K_B_EV * t_k
    nbr, nbr2 = lat.hop_nbr, mobile_shell(lat, 2)
    g = np.zeros((4, 4))  # three sites have at most three pairs in either shell
    for sites in combinations(range(lat.n_sites), n_ions):
        s = set(sites)
        g[sum(1 for i in sites for j in nbr[i] if j in s) // 2, sum(1 for i in sites for j in nbr2[i] if j in s) // 2] += 1
    b1, b2 = np.meshgrid(np.arange(4), np.arange(4), indexing="ij")
    p_exact = g * np.exp((eps * b1 + eps2 * b2) / kt)
    p_exact /= p_exact.sum()
    occ = np.zeros(lat.n_sites, dtype=np.int8)
    occ[[0, 13, 26]] = 1
    ions = make_ions(lat, nn_bond_ev=eps, nn2_bond_ev=eps2, occupancy=occ, seed=8)
    hist = np.zeros((4, 4))
    tau = 1.0 / hop_rate(0.5 + max(eps, 0.0) + 2 * max(eps2, 0.0))
    for _ in range(20000):
        ions.advance(ions.time_s + tau)
        on = ions.occ == 1
        hist[int(ions.nocc[on].sum()) // 2, int(ions.nocc2[on].sum()) // 2] += 1
    p = hist / hist.sum()
    if not eps2:  # the law leaves the second shell out: nocc2 stays 0, compare the first shell's law
        p_exact = np.pad(p_exact.sum(axis=1, keepdims=True), ((0, 0), (0, 3)))
    assert np.allclose(p, p_exact, atol=0.02), (p, p_exact)
    if eps2:
        assert np.abs(p_exact.sum(axis=0) - (g.sum(axis=0) / g.sum())).max() > 0.1  # ε₂ matters here


@pytest.mark.parametrize("escape_time_s, eps2", [(0.0, 0.0), (60.0, 0.0), (0.0, 0.004)])
def test_bookkeeping_stays_exact_through_a_gated_run(escape_time_s, eps2):
    lat = RocksaltFilm(thickness_nm=5.0, cells_xy=(2, 2)).build(1)
    for seed in range(9, 20):  # the first seed whose 0 V stage has entries (all channels exercised)
        ions = make_ions(lat, barrier_ev=0.75, nn_bond_ev=0.012, co_shift_ev=-0.01, seed=seed, nn2_bond_ev=eps2,
                         boundary=SolubilityLimited(solubility_per_nm2=200.0, escape_time_s=escape_time_s))
        n0 = ions.n_ions
        ions.set_voltage(-25.0)
        ions.advance(30.0)
        ions.set_voltage(0.0)
        ions.advance(40.0)
        if ions.counters()["entries"] > 0:
            break
    c = ions.counters()
    assert c["exits"] > 0
    assert c["entries"] > 0 if escape_time_s == 0 else c["escapes"] > 0
    assert ions.n_film + ions.n_electrolyte == n0
    assert ions.n_electrolyte == c["exits"] - c["entries"]
    assert ions.n_electrolyte - ions.n_surface_electrolyte == c["escapes"]
    near = ions.electrolyte[: ions.n_surface_electrolyte]
    bulk = ions.electrolyte[len(ions.electrolyte) - c["escapes"]:]
    ids = np.concatenate([ions.ion_at[ions.ion_at >= 0], near, bulk])
    assert np.array_equal(np.sort(ids), np.arange(n0))  # every tracer exactly once
    assert np.array_equal(ions.occ == 1, ions.ion_at >= 0)
    nocc, nvac = np.zeros_like(ions.nocc), np.zeros_like(ions.nvac)
    records.count_neighbours(lat.hop_nbr, lat.hop_class, ions.occ, nocc, nvac)
    assert np.array_equal(nocc, ions.nocc) and np.array_equal(nvac, ions.nvac)
    if eps2:  # the second shell's counts too
        assert np.array_equal(ions.nocc2, np.append(ions.occ, 0)[ions.tables.shell2].sum(axis=1))
    else:
        assert not ions.nocc2.any()
    assert np.array_equal(ions.layer_n, np.bincount(lat.layer, weights=ions.occ, minlength=lat.n_layers))
    top = np.flatnonzero(lat.layer == lat.n_layers - 1)
    assert ions.cnt[core.CNT_TOP_OCC] == ions.occ[top].sum()
    assert np.array_equal(np.sort(ions.top_perm), top)
    assert ions.occ[ions.top_perm[: ions.cnt[core.CNT_TOP_OCC]]].all() and not ions.occ[ions.top_perm[ions.cnt[core.CNT_TOP_OCC]:]].any()
    assert np.array_equal(ions.top_pos[ions.top_perm], np.arange(len(top)))
    tree = ions.tree.copy()
    core.rebuild_rates(ions.static, ions.x._replace(tree=tree))
    assert np.allclose(tree, ions.tree, rtol=1e-9, atol=0)


def test_same_seed_same_trajectory_and_different_seed_differs(sc_periodic):
    def run(seed):
        occ = np.zeros(sc_periodic.n_sites, dtype=np.int8)
        occ[::3] = 1
        ions = make_ions(sc_periodic, nn_bond_ev=0.02, occupancy=occ, seed=seed)
        ions.advance(1e9, max_events=50000)
        return ions.occ.copy(), ions.time_s
    (a, ta), (b, tb), (c, _) = run(1), run(1), run(2)
    assert np.array_equal(a, b) and ta == tb
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("order", ["depth", "morton"])
def test_site_order_changes_the_random_stream_not_the_statistics(order):
    """Renumbered sites (depth-major or Morton): the same exact vacancy correlation factor of fcc."""
    from ase.build import bulk

    from kmc.lattices.base import lattice_from_atoms

    atoms = bulk("N", "fcc", a=A, cubic=True).repeat((4, 4, 4))
    lat = lattice_from_atoms(atoms, "N", order=order)
    pos = atoms.positions[lat.mobile]
    depth_major = np.all(np.diff(pos[:, 2]) >= -1e-6)
    assert depth_major == (order == "depth")  # the two orders really differ
    f = []
    for seed in range(8):
        ions = make_ions(lat, occupancy=single_vacancy(lat.n_sites), seed=seed)
        ions.advance(1e9, max_events=200_000)
        f.append(correlation_factor(ions.disp, ions.counters()["hops"], A / np.sqrt(2)))
    sem = np.std(f, ddof=1) / np.sqrt(len(f))
    assert abs(np.mean(f) - CORRELATION_FACTOR_VACANCY["fcc"]) < 3.5 * sem + 0.01, (np.mean(f), sem)


def test_direction_table_gives_the_exact_hop_vectors_and_classes():
    lat = RocksaltFilm(thickness_nm=2.0, cells_xy=(2, 2)).build(3)
    hop, dir_cls, dir_vec = records.direction_table(lat.hop_vec, lat.hop_class, lat.hop_nbr)
    real = lat.hop_nbr >= 0
    assert np.array_equal(dir_vec[hop][real].view(np.uint64), lat.hop_vec[real].view(np.uint64))
    assert np.array_equal(dir_cls[hop][real], lat.hop_class[real])


def test_event_loop_is_compiled_without_reference_counting(sc_periodic):
    """kmc.core.jit: the event loop and every function it calls hold no NRT incref/decref (an atomic
    add per array per inlined helper call, a quarter of an event's time). Compiled afresh, uncached,
    with run_chunk's own options: numba only shows the code of what it compiled in this process."""
    from numba import njit

    make_ions(sc_periodic, occupancy=single_vacancy(sc_periodic.n_sites)).advance(1e9, max_events=10)
    options = {k: v for k, v in core.run_chunk.targetoptions.items() if k != "cache"}
    assert options.get("_nrt") is False
    fresh = njit(**options)(core.run_chunk.py_func)
    fresh.compile(core.run_chunk.signatures[0])
    asm = "".join(fresh.inspect_asm().values())
    assert "run_chunk" in asm and "boundary_event" in asm
    assert "NRT_incref" not in asm and "NRT_decref" not in asm
