"""Store integrity: the manifest, kmc.storage.integrity, RunStore.reopen, and what every reader does with damage."""

import json
import shutil

import numpy as np
import pytest
import zarr
from click.testing import CliRunner

from kmc.campaigns import campaign as cp
from kmc.campaigns import campaign_store as cs
from kmc.campaigns.runner import run_campaign
from kmc.cli import main
from kmc.storage.integrity import StoreDamaged, verify_run
from kmc.storage.store import FieldSpec, RunStore, read_frames

#: the short quick run (tests/conftest.py) with 76 frames: two chunks, frames 0-63 and 64-75
SHORT = ["--set", "lattice.thickness_nm=3.0", "--set", "lattice.cells_xy=[2,2]",
         "--set", 'segments.0.duration="20 s"', "--set", 'segments.1.duration="10 s"',
         "--set", 'run.frame_interval="0.4 s"']


@pytest.fixture(scope="module")
def run76(tmp_path_factory):
    out = tmp_path_factory.mktemp("integrity") / "run.zarr"
    res = CliRunner().invoke(main, ["run", "quick", "-o", str(out), "--quiet", *SHORT])
    assert res.exit_code == 0, res.output
    assert zarr.open_group(str(out), mode="r").attrs["n_frames"] == 76
    return out


def copy_of(store, tmp_path, name="high.zarr"):
    dest = tmp_path / name
    shutil.copytree(store, dest)
    return dest


def flip_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def rewrite_value(store):
    zarr.open_group(str(store), mode="r+")["time"][70] = -5.0  # decodes fine, checksum differs


def shrink_shape(store):
    meta = store / "n_film" / "zarr.json"
    js = json.loads(meta.read_text())
    js["shape"] = [40]
    meta.write_text(json.dumps(js))


DAMAGE = {  # name: (how, words the one-line error must hold)
    "chunk deleted": (lambda s: (s / "n_film" / "c" / "1").unlink(), ["'n_film'", "frames 64-75", "missing"]),
    "chunk bytes corrupted": (lambda s: flip_byte(s / "n_profile" / "c" / "0" / "0"), ["'n_profile'", "frames 0-63"]),
    "chunk decodes to other values": (rewrite_value, ["'time'", "frames 64-75", "checksum"]),
    "chunk file truncated": (lambda s: (s / "segment" / "c" / "0").write_bytes((s / "segment" / "c" / "0").read_bytes()[:7]),
                             ["'segment'", "frames 0-63", "unreadable"]),
    "array metadata broken": (lambda s: (s / "n_profile" / "zarr.json").write_text('{"zarr_format": 3, "node_'),
                              ["'n_profile'", "n_profile/zarr.json", "unreadable"]),
    "array metadata deleted": (lambda s: (s / "field" / "zarr.json").unlink(), ["'field'", "field/zarr.json missing"]),
    "array shape truncated": (shrink_shape, ["'n_film'", "shape (40,)"]),
}


def one_line_error(res, words):
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and not isinstance(res.exception, (RuntimeError, KeyError, TypeError))
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    for w in ["high.zarr", *words]:
        assert w in lines[0], (w, lines[0])
    assert "not a mikmc store" not in lines[0]
    return lines[0]


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_every_reader_names_the_damage_in_one_line(run76, tmp_path, damage):
    how, words = DAMAGE[damage]
    store = copy_of(run76, tmp_path)
    how(store)
    assert verify_run(zarr.open_group(str(store), mode="r"))
    runner = CliRunner()
    one_line_error(runner.invoke(main, ["info", str(store)]), words)
    one_line_error(runner.invoke(main, ["report", str(store), "-o", str(tmp_path / "rep")]), words)
    one_line_error(runner.invoke(main, ["phases", str(store), "--no-write"]), words)


def test_intact_store_passes_and_info_says_complete(run76):
    group = zarr.open_group(str(run76), mode="r")
    assert verify_run(group) == []
    manifest = group.attrs["manifest"]
    assert manifest["chunk_frames"] == 64 and manifest["frames"] == 76
    assert set(manifest["arrays"]) == {name for name, _ in group.arrays()}
    assert all(len(sums) == 2 for sums in manifest["arrays"].values())
    res = CliRunner().invoke(main, ["info", str(run76)])
    assert res.exit_code == 0 and "[complete]" in res.output


def test_store_without_manifest_is_accepted_but_still_checked(run76, tmp_path):
    store = copy_of(run76, tmp_path)
    group = zarr.open_group(str(store), mode="r+")
    del group.attrs["manifest"]
    rewrite_value(store)  # undetectable without checksums
    assert verify_run(zarr.open_group(str(store), mode="r")) == []
    (store / "n_film" / "c" / "1").unlink()
    (damage,) = verify_run(zarr.open_group(str(store), mode="r"))
    assert damage.array == "n_film" and damage.frames == (64, 75) and "missing" in damage.problem


