"""Exchange-connected clusters in a film: layers that span the periodic cell, their memory at zero
field and their reversal above the anisotropy field, with default parameters."""

import numpy as np
import pytest

from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.model.magnet import Magnet, MagnetParams
from kmc.plugins.exchange.heisenberg import Heisenberg
from kmc.plugins.phases.coordination import CoordinationPhases
from kmc.units import MU_B_EV_PER_T, TESLA_PER_OE


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


def test_a_layer_remembers_at_zero_field_and_follows_only_fields_above_its_anisotropy_field(film):
    """Default parameters: a metallic slab spanning the cell, magnetised along +e, keeps M for an hour
    at zero field and in a reverse field below H_K = 2K/μ (per site), and reverses within one
    coupling in a reverse field above it; H_K comes from the phase plug-in's anisotropy constant."""
    mg = magnet(film)
    occ = np.ones(film.n_sites, dtype=np.int8)
    occ[film.layer < 4] = 0
    mg.update_phases(occ)
    assert mg.wraps.all()
    mg.spins[mg.active] = mg.axis
    i = mg.active[0]
    h_k_oe = 2 * mg.kb[i] / (mg.mu[i] * MU_B_EV_PER_T) / TESLA_PER_OE
    assert 10 < h_k_oe < 1000  # the order of the coercivity of soft FeCo films
    ms = mg.saturation_emu_cm3()
    for field_oe, dt_s in ((0.0, 3600.0), (-0.8 * h_k_oe, 600.0)):
        mg.set_field(field_oe)
        mg.relax(20)
        mg.reverse(dt_s)
        assert mg.magnetization_emu_cm3() > 0.8 * ms  # remanence (thermal spin waves: M(300 K) ≈ 0.9 M_S)
    mg.set_field(-1.25 * h_k_oe)
    mg.relax(20)
    mg.reverse(10.0)
    assert mg.magnetization_emu_cm3() < -0.8 * ms  # above H_K the layer follows the field
