"""Néel–Brown reversal of clusters against its exact two-state solution."""

import numpy as np
import pytest

from kmc.core.reversal import barrier_ev, flip_probability, reverse_clusters
from kmc.core.rng import new_state
from kmc.units import MU_B_EV_PER_T

KT = 0.025852  # eV, 300 K
F0 = 1e9  # Hz


def clusters(n, size=1):
    members = np.arange(n * size, dtype=np.int64)
    ptr = np.arange(0, n * size + 1, size, dtype=np.int64)
    return members, ptr, np.zeros(n, dtype=np.bool_)


@pytest.mark.parametrize("ising", [True, False])
@pytest.mark.parametrize("x", [1.0, 3.5, 6.0])  # E_B / kT: rates over two decades (e^5 ≈ 150)
def test_zero_field_relaxation_is_exp_minus_2kt(x, ising):
    """All clusters start along +e; <σ>(t) = exp(−2 k t), k = f0 exp(−E_B/kT), at every sampled time."""
    n, size = 20000, 2
    members, ptr, wraps = clusters(n, size)
    k_site = np.full(n * size, x * KT / size)  # E_K of a cluster = E_B at zero field
    mu = np.full(n * size, 2.0)
    axis = np.array([1.0, 0.0, 0.0])
    spins = np.ones(n * size, dtype=np.int8) if ising else np.tile(axis, (n * size, 1))
    rate = F0 * np.exp(-x)
    dt = 0.15 / rate
    rng = new_state(7)
    for step in range(1, 21):
        reverse_clusters(spins, members, ptr, wraps, mu, k_site, axis, 0.0, KT, F0, dt, rng, MU_B_EV_PER_T)
        proj = spins[::size].astype(float) if ising else spins[::size, 0]
        assert np.allclose(np.abs(proj), 1.0)
        exact = np.exp(-2 * rate * step * dt)
        assert abs(proj.mean() - exact) < 4.5 / np.sqrt(n), (step, proj.mean(), exact)


def test_field_gives_boltzmann_ratio_between_the_minima():
    """Long times in a field below the anisotropy field: P(+)/P(−) = exp(2 m B / kT) (detailed balance)."""
    n = 40000
    members, ptr, wraps = clusters(n)
    e_k = 3.0 * KT
    field_t = 0.2 * KT / (2.0 * MU_B_EV_PER_T)  # Z = m B with m = 2 μB: 2Z/kT = 0.4
    z = 2.0 * MU_B_EV_PER_T * field_t
    assert abs(z / (2 * e_k)) < 1
    spins = np.where(np.arange(n) % 2 == 0, 1, -1).astype(np.int8)
    rng = new_state(3)
    k_slow = F0 * np.exp(-barrier_ev(e_k, z, 1.0) / KT)
    for _ in range(10):
        reverse_clusters(spins, members, ptr, wraps, np.full(n, 2.0), np.full(n, e_k), np.array([1.0, 0, 0]),
                         field_t, KT, F0, 5.0 / k_slow, rng, MU_B_EV_PER_T)
    p_up = (spins > 0).mean()
    expected = 1.0 / (1.0 + np.exp(-2 * z / KT))
    assert abs(p_up - expected) < 4 * np.sqrt(expected * (1 - expected) / n), (p_up, expected)