def test_broken_root_metadata_names_the_file(run76, tmp_path):
    store = copy_of(run76, tmp_path)
    (store / "zarr.json").write_text('{"zarr_format": 3, "node_')
    line = one_line_error(CliRunner().invoke(main, ["phases", str(store)]), ["zarr.json", "unreadable"])
    assert "group metadata" in line


# --- RunStore.reopen ------------------------------------------------------------------------------

FIELDS = {"x": FieldSpec(), "p": FieldSpec((3,), ("k",)), "i": FieldSpec(dtype="int64")}


def frame(i):
    return {"x": np.sin(i), "p": np.arange(3) * i / 7.0, "i": i * i}


def run_into(group, n=150, stop=None, flush_at=()):
    store = RunStore(group, n, FIELDS, {"title": "t"}, flush_interval_s=1e9)
    for i in range(n if stop is None else stop):
        store.write_frame(i, frame(i))
        if i + 1 in flush_at:
            store.flush()
    if stop is None:
        store.finish(performance={"wall_time_s": 0.0})
    return store


@pytest.mark.parametrize("frames", [None, 50])
def test_reopen_continues_a_killed_run_exactly(tmp_path, frames):
    run_into(zarr.open_group(str(tmp_path / "ref.zarr"), mode="w"))
    out = zarr.open_group(str(tmp_path / "out.zarr"), mode="w")
    run_into(out, stop=100, flush_at=(30, 70))  # killed at frame 100: frames 70-99 never flushed
    out["x"][70:80] = 9.0  # a flush cut short: chunks written, attributes not
    group = zarr.open_group(str(tmp_path / "out.zarr"), mode="r+")
    assert group.attrs["frames_written"] == 70 and verify_run(group) == []
    store = RunStore.reopen(group, flush_interval_s=1e9, frames=frames)
    start = 70 if frames is None else frames
    assert store.flushed == store.received == start
    for i in range(start, 150):
        store.write_frame(i, frame(i))
        if i == 120:
            store.flush()
    store.finish(performance={"wall_time_s": 0.0})
    assert cs.diff_stores(tmp_path / "ref.zarr", tmp_path / "out.zarr") == []
    assert verify_run(zarr.open_group(str(tmp_path / "out.zarr"), mode="r")) == []


def test_reopen_refuses_complete_and_damaged_runs(tmp_path):
    run_into(zarr.open_group(str(tmp_path / "done.zarr"), mode="w"))
    with pytest.raises(ValueError, match="complete already"):
        RunStore.reopen(zarr.open_group(str(tmp_path / "done.zarr"), mode="r+"))
    run_into(zarr.open_group(str(tmp_path / "cut.zarr"), mode="w"), stop=100, flush_at=(90,))
    (tmp_path / "cut.zarr" / "p" / "c" / "1" / "0").unlink()
    with pytest.raises(StoreDamaged, match=r"array 'p' frames 64-89: chunk p/c/1/0 missing"):
        RunStore.reopen(zarr.open_group(str(tmp_path / "cut.zarr"), mode="r+"))


# --- campaigns -------------------------------------------------------------------------------------

def test_damaged_replica_is_shown_and_run_again_on_resume(tmp_path):
    tiny = {"segments.0.duration": "20 s", "segments.1.duration": "10 s",
            "lattice.thickness_nm": 3, "lattice.cells_xy": [2, 2]}
    path = tmp_path / "c.toml"
    path.write_text('title = "tiny"\nbase = "quick"\nreplicas = 2\nseed = 3\n[set]\n'
                    + "".join(f"{json.dumps(k)} = {json.dumps(v)}\n" for k, v in tiny.items()))
    camp, out = cp.load_campaign(path), tmp_path / "out.zarr"
    run_campaign(camp, out)
    before = read_frames(zarr.open_group(str(out), mode="r")["points/0/replicas/1"])
    (out / "points" / "0" / "replicas" / "1" / "n_film" / "c" / "0").unlink()

    st = cs.status(out)
    assert (st["complete"], st["damaged"], st["remaining"]) == (1, 1, 1)
    res = CliRunner().invoke(main, ["info", str(out)])
    assert res.exit_code == 0, res.output
    assert "damaged 1" in res.output and "points/0/replicas/1: array 'n_film'" in res.output

    report = run_campaign(camp, out)
    assert (report.ran, report.skipped, report.complete) == (1, 1, 1)
    root = zarr.open_group(str(out), mode="r")
    assert verify_run(root["points/0/replicas/1"]) == []
    after = read_frames(root["points/0/replicas/1"])
    assert all(np.array_equal(before[k], after[k], equal_nan=True) for k in before)
    assert cs.status(out)["complete"] == 2 and root["points/0/summary"].attrs["replicas"] == [0, 1]
