"""A cluster spanning the cell keeps its anisotropy minimum through the sweeps (kmc.core.layer_orientation).

Exact: the rotation and the reversal leave every pair angle (hence the exchange energy) of the
layer unchanged, put its net moment on σe and leave finite clusters alone. Statistical: on a thin
slab spanning a small cell at zero field the sweeps alone let the net moment wander over the
sphere (half the time against its start), while held it stays in its minimum with the size the
free sweeps give it: only the zero mode is removed."""

import numpy as np
import pytest

from kmc.core.layer_orientation import hold_layers, layer_signs, rotation_onto
from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.model.magnet import Magnet, MagnetParams
from kmc.plugins.exchange.heisenberg import Heisenberg
from kmc.plugins.phases.coordination import CoordinationPhases
from kmc.units import MU_B_EV_PER_T

AXIS = np.array([0.0, 0.0, 1.0])


def _unit(rng, n):
    v = rng.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1)[:, None]


def test_rotation_turns_a_onto_b_and_is_proper():
    rng = np.random.default_rng(3)
    pairs = [tuple(_unit(rng, 2)) for _ in range(20)] + [(AXIS, -AXIS), (np.array([1.0, 0, 0]), np.array([-1.0, 0, 0]))]
    for a, b in pairs:
        r = rotation_onto(a, b)
        assert np.allclose(r @ a, b, atol=1e-12)
        assert np.allclose(r @ r.T, np.eye(3), atol=1e-12) and np.linalg.det(r) == pytest.approx(1.0)


def test_holding_keeps_every_pair_angle_and_puts_the_moment_on_its_minimum():
    rng = np.random.default_rng(4)
    spins = _unit(rng, 12)
    before = spins.copy()
    members, ptr = np.arange(12), np.array([0, 8, 12])
    wraps, mu = np.array([True, False]), rng.uniform(0.5, 2.5, 12)
    sigma = layer_signs(spins, members, ptr, wraps, mu, np.full(12, 1e-6), AXIS, 0.0, MU_B_EV_PER_T)
    assert sigma[1] == 0 and sigma[0] == np.sign(mu[:8] @ spins[:8, 2])
    sigma[0] = -sigma[0]  # as if the sweeps had carried it across the hard plane
    assert hold_layers(spins, members, ptr, mu, AXIS, sigma) == 1
    layer = slice(0, 8)
    assert np.allclose(spins[layer] @ spins[layer].T, before[layer] @ before[layer].T, atol=1e-12)
    m = mu[layer] @ spins[layer]
    assert np.allclose(m / np.linalg.norm(m), sigma[0] * AXIS, atol=1e-12)
    assert np.linalg.norm(m) == pytest.approx(np.linalg.norm(mu[layer] @ before[layer]))
    assert np.array_equal(spins[8:], before[8:])  # a finite cluster is left to Néel–Brown
    clock = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, -1.0, 0], [1.0, 0, 0]])  # q = 4 states about e = x
    x = np.array([1.0, 0, 0])
    assert hold_layers(clock, np.arange(4), np.array([0, 4]), np.ones(4), x, np.array([-1], dtype=np.int8),
                       False) == 1  # not rotatable: mirrored through the plane normal to e
    assert clock.tolist() == [[-1.0, 0, 0], [0, 1.0, 0], [0, -1.0, 0], [-1.0, 0, 0]]
    assert hold_layers(clock, np.arange(4), np.array([0, 4]), np.ones(4), x, np.array([-1], dtype=np.int8),
                       False) == 0  # already in its minimum
    ising = np.array([1, -1, 1, 1, -1], dtype=np.int8)
    sig = layer_signs(ising, np.arange(5), np.array([0, 5]), np.array([True]), np.ones(5), np.full(5, 1e-6), AXIS,
                      0.0, MU_B_EV_PER_T)
    assert sig[0] == 1
    h_k_t = 2e-6 / MU_B_EV_PER_T  # anisotropy field of these sites (T): above it only the field's minimum is left
    for field_t, expected in ((-0.9 * h_k_t, 1), (-1.1 * h_k_t, -1)):
        assert layer_signs(ising, np.arange(5), np.array([0, 5]), np.array([True]), np.ones(5), np.full(5, 1e-6),
                           AXIS, field_t, MU_B_EV_PER_T)[0] == expected
    hold_layers(ising, np.arange(5), np.array([0, 5]), np.ones(5), AXIS, -sig)
    assert ising.tolist() == [-1, 1, -1, -1, 1]


def _slab_history(mode, couplings=300):
    film = RocksaltFilm(thickness_nm=3.0, cells_xy=(2, 2)).build(2)
    phases = CoordinationPhases().build(film)
    mg = Magnet(film, phases, Heisenberg().build(film, phases, 300.0), MagnetParams(spanning_orientation=mode),
                300.0, 5)
    occ = np.ones(film.n_sites, dtype=np.int8)
    occ[film.layer < 2] = 0  # a thin metallic slab at the electrode, periodic in x and y
    mg.update_phases(occ)
    assert mg.wraps.all()
    mg.spins[mg.active] = mg.axis
    along, size = [], []
    for _ in range(couplings):
        mg.relax(20)
        mg.reverse(10.0)
        m = mg.mu[mg.active] @ mg.spins[mg.active]
        along.append(m @ mg.axis / mg.mu.sum())
        size.append(np.linalg.norm(m) / mg.mu.sum())
    return np.array(along), np.array(size)


def test_a_thin_layer_wanders_under_the_sweeps_alone_and_holds_its_minimum_when_held():
    free_along, free_size = _slab_history("free")
    held_along, held_size = _slab_history("held")
    assert 0.3 < (free_along < 0).mean() < 0.7  # about half the time: the zero mode of the 16-site cell: the layer cannot do this
    assert (held_along > 0).all()
    assert np.allclose(held_along, held_size)  # the net moment on the axis
    # the internal state is the sweeps' own: same |M| distribution (samples 10 couplings apart)
    a, b = free_size[::10], held_size[::10]
    se = np.hypot(a.std(ddof=1) / np.sqrt(len(a)), b.std(ddof=1) / np.sqrt(len(b)))
    assert abs(a.mean() - b.mean()) < 4 * se
