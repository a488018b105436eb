"""Snapshots in the store and their export: what is written is what the run held."""

import ase.io
import numpy as np
import pytest
import zarr
from click.testing import CliRunner

from kmc.cli import main
from kmc.config import load
from kmc.engine.simulation import Simulation
from kmc.io import to_atoms, to_structure
from kmc.storage.snapshots import read_snapshot, snapshot_frames

SETS = {"lattice.thickness_nm": 4.0, "lattice.cells_xy": [3, 3], "segments.0.duration": "60 s",
        "segments.1.duration": "30 s"}


@pytest.fixture(scope="module")
def run_with_snapshots(tmp_path_factory):
    out = tmp_path_factory.mktemp("snap") / "s.zarr"
    sim = Simulation(load("quick", {**SETS, "run.snapshot_interval": "40 s"}), seed=2)
    seen = {}

    def keep(s, i):  # the state at every frame, to compare with what the snapshots hold
        seen[i] = (s.ions.occ.copy(), s.processes[0].phase.copy(), s.processes[0].spins.copy())

    sim.run(sim.open_store(zarr.open_group(str(out), mode="w")), progress=keep)
    return out, sim, seen


def test_snapshots_hold_the_state_of_their_frames(run_with_snapshots):
    out, sim, seen = run_with_snapshots
    frames = snapshot_frames(sim.frames, 40.0)
    assert frames == [0, 4, 6, 8, 9]  # start, t = 40 s, end of gating (60 s), t = 80 s, end (90 s)
    group = zarr.open_group(str(out), mode="r")
    assert group["snapshots"].attrs["taken"] == len(frames)
    for k, f in enumerate(frames[1:], start=1):
        snap = read_snapshot(group, k)
        occ, phase, spins = seen[f]
        assert snap["frame"] == f and np.array_equal(snap["occupancy"], occ) and np.array_equal(snap["phase"], phase)
        assert np.allclose(snap["spin"], spins, atol=1e-3)  # float16


def test_export_round_trip_through_extxyz(run_with_snapshots, tmp_path):
    out, sim, seen = run_with_snapshots
    path = tmp_path / "last.xyz"
    res = CliRunner().invoke(main, ["export", str(out), "-o", str(path)])
    assert res.exit_code == 0, res.output
    atoms = ase.io.read(str(path))
    occ = seen[len(sim.frames) - 1][0]
    assert (atoms.get_chemical_symbols().count("N")) == int(occ.sum())
    assert len(atoms) == int(occ.sum()) + len(sim.lattice.host)
    assert set(atoms.arrays) >= {"occupancy", "phase", "spin"} and tuple(atoms.pbc) == (True, True, False)
    with_vac = to_atoms(out, vacancies=True)
    assert len(with_vac) == sim.lattice.n_sites + len(sim.lattice.host)
    assert with_vac.get_chemical_symbols().count("X") == sim.lattice.n_sites - int(occ.sum())
    early = to_atoms(out, time_s=45.0)
    assert early.info["frame"] == 4
    assert to_structure(out).composition["N"] == int(occ.sum())


def test_export_errors_are_one_line(run_with_snapshots, tmp_path):
    out, _, _ = run_with_snapshots
    for args, word in ((["--snapshot", "99"], "snapshot 99"), (["--time", "soon"], "--time"),
                       (["--snapshot", "1", "--time", "1 s"], "exclusive")):
        res = CliRunner().invoke(main, ["export", str(out), "-o", str(tmp_path / "x.xyz"), *args])
        assert res.exit_code == 2 and word in res.output and "Traceback" not in res.output


def test_snapshots_do_not_change_the_trajectory(run_with_snapshots, tmp_path):
    out, sim, _ = run_with_snapshots
    other = Simulation(load("quick", {**SETS, "run.snapshot_interval": "off"}), seed=2)
    other.run(other.open_store(zarr.open_group(str(tmp_path / "n.zarr"), mode="w")))
    assert "snapshots" not in zarr.open_group(str(tmp_path / "n.zarr"), mode="r")
    assert np.array_equal(other.ions.occ, sim.ions.occ) and other.ions.events == sim.ions.events
    assert np.array_equal(other.processes[0].spins, sim.processes[0].spins)
