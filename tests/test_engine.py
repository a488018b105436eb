"""A whole run: N conservation every frame, reproducibility, the Zarr store and its schema."""

import numpy as np
import pytest
import zarr

from kmc import config
from kmc.engine.simulation import Simulation
from kmc.storage.store import read_frames

SHORT = {"lattice.thickness_nm": 4.0, "lattice.cells_xy": [2, 2],
         "segments.0.duration": "30 s", "segments.1.duration": "20 s"}


def run_to(path, seed=None, overrides=SHORT):
    conf = config.load("quick", overrides)
    sim = Simulation(conf, seed=seed)
    store = sim.open_store(zarr.open_group(str(path), mode="w"))
    sim.run(store)
    return sim, zarr.open_group(str(path), mode="r")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    return run_to(tmp_path_factory.mktemp("run") / "quick.zarr")


def test_n_is_conserved_every_frame_and_the_protocol_is_followed(quick_run):
    sim, group = quick_run
    d = read_frames(group)
    assert group.attrs["complete"] and group.attrs["frames_written"] == len(sim.frames)
    assert np.all(d["n_film"] + d["n_electrolyte"] == sim.n_ions0)
    assert np.all(np.diff(d["time"]) > 0)
    assert d["time"][-1] == pytest.approx(50.0)
    assert list(np.unique(d["segment"])) == [0, 1]
    assert np.all(d["voltage"][d["segment"] == 0][1:] == -25.0) and np.all(d["voltage"][d["segment"] == 1] == 0.0)
    assert d["n_electrolyte"][-1] > 0  # gating released N
    prof = d["n_profile"]
    assert prof.shape == (len(sim.frames), sim.lattice.n_layers)
    assert np.allclose(prof @ sim.lattice.sites_per_layer, d["n_film"])
    assert np.all(d["exits"] - d["entries"] == d["n_electrolyte"])


def test_store_has_provenance_units_and_xarray_dimensions(quick_run):
    xr = pytest.importorskip("xarray")
    sim, group = quick_run
    a = group.attrs
    assert a["seed"] == 7 and a["mikmc_version"] and a["config"]["hops"]["name"] == "arrhenius"
    assert a["plugins"]["boundary"]["name"] == "solubility"
    assert a["config"]["run"]["temperature_k"] == 300.0
    assert group["time"].attrs["units"] == "s" and group["n_profile"].attrs["units"] == "1"
    assert group["segment"].attrs["labels"] == ["gate", "relax"]
    ds = xr.open_zarr(group.store, consolidated=False)
    assert ds["n_profile"].dims == ("frame", "layer")
    assert ds["field_profile"].dims == ("frame", "gap")
    assert ds.sizes["frame"] == len(sim.frames)


def test_same_seed_identical_arrays_different_seed_differs(tmp_path, quick_run):
    _, first = quick_run
    _, again = run_to(tmp_path / "again.zarr")
    _, other = run_to(tmp_path / "other.zarr", seed=8)
    a, b, c = read_frames(first), read_frames(again), read_frames(other)
    for name in a:
        assert np.array_equal(a[name], b[name], equal_nan=True), name
    assert not np.array_equal(a["n_profile"], c["n_profile"])


def test_field_in_film_is_screened_as_it_turns_metallic():
    sim = Simulation(config.load("quick", SHORT))
    sim.ions.set_voltage(-25.0)
    e_full = sim.ions.gap_fields_v_per_m()
    assert np.all(e_full < 0)  # N³⁻ pushed up, towards the electrolyte
    fraction = config.load("quick").field.film_voltage_fraction
    assert e_full.sum() * sim.lattice.dz_classes[-1] * 1e-10 == pytest.approx(-25.0 * fraction)
    sim.ions.occ[sim.lattice.layer < sim.lattice.n_layers // 2] = 0  # bottom half made metallic
    sim.ions.layer_n[:] = np.bincount(sim.lattice.layer, weights=sim.ions.occ, minlength=sim.lattice.n_layers)
    e_half = sim.ions.gap_fields_v_per_m()
    drop_half = -e_half.sum() * sim.lattice.dz_classes[-1] * 1e-10
    assert drop_half < 25.0 * fraction  # less of the gate voltage reaches the ions
    assert abs(e_half[1]) < 0.01 * abs(e_half[-2])  # metallic layers carry almost no field


def test_output_frames_only_observe_ions_and_spins():
    """Frame intervals 3x apart: every recorded quantity (ions and magnetism) identical at the common
    times, and the spins themselves too."""
    from kmc.config import load

    sets = {"lattice.thickness_nm": 4.0, "lattice.cells_xy": [2, 2], "segments.0.duration": "60 s",
            "segments.1.duration": "30 s", "magnet.coupling_interval_s": 10.0}
    histories = []
    for interval in ("5 s", "15 s"):
        sim = Simulation(load("quick", {**sets, "run.frame_interval": interval}), seed=5)
        rows = {}

        def record(s, i, rows=rows):
            rows[round(s.time_s, 9)] = {**s.observe(), "occ": s.ions.occ.copy(), "disp": s.ions.disp.copy(),
                                        "spins": s.processes[0].spins.copy()}

        sim.run(progress=record)
        histories.append(rows)
    fine, coarse = histories
    common = sorted(set(fine) & set(coarse))
    assert len(common) >= 6 and len(fine) > len(coarse)
    assert any(np.any(fine[t]["magnetization"] != 0) for t in common)  # magnetism is exercised
    for t in common:
        for key, value in fine[t].items():
            assert np.array_equal(value, coarse[t][key], equal_nan=True), (t, key)
