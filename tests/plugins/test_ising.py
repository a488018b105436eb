"""Ising kernel against exact results: single spin, 4×4 enumeration, Onsager T_c, detailed balance."""

import itertools

import numpy as np
import pytest
from numba import njit

from kmc.core import spins as core
from kmc.core.rng import new_state


def square_lattice(L):
    idx = np.arange(L * L).reshape(L, L)
    nbr = np.stack([np.roll(idx, s, a).ravel() for a in (0, 1) for s in (1, -1)], axis=1)
    return np.ascontiguousarray(nbr, dtype=np.int64)


@njit
def _measure(spins, active, nbr, jb, hz, kt, n_equil, n_meas, seq, rng, delta_e):
    """Per-sweep samples of m = Σs/N and E (exchange counted once per bond, + Zeeman)."""
    n = active.shape[0]
    core.sweep_ising(spins, active, nbr, jb, hz, kt, n_equil * n, rng, delta_e, seq)
    m = np.empty(n_meas)
    e = np.empty(n_meas)
    for k in range(n_meas):
        core.sweep_ising(spins, active, nbr, jb, hz, kt, n, rng, delta_e, seq)
        mm = 0.0
        ee = 0.0
        for i in range(n):
            mm += spins[i]
            ee -= hz[i] * spins[i]
            for q in range(nbr.shape[1]):
                ee -= 0.5 * jb[i, q] * spins[i] * spins[nbr[i, q]]
        m[k] = mm / n
        e[k] = ee
    return m, e


def test_single_spin_tanh():
    n = 40000  # independent spins (no bonds) = an ensemble of single spins
    nbr = core.padded_neighbours(np.full((n, 1), -1))
    jb = np.zeros((n, 1))
    kt = 0.025
    for h in (0.005, 0.02):
        spins = np.ones(n, dtype=np.int8)
        hz = np.full(n, h)
        rng = new_state(1)
        core.sweep_ising(spins, np.arange(n), nbr, jb, hz, kt, 20 * n, rng, core.ising_delta_e)
        # σ = sqrt(1 - tanh²)/sqrt(n) < 0.005; tolerance 4σ
        assert abs(spins.mean() - np.tanh(h / kt)) < 0.02


def _exact_4x4(j, h, kt):
    L = 4
    nbr = square_lattice(L)
    states = np.array(list(itertools.product((-1, 1), repeat=L * L)), dtype=np.float64)
    e = -j * 0.5 * (states[:, :, None] * states[:, nbr]).sum(axis=(1, 2)) - h * states.sum(axis=1)
    w = np.exp(-(e - e.min()) / kt)
    w /= w.sum()
    m = states.mean(axis=1)
    return (w * e).sum(), (w * m).sum(), (w * np.abs(m)).sum()


@pytest.mark.parametrize("sequential", [False, True])
def test_4x4_exact_enumeration(sequential):
    j, h, kt = 1.0, 0.1, 2.5
    e_ex, m_ex, am_ex = _exact_4x4(j, h, kt)
    nbr = square_lattice(4)
    jb = np.full(nbr.shape, j)
    hz = np.full(16, h)
    spins = np.ones(16, dtype=np.int8)
    m, e = _measure(spins, np.arange(16), nbr, jb, hz, kt, 1000, 400_000, sequential, new_state(3),
                    core.ising_delta_e)
    # ~4e5 sweeps with autocorrelation of a few sweeps: σ(E) ≈ 0.03, σ(m) ≈ 0.002
    assert abs(e.mean() - e_ex) < 0.15
    assert abs(m.mean() - m_ex) < 0.015
    assert abs(np.abs(m).mean() - am_ex) < 0.015


@njit
def _transitions(spins0, nbr, jb, hz, kt, n_trials, rng, delta_e):
    n = spins0.shape[0]
    counts = np.zeros((1 << n, 1 << n))
    active = np.arange(n)
    spins = spins0.copy()
    for a in range(1 << n):
        for _ in range(n_trials):
            for i in range(n):
                spins[i] = 1 if (a >> i) & 1 else -1
            core.sweep_ising(spins, active, nbr, jb, hz, kt, 1, rng, delta_e, False)
            b = 0
            for i in range(n):
                if spins[i] > 0:
                    b |= 1 << i
            counts[a, b] += 1
    return counts / n_trials


def test_detailed_balance_three_spins():
    nbr = np.array([[1, 2], [0, 2], [0, 1]], dtype=np.int64)
    jb = np.array([[0.8, -0.3], [0.8, 0.5], [-0.3, 0.5]])
    hz = np.array([0.2, -0.1, 0.4])
    kt = 1.0
    p = _transitions(np.ones(3, dtype=np.int8), nbr, jb, hz, kt, 100_000, new_state(5), core.ising_delta_e)
    s = np.array([[1 if (a >> i) & 1 else -1 for i in range(3)] for a in range(8)])
    e = np.array([-(jb[0, 0] * x[0] * x[1] + jb[0, 1] * x[0] * x[2] + jb[1, 1] * x[1] * x[2]) - hz @ x for x in s])
    pi = np.exp(-e / kt)
    pi /= pi.sum()
    for a in range(8):
        for i in range(3):
            b = a ^ (1 << i)
            exact = min(1.0, np.exp(-(e[b] - e[a]) / kt)) / 3.0
            assert abs(p[a, b] - exact) < 0.006  # σ ≤ 0.0015
            assert abs(pi[a] * p[a, b] - pi[b] * p[b, a]) < 0.006 * max(pi[a], pi[b])
    assert np.allclose(p.sum(axis=1), 1.0)


def test_accept_probability():
    rng = new_state(11)
    for x in (-1.0, 0.2, 0.7, 3.0):
        hits = sum(core.accept(x, rng) for _ in range(100_000))
        assert abs(hits / 100_000 - min(1.0, np.exp(-x))) < 0.006


def _binder(L, kt, n_sweeps, seed):
    nbr = square_lattice(L)
    jb = np.ones(nbr.shape)
    spins = np.ones(L * L, dtype=np.int8)
    m, _ = _measure(spins, np.arange(L * L), nbr, jb, np.zeros(L * L), kt, 2000, n_sweeps, True,
                    new_state(seed), core.ising_delta_e)
    return 1.0 - (m ** 4).mean() / (3.0 * (m ** 2).mean() ** 2)


@pytest.mark.slow
def test_onsager_tc_from_binder_crossing():
    """U_L(T) for L = 8 and 16 cross near T_c = 2/ln(1+√2) = 2.269 J (Onsager); tolerance 2 %."""
    temps = np.array([2.15, 2.23, 2.31, 2.39])
    d = np.array([_binder(16, t, 60_000, 7) - _binder(8, t, 60_000, 8) for t in temps])
    assert d[0] > 0 > d[-1]  # ordered side: larger L has larger U
    k = int(np.flatnonzero(np.diff(np.sign(d)) != 0)[0])
    tc = temps[k] - d[k] * (temps[k + 1] - temps[k]) / (d[k + 1] - d[k])
    assert abs(tc - 2.0 / np.log(1 + np.sqrt(2))) < 0.02 * 2.269
