"""Coherent cluster moves: detailed balance against exact results, periodic layers, memory."""

import numpy as np
import pytest

from kmc.core import spins as core
from kmc.core.rng import new_state
from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.magnet import Magnet, MagnetParams
from kmc.plugins.exchange.heisenberg import Heisenberg
from kmc.plugins.phases.coordination import CoordinationPhases


def langevin(x):
    return 1.0 / np.tanh(x) - 1.0 / x


def test_rigid_rotations_of_free_moments_give_the_langevin_function():
    n, kt = 2000, 1.0
    rng = new_state(1)
    spins = np.zeros((n, 3))
    core.randomize_vector(spins, np.arange(n), rng)
    members, ptr = np.arange(n), np.arange(n + 1)
    wraps = np.zeros(n, dtype=np.bool_)
    hz, ks, axis = np.full(n, 2.0), np.zeros(n), np.array([1.0, 0.0, 0.0])
    core.rotate_clusters_vector(spins, members, ptr, wraps, False, hz, ks, axis, kt, 600, rng)
    samples = []
    for _ in range(40):
        core.rotate_clusters_vector(spins, members, ptr, wraps, False, hz, ks, axis, kt, 25, rng)
        samples.append(spins[:, 0].mean())
    assert np.mean(samples) == pytest.approx(langevin(2.0), abs=0.01)
    assert np.allclose(np.linalg.norm(spins, axis=1), 1.0)


def test_cluster_flips_over_a_barrier_keep_detailed_balance():
    n_clusters, size, kt, h, barrier = 3000, 3, 1.0, 0.2, 0.5
    rng = new_state(2)
    spins = np.ones(n_clusters * size, dtype=np.int8)
    members, ptr = np.arange(n_clusters * size), np.arange(0, n_clusters * size + 1, size)
    wraps = np.zeros(n_clusters, dtype=np.bool_)
    hz = np.full(n_clusters * size, h)
    kb = np.full(n_clusters * size, barrier / size)
    core.flip_clusters_ising(spins, members, ptr, wraps, False, hz, kb, kt, 200, rng)
    up = []
    for _ in range(50):
        core.flip_clusters_ising(spins, members, ptr, wraps, False, hz, kb, kt, 5, rng)
        up.append((spins[ptr[:-1]] > 0).mean())
    exact = 1.0 / (1.0 + np.exp(-2 * size * h / kt))
    assert np.mean(up) == pytest.approx(exact, abs=0.01)


@pytest.fixture(scope="module")
def film():
    return RocksaltFilm(thickness_nm=3.0, cells_xy=(3, 3)).build(2)


def magnet(film, **params):
    phases = CoordinationPhases().build(film)
    return Magnet(film, phases, Heisenberg().build(film, phases, 300.0), MagnetParams(**params), 300.0, 5)


def test_layers_that_span_the_cell_are_found(film):
    mg = magnet(film)
    occ = np.ones(film.n_sites, dtype=np.int8)
    occ[film.layer < 3] = 0  # a metallic slab at the electrode: periodic in x and y
    mg.update_phases(occ)
    assert len(mg.ptr) == 2 and mg.wraps.all()
    occ[:] = 1
    lone = 40  # one metal site with every N neighbour removed: a finite cluster
    occ[film.host_mobile_nbr[lone][film.host_mobile_nbr[lone] >= 0]] = 0
    mg.update_phases(occ)
    assert lone in mg.active and not mg.wraps.any()


def test_a_layer_remembers_at_zero_field_and_follows_a_strong_field(film):
    mg = magnet(film)
    occ = np.ones(film.n_sites, dtype=np.int8)
    occ[film.layer < 4] = 0
    mg.update_phases(occ)
    mg.set_field(1e4)
    mg.relax(400)
    assert mg.magnetization_emu_cm3() > 0.9 * mg.saturation_emu_cm3()  # 10 kOe saturates the layer
    mg.set_field(0.0)
    mg.relax(2000)
    assert mg.magnetization_emu_cm3() > 0.8 * mg.saturation_emu_cm3()  # remanence: no coherent reversal
    mg.set_field(-1e4)
    mg.relax(400)
    assert mg.magnetization_emu_cm3() < -0.8 * mg.saturation_emu_cm3()  # above H_c it follows the field
