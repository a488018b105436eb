"""Magnet process: paramagnetic sites, spin memory, units, field sweeps, coupled runs."""

import numpy as np
import pytest
import zarr

from kmc import config
from kmc.engine.simulation import Simulation
from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.model.magnet import MU_B_EMU, Magnet, MagnetParams
from kmc.plugins.exchange.heisenberg import Heisenberg
from kmc.plugins.exchange.ising import Ising
from kmc.plugins.phases.coordination import NAMES, CoordinationPhases


@pytest.fixture(scope="module")
def film():
    return RocksaltFilm(thickness_nm=6, cells_xy=(3, 3)).build(1)


def _magnet(lattice, exchange, seed=1, temperature_k=300.0, **params):
    phases = CoordinationPhases().build(lattice)
    return Magnet(lattice, phases, exchange.build(lattice, phases, temperature_k), MagnetParams(**params),
                  temperature_k, seed)


def _occ_without_layers_below(lattice, z_layer):
    occ = np.ones(lattice.n_sites, dtype=np.int8)
    occ[lattice.layer < z_layer] = 0
    return occ


def test_phases_follow_coordination(film):
    mg = _magnet(film, Ising())
    mg.update_phases(np.ones(film.n_sites, dtype=np.int8))
    assert (mg.phase == NAMES.index("(Co,Fe)N")).all() and len(mg.active) == 0
    mg.update_phases(np.zeros(film.n_sites, dtype=np.int8))
    assert (mg.phase == NAMES.index("CoFe")).all()
    # one N left next to a metal: 1 of 6 -> Fe4N-like; 3 of 6 -> M2N-like
    occ = np.zeros(film.n_sites, dtype=np.int8)
    site = film.n_sites // 2
    occ[site] = 1
    mg.update_phases(occ)
    nbrs = film.host_nbr[site][film.host_nbr[site] >= 0]
    assert (mg.phase[nbrs] == NAMES.index("Fe4N")).all()
    frac = mg.phase_fractions()
    assert np.isclose(frac.sum(), 1.0)
    prof = mg.phase_profile()
    assert np.allclose(np.nansum(prof, axis=1)[mg.per_layer > 0], 1.0)


def test_units_saturation(film):
    mg = _magnet(film, Ising())
    mg.update_phases(np.zeros(film.n_sites, dtype=np.int8))
    co = film.host_symbols.index("Co")
    mu = np.where(film.host_species == co, 1.85, 2.75)
    assert np.isclose(mg.saturation_emu_cm3(), mu.sum() * MU_B_EMU / film.volume_cm3)
    mg.spins[:] = 1
    assert np.isclose(mg.magnetization_emu_cm3(), mg.saturation_emu_cm3())
    # the order of magnitude of bulk FeCo per nominal (nitride) volume: ~1.2e3 emu/cm³
    assert 1000 < mg.saturation_emu_cm3() < 1400


