"""Resumable runs: checkpoints inside the store; `mikmc run --resume` gives the uninterrupted result bit for bit."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import zarr
from click.testing import CliRunner

from kmc import config
from kmc.engine.checkpoint import GROUP, Checkpointer, read_checkpoint, resume, write_checkpoint
from kmc.cli import main
from kmc.engine.simulation import Simulation

#: gating, relaxation, gating, relaxation with magnetism on a 6 nm film: 28 frames. The low hop
#: barrier (below the default's 0.94 eV) gives ~4e5 events, about 1 s of run after start-up, so the
#: kill test below catches the subprocess mid-run (at the default barrier it ran 0.3 s and could end
#: before it was killed).
PROTOCOL = """
title = "resume test"
[lattice]
name = "rocksalt_film"
thickness_nm = 6
cells_xy = [4, 4]
[hops]
barrier_ev = 0.80
[run]
seed = 5
frame_interval = "10 s"
[[segments]]
voltage_v = -25
field_oe = 10000
duration = "120 s"
[[segments]]
voltage_v = 0
field_oe = 10000
duration = "40 s"
[[segments]]
voltage_v = -25
duration = "60 s"
[[segments]]
voltage_v = 0
duration = "60 s"
"""
SAVE_AT, STOP_AT = 18, 21  # frame 18: 20 s into the second gating (after two voltage switches)


@pytest.fixture(scope="module")
def protocol(tmp_path_factory):
    path = tmp_path_factory.mktemp("resume") / "resume_test.toml"
    path.write_text(PROTOCOL)
    return path


@pytest.fixture(scope="module")
def reference(protocol):
    """The uninterrupted run's store."""
    out = protocol.parent / "reference.zarr"
    sim = Simulation(config.load(str(protocol)))
    sim.run(sim.open_store(zarr.open_group(str(out), mode="w")))
    return out


def assert_same_store(expected, got):
    a, b = zarr.open_group(str(expected), mode="r"), zarr.open_group(str(got), mode="r")
    names = sorted(name for name, _ in a.arrays())
    assert names == sorted(name for name, _ in b.arrays())
    for name in names:
        x, y = a[name][:], b[name][:]
        assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), name
    assert b.attrs["complete"] and b.attrs["frames_written"] == a.attrs["n_frames"]
    assert b.attrs["performance"]["events"] == a.attrs["performance"]["events"]
    assert GROUP not in b  # removed once complete


def snapshot(obj) -> dict:
    """Every array and number attribute of ``obj`` (copies), but its declared scratch space."""
    scratch = getattr(type(obj), "SCRATCH", ())
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(obj).items()
            if isinstance(v, (np.ndarray, np.generic, int, float)) and k not in scratch}


class Stopped(Exception):
    pass


def test_resume_restores_every_attribute_and_finishes_bit_identical(protocol, reference, tmp_path):
    sim = Simulation(config.load(str(protocol)))
    out = tmp_path / "stopped.zarr"
    sink = Checkpointer(sim, sim.open_store(zarr.open_group(str(out), mode="w")), interval_s=0)  # saves when told
    saved = {}

    def progress(s, i):
        if i == SAVE_AT:
            sink.save()
            saved.update(sim=snapshot(s), ions=snapshot(s.ions), magnet=snapshot(s.processes[0]))
        if i == STOP_AT:
            sink.flush()  # frames after the checkpoint are on disk: resume must drop them
            raise Stopped

    with pytest.raises(Stopped):
        sim.run(sink, progress=progress)
    assert zarr.open_group(str(out), mode="r").attrs["frames_written"] == STOP_AT + 1

    again, sink = resume(out, interval_s=0)
    assert again.frame_index == SAVE_AT
    # a mutable attribute missing from a STATE list keeps its fresh value and differs here
    for part, obj in (("sim", again), ("ions", again.ions), ("magnet", again.processes[0])):
        now = snapshot(obj)
        assert now.keys() == saved[part].keys()
        for key, was in saved[part].items():
            if isinstance(was, np.ndarray):
                ok = now[key].dtype == was.dtype and np.array_equal(now[key], was, equal_nan=True)
            else:
                ok = type(now[key]) is type(was) and (now[key] == was or (was != was and now[key] != now[key]))
            assert ok, f"{part}.{key} not restored"
    again.run(sink)
    assert_same_store(reference, out)


def test_a_kill_while_writing_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    group = zarr.open_group(str(tmp_path / "c.zarr"), mode="w")
    write_checkpoint(group, {"simulation": {"frame_index": 3}, "ions": {"occ": np.arange(4, dtype=np.int8)}})

    def killed(*args, **kwargs):
        raise Stopped

    monkeypatch.setattr(zarr.Group, "update_attributes", killed)
    with pytest.raises(Stopped):  # the new slot is written, the pointer to it is not
        write_checkpoint(group, {"simulation": {"frame_index": 7}, "ions": {"occ": np.zeros(4, dtype=np.int8)}})
    monkeypatch.undo()
    state = read_checkpoint(zarr.open_group(str(tmp_path / "c.zarr"), mode="r"))
    assert state["simulation"]["frame_index"] == 3 and np.array_equal(state["ions"]["occ"], np.arange(4))


def test_a_killed_cli_run_resumes_bit_identical(protocol, reference, tmp_path):
    out = tmp_path / "killed.zarr"
    cmd = [sys.executable, "-m", "kmc.cli", "run", str(protocol), "-o", str(out), "--quiet",
           "--checkpoint-interval", "0.02"]
    # cwd away from the source tree: `python -m kmc.cli` must import the installed package
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    meta = out / GROUP / "zarr.json"
    try:
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            if meta.exists() and "slot" in json.loads(meta.read_text()).get("attributes", {}):
                break
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"the run ended before it was killed: {proc.stderr.read()!r}"
    assert not zarr.open_group(str(out), mode="r").attrs["complete"]
    res = CliRunner().invoke(main, ["run", "--resume", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "resuming" in res.output and "done:" in res.output
    assert_same_store(reference, out)


@pytest.fixture(scope="module")
def no_checkpoint(protocol):
    """An unfinished store without a checkpoint."""
    out = protocol.parent / "bare.zarr"
    Simulation(config.load(str(protocol))).open_store(zarr.open_group(str(out), mode="w"))
    return out


@pytest.mark.parametrize("case, extra, words", [
    ("complete", [], ["complete already"]),
    ("bare", [], ["no checkpoint"]),
    ("empty_dir", [], ["not a mikmc run store"]),
    ("missing", [], ["not a mikmc run store"]),
    ("complete", ["PROTO"], ["--resume", "PROTOCOL"]),
    ("complete", ["--seed", "3"], ["--resume", "--seed"]),
    ("complete", ["--set", "run.seed=3"], ["--resume", "--set"]),
])
def test_resume_refusals_are_one_line(case, extra, words, reference, no_checkpoint, protocol, tmp_path):
    target = {"complete": reference, "bare": no_checkpoint, "empty_dir": tmp_path, "missing": tmp_path / "nope.zarr"}[case]
    args = [str(protocol) if a == "PROTO" else a for a in extra]
    res = CliRunner().invoke(main, ["run", *args, "--resume", str(target), "--quiet"])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    assert all(w in lines[0] for w in words), lines[0]
    assert "Traceback" not in res.output