def test_barriers_are_stoner_wohlfarth_and_spanning_clusters_follow_only_strong_fields():
    assert barrier_ev(1.0, 0.0, 1.0) == barrier_ev(1.0, 0.0, -1.0) == 1.0
    assert barrier_ev(1.0, 0.5, 1.0) == pytest.approx(1.5625) and barrier_ev(1.0, 0.5, -1.0) == pytest.approx(0.5625)
    assert barrier_ev(1.0, 3.0, -1.0) == 0.0 and barrier_ev(1.0, 3.0, 1.0) == np.inf  # beyond the anisotropy field
    assert flip_probability(0.0, 5.0, 1.0) == 0.0
    assert flip_probability(2.0, 2.0, 1e9) == pytest.approx(0.5)
    members, ptr, wraps = clusters(2)
    wraps[:] = True
    spins = np.array([-1, -1], dtype=np.int8)
    rng = new_state(1)
    args = (members, ptr, wraps, np.full(2, 2.0), np.full(2, 1e-3), np.array([1.0, 0, 0]))
    reverse_clusters(spins, *args, 0.0, KT, F0, 1e6, rng, MU_B_EV_PER_T)
    assert (spins == -1).all()  # a layer spanning the cell keeps its direction at zero field, for ever
    reverse_clusters(spins, *args, 20.0, KT, F0, 1e-6, rng, MU_B_EV_PER_T)
    assert (spins == 1).all()  # ... and follows a field above its anisotropy field (2 K / M)


def test_an_isolated_cluster_in_a_film_forgets_its_direction_at_zero_field():
    """Wiring: a metal site stripped of its N neighbours in a nitride film is a one-site cluster with
    E_B = K ≪ kT: after a long interval at zero field it points either way with probability 1/2."""
    from kmc.config import load
    from kmc.engine.simulation import Simulation

    sim = Simulation(load("quick", {"lattice.thickness_nm": 6.0, "lattice.cells_xy": [4, 4]}), seed=3)
    magnet = sim.processes[0]
    site = len(magnet.hmnbr) // 2
    occ = sim.ions.occ.copy()
    occ[magnet.hmnbr[site][magnet.hmnbr[site] >= 0]] = 0
    magnet.update_phases(occ)
    assert len(magnet.ptr) - 1 >= 1 and not magnet.wraps[: len(magnet.ptr) - 1].any()
    assert site in magnet.active
    magnet.set_field(0.0)
    ups = []
    for _ in range(2000):
        magnet.spins[magnet.active] = magnet.axis
        magnet.reverse(1.0)
        ups.append(magnet.spins[site] @ magnet.axis > 0)
    assert abs(np.mean(ups) - 0.5) < 4 * np.sqrt(0.25 / len(ups))
    magnet.spins[magnet.active] = magnet.axis
    assert magnet.reverse(1e-15) == 0  # far shorter than 1/f0: nothing moves


@pytest.mark.parametrize("x", [0.5, 5.0, 50.0])
def test_mean_reversal_time_is_arrhenius_over_two_decades_of_barrier(x):
    """Isolated clusters at zero field, E_B/kT from 0.5 to 50: the mean time to the first reversal,
    stepping the sampler in intervals dt = τ/100, is f₀⁻¹·exp(E_B/kT) within its statistical error
    (plus the known O(dt) lag of observing at interval ends)."""
    n, size = 4000, 4
    members, ptr, wraps = clusters(n, size)
    tau = np.exp(x) / F0
    dt = tau / 100
    spins = np.ones(n * size, dtype=np.int8)
    k_site = np.full(n * size, x * KT / size)  # E_K = Σ K_i = x kT per cluster
    first = np.full(n, np.nan)
    rng = new_state(11)
    step = 0
    while np.isnan(first).any():
        step += 1
        reverse_clusters(spins, members, ptr, wraps, np.ones(n * size), k_site, np.array([1.0, 0.0, 0.0]),
                         0.0, KT, F0, dt, rng, MU_B_EV_PER_T)
        flipped = np.isnan(first) & (spins[ptr[:-1]] < 0)
        first[flipped] = step * dt
    p = 0.5 * -np.expm1(-2 * dt / tau)  # exact per-interval probability of leaving the initial state
    assert first.mean() == pytest.approx(dt / p, rel=4 / np.sqrt(n))  # geometric waiting time, σ/μ ≈ 1/√n
    assert dt / p == pytest.approx(tau, rel=0.011)  # = f₀⁻¹ exp(E_B/kT) up to the O(dt/τ) lag