@pytest.mark.parametrize("exchange", [Ising(), Heisenberg()])
def test_paramagnetic_sites_never_change_m(film, exchange):
    mg = _magnet(film, exchange)
    mg.update_phases(np.ones(film.n_sites, dtype=np.int8))
    mg.set_field(1e5)
    mg.relax(50)
    assert mg.magnetization_emu_cm3() == 0.0 and mg.saturation_emu_cm3() == 0.0
    occ = _occ_without_layers_below(film, film.n_layers // 2)
    mg.update_phases(occ)
    pm = ~mg.is_ferro
    assert pm.any() and (~pm).any()
    mg.relax(50)
    assert not np.any(mg.spins[pm])  # no spin on paramagnetic sites
    proj = mg.projection()
    assert np.isclose(mg.magnetization_emu_cm3(), (mg.mu * proj)[~pm].sum() * MU_B_EMU / film.volume_cm3)
    # turning sites paramagnetic removes exactly their moment
    mg.update_phases(np.ones(film.n_sites, dtype=np.int8))
    assert mg.magnetization_emu_cm3() == 0.0 and not mg.spins.any()


@pytest.mark.parametrize("cls", [Ising, Heisenberg])
@pytest.mark.parametrize("passes", [0, 20])
def test_memory_new_grains_align_by_exchange(film, cls, passes):
    """Magnetise a slab in a field, switch the field off, grow it by converting neighbouring
    sites: the new sites align with the old ones when J >> kT, and stay random without exchange.
    Born random without new-site passes (the sweeps align them), born aligned with them."""
    means = {}
    for j_scale in (1.0, 0.0):
        mg = _magnet(film, cls(j_scale=j_scale), seed=3, new_site_passes=passes)
        mg.update_phases(_occ_without_layers_below(film, film.n_layers // 3))
        old = mg.active.copy()
        mg.set_field(2e6)  # 200 T: with exchange, saturates the slab
        mg.relax(300)
        if j_scale:
            assert mg.projection()[old].mean() > 0.8
        mg.set_field(0.0)
        born = []
        for layer in range(film.n_layers // 3 + 1, 2 * film.n_layers // 3 + 1):  # a front, layer by layer
            before = mg.active.copy()
            mg.update_phases(_occ_without_layers_below(film, layer))
            fresh = np.setdiff1d(mg.active, before)
            born.append(mg.projection()[fresh])
            mg.relax(20)
        new = np.setdiff1d(mg.active, old)
        assert len(new) > 50
        born = np.concatenate(born)
        if passes and j_scale:
            assert born.mean() > 0.6  # turned in their aligned neighbours' field at birth
        else:
            assert abs(born.mean()) < 4 / np.sqrt(len(born))  # born random (σ ≤ 1/sqrt(n))
        mg.relax(100)
        means[j_scale] = (mg.projection()[old].mean(), mg.projection()[new].mean(), len(new))
    (old_on, new_on, _), (_, new_off, n_new) = means[1.0], means[0.0]
    assert old_on > 0.7 and new_on > 0.7  # aligned with the old grains, no field
    assert abs(new_off) < 4 / np.sqrt(n_new)  # no exchange: random (σ ≤ 1/sqrt(n))


@pytest.mark.parametrize("x", [1.0, 3.0, 8.0, 20.0])
def test_new_site_passes_reach_the_langevin_and_ising_distributions(x):
    """One new spin with one fixed neighbour along e, exchange energy βJ = x: after the new-site
    passes (defaults) ⟨cos θ⟩ = coth x − 1/x (classical spin, Langevin) and ⟨s⟩ = tanh x (Ising),
    each within 4 SE over 4000 births from random spins. 5 uniform passes alone fail at x = 8."""
    from types import SimpleNamespace

    from kmc.core import spins as core
    from kmc.core.rng import new_state
    from kmc.model.magnet import settle_sites
    from kmc.plugins.exchange.heisenberg import heisenberg_delta_e
    from kmc.plugins.exchange.ising import ising_delta_e

    kt, reps, passes = 0.025, 4000, MagnetParams().new_site_passes
    nbr = np.array([[1, 0], [0, 1]], dtype=np.int64)  # padded with the row's own index, J = 0
    jb = np.array([[x * kt, 0.0], [x * kt, 0.0]])
    axis, zero, site = np.array([0.0, 0.0, 1.0]), np.zeros(2), np.array([0])
    rng = new_state(11)
    heis, ising = SimpleNamespace(vector=True, delta_e=heisenberg_delta_e, step=Heisenberg().step), \
        SimpleNamespace(vector=False, delta_e=ising_delta_e, step=0.0)
    cos, s = np.empty(reps), np.empty(reps)
    for r in range(reps):
        v = np.zeros((2, 3))
        v[1] = axis
        core.randomize_vector(v, site, rng)
        settle_sites(heis, v, site, nbr, jb, zero, zero, axis, kt, passes, rng)
        cos[r] = v[0, 2]
        q = np.array([0, 1], dtype=np.int8)
        core.randomize_ising(q, site, rng)
        settle_sites(ising, q, site, nbr, jb, zero, zero, axis, kt, passes, rng)
        s[r] = q[0]
    for got, exact in ((cos, 1 / np.tanh(x) - 1 / x), (s, np.tanh(x))):
        assert abs(got.mean() - exact) < 4 * max(got.std(ddof=1), 1e-3) / np.sqrt(reps), (got.mean(), exact)


def _quick(overrides=None, segments=None):
    data = {"lattice": {"thickness_nm": 10, "cells_xy": [3, 3]}, "run": {"seed": 7, "frame_interval_s": 10},
            "segments": segments or [{"voltage_v": -25, "field_oe": 1e4, "duration": "2 min"},
                                     {"voltage_v": 0, "field_oe": 0, "duration": "1 min"}]}
    data = config.apply_overrides(data, overrides or {})
    return config.from_dict(data)


def test_coupled_run_records_magnetism_and_is_reproducible(tmp_path):
    out = []
    for k in range(2):
        sim = Simulation(_quick({"exchange.name": "ising"}))
        store = sim.open_store(zarr.open_group(str(tmp_path / f"r{k}.zarr"), mode="w"))
        sim.run(store)
        g = zarr.open_group(str(tmp_path / f"r{k}.zarr"), mode="r")
        out.append({name: g[name][:] for name in ("magnetization", "saturation_magnetization",
                                                  "phase_fraction", "phase_profile")})
        assert g["phase_fraction"].attrs["phase_names"] == list(NAMES)
        assert g["magnetization"].attrs["units"] == "emu/cm^3"
        assert g.attrs["plugins"]["exchange"]["name"] == "ising"
    for name in out[0]:
        assert np.array_equal(out[0][name], out[1][name], equal_nan=True)
    ms, m = out[0]["saturation_magnetization"], out[0]["magnetization"]
    assert ms[0] == 0 and ms.max() > 0 and np.all(np.abs(m) <= ms + 1e-9)
    assert np.allclose(out[0]["phase_fraction"].sum(axis=1), 1.0)
    # the depth profiles of M and M_S average (equal layer volumes) to the film's M and M_S, frame by frame
    g = zarr.open_group(str(tmp_path / "r0.zarr"), mode="r")
    assert np.allclose(g["magnetization_profile"][:].mean(axis=1), m)
    assert np.allclose(g["saturation_profile"][:].mean(axis=1), ms)
    assert g["saturation_profile"].attrs["units"] == "emu/cm^3"
    # ... and a layer carries moment exactly where its metal sites are in a magnetic phase
    magnetic = np.nansum(g["phase_profile"][:][..., 1:], axis=-1) > 0      # all but (Co,Fe)N
    assert np.array_equal(g["saturation_profile"][:] > 0, magnetic)


def test_field_sweep_frames_record_m_of_h():
    segs = [{"voltage_v": -25, "field_oe": 2e6, "duration": "2 min"},
            {"voltage_v": 0, "field_oe": 2e6, "field_end_oe": -2e6, "duration": "2 min"}]
    sim = Simulation(_quick({"exchange.name": "heisenberg"}, segs))
    fields, ms = [], []
    sim.run(progress=lambda s, i: (fields.append(s.field_oe), ms.append(s.observe()["magnetization"])))
    fields, ms = np.array(fields), np.array(ms)
    sweep = fields[12:]
    assert np.all(np.diff(sweep) < 0) and sweep[-1] == -2e6
    assert ms[11] > 0 and ms[-1] < 0  # M follows H through the loop


def test_config_errors_name_the_key():
    with pytest.raises(config.ConfigError, match="magnet.sweeps"):
        _quick({"magnet.sweeps": 3})
    with pytest.raises(config.ConfigError, match="exchange.name"):
        _quick({"exchange.name": "potts"})
    with pytest.raises(config.ConfigError, match="equilibration_sweeps"):
        _quick({"magnet.equilibration_sweeps": -1})
    # a key of an earlier model is refused with the reason, not just "unknown"
    with pytest.raises(config.ConfigError, match="coherence_area_nm2.*real temperature"):
        _quick({"magnet.coherence_area_nm2": 4.0})
