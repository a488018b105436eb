"""Classical Heisenberg kernel against exact results: Langevin, anisotropy, coupled pair."""

import numpy as np
import pytest

from kmc.core import spins as core
from kmc.core.rng import new_state

AXIS = np.array([1.0, 0.0, 0.0])


def _free_spins(n, seed):
    spins = np.zeros((n, 3))
    core.randomize_vector(spins, np.arange(n), new_state(seed))
    return spins


def langevin(x):
    return 1.0 / np.tanh(x) - 1.0 / x


@pytest.mark.parametrize("step", [0.0, 0.5])
def test_single_spin_langevin(step):
    n = 30000  # independent spins = an ensemble of single spins
    nbr = core.padded_neighbours(np.full((n, 1), -1))
    jb = np.zeros((n, 1))
    kt = 0.025
    for x in (0.5, 3.0):
        spins = _free_spins(n, 2)
        hz = np.full(n, x * kt)
        core.sweep_vector(spins, np.arange(n), nbr, jb, hz, np.zeros(n), AXIS, step, kt, 200 * n,
                          new_state(4), core.heisenberg_delta_e)
        assert np.allclose(np.linalg.norm(spins, axis=1), 1.0)
        # σ of the mean < 0.6/sqrt(n) = 0.0035; tolerance ~5σ
        assert abs((spins @ AXIS).mean() - langevin(x)) < 0.018


def test_uniaxial_anisotropy():
    n, kt, k = 30000, 0.025, 0.05  # K/kT = 2
    nbr = core.padded_neighbours(np.full((n, 1), -1))
    spins = _free_spins(n, 3)
    core.sweep_vector(spins, np.arange(n), nbr, np.zeros((n, 1)), np.zeros(n), np.full(n, k), AXIS, 0.5, kt,
                      200 * n, new_state(6), core.heisenberg_delta_e)
    c = np.linspace(-1, 1, 20001)
    w = np.exp(k * c ** 2 / kt)
    exact = np.trapezoid(c ** 2 * w, c) / np.trapezoid(w, c)
    assert abs(((spins @ AXIS) ** 2).mean() - exact) < 0.01


@pytest.mark.parametrize("sequential", [False, True])
def test_coupled_pair_stationary(sequential):
    """Pairs of coupled spins: c = s1·s2 has density ∝ exp(J c/kT) on [-1, 1], so ⟨c⟩ = L(J/kT)."""
    pairs, j, kt = 15000, 0.05, 0.025
    n = 2 * pairs
    idx = np.arange(n)
    nbr = (idx ^ 1)[:, None].astype(np.int64)
    spins = _free_spins(n, 8)
    core.sweep_vector(spins, idx, nbr, np.full((n, 1), j), np.zeros(n), np.zeros(n), AXIS, 0.5, kt, 300 * n,
                      new_state(9), core.heisenberg_delta_e, sequential)
    c = (spins[0::2] * spins[1::2]).sum(axis=1)
    assert abs(c.mean() - langevin(j / kt)) < 0.02  # σ ≈ 0.004
    # and the whole distribution: fraction with c > 0 is (e^{x} - 1)/(e^{x} - e^{-x})
    x = j / kt
    assert abs((c > 0).mean() - (np.exp(x) - 1) / (np.exp(x) - np.exp(-x))) < 0.02


def test_proposal_is_symmetric_in_angle():
    """The trial direction's angle to s is distributed the same whatever s is."""
    rng = new_state(12)
    new = np.empty(3)
    out = []
    for s in (np.array([[1.0, 0, 0]]), np.array([[0.0, 0.6, 0.8]])):
        cos = np.empty(40000)
        for k in range(cos.size):
            core._propose(0, s, 0.5, rng, new)
            cos[k] = new @ s[0]
        out.append(np.sort(cos))
    assert np.abs(out[0] - out[1]).max() < 0.01
