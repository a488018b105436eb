"""Campaigns run serially: file format, grid expansion, seeds, store layout, status, failures, resume."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import zarr
from click.testing import CliRunner

from kmc.campaigns import campaign as cp
from kmc.campaigns import campaign_store as cs
from kmc.campaigns.runner import run_campaign
from kmc.cli import main
from kmc.config import ConfigError, find_protocol, load
from kmc.engine.simulation import Simulation
from kmc.storage.store import read_frames

#: a ~30 ms replica: 2 nm x 2x2 cells, 30 s simulated
TINY = {"segments.0.duration": "20 s", "segments.1.duration": "10 s",
        "lattice.thickness_nm": 4, "lattice.cells_xy": [2, 2]}


def tiny_campaign(tmp_path, replicas=2, grid='"hops.barrier_ev" = [0.95, 1.01]', extra="", name="c.toml"):
    text = (f'title = "tiny"\nbase = "quick"\nreplicas = {replicas}\nseed = 3\n[set]\n'
            + "".join(f"{json.dumps(k)} = {json.dumps(v)}\n" for k, v in TINY.items())
            + f"[grid]\n{grid}\n{extra}")
    path = tmp_path / name
    path.write_text(text)
    return path


# --- file format ------------------------------------------------------------------------------

def test_grid_is_a_cartesian_product_first_key_slowest_then_explicit_points():
    a, b = "hops.barrier_ev", "segments.0.label"
    c = cp.from_dict({"base": "quick", "grid": {a: [1, 2], b: ["p", "q", "r"]}, "points": [{a: 9}]})
    assert c.points == [{a: 1, b: "p"}, {a: 1, b: "q"}, {a: 1, b: "r"},
                        {a: 2, b: "p"}, {a: 2, b: "q"}, {a: 2, b: "r"}, {a: 9}]


@pytest.mark.parametrize("grid, key", [({"hops.barier_ev": [0.7]}, "hops.barier_ev"),
                                       ({"segments.0.duration": ["5 s", "soon"]}, "segments[0].duration"),
                                       ({"segments.7.duration": ["5 s"]}, "segments.7"),
                                       ({"lattice.thickness_nm": [float("nan")]}, "thickness_nm")])
def test_a_point_that_does_not_load_is_refused_up_front(grid, key):
    with pytest.raises(ConfigError) as err:
        cp.from_dict({"base": "quick", "grid": grid})
    assert "points[" in str(err.value) and key in str(err.value)


def test_nested_and_quoted_dotted_keys_are_the_same():
    import tomllib

    nested = cp.from_dict(tomllib.loads('base = "quick"\n[grid]\nhops.barrier_ev = [0.7]\n'
                                        'segments.0.duration = ["5 s"]\n'))
    quoted = cp.from_dict(tomllib.loads('base = "quick"\n[grid]\n"hops.barrier_ev" = [0.7]\n'
                                        '"segments.0.duration" = ["5 s"]\n'))
    assert nested.points == quoted.points == [{"hops.barrier_ev": 0.7, "segments.0.duration": "5 s"}]
    assert nested.fingerprint() == quoted.fingerprint()


def test_defaults_one_point_and_the_base_protocols_seed():
    c = cp.from_dict({"base": "quick"})
    assert c.points == [{}] and c.replicas == 1 and c.seed == load("quick").seed


def test_point_overrides_reach_the_config(tmp_path):
    c = cp.load_campaign(tiny_campaign(tmp_path))
    conf = c.config(1)
    assert conf.plugins["hops"].params["barrier_ev"] == 1.01
    assert conf.plugins["lattice"].params["thickness_nm"] == 4
    assert conf.segments[0].duration_s == 20


def test_base_path_is_relative_to_the_campaign_file(tmp_path):
    (tmp_path / "protocols").mkdir()
    (tmp_path / "protocols" / "mine.toml").write_text(find_protocol("quick").read_text())
    (tmp_path / "c.toml").write_text('base = "protocols/mine.toml"\n')
    c = cp.load_campaign(tmp_path / "c.toml")
    assert c.base_path == tmp_path / "protocols" / "mine.toml"


def test_bundled_example_campaign_loads_and_every_point_is_valid():
    c = cp.load_campaign("barrier_scan")
    assert c.n_points == 7 and c.replicas == 4
    assert all(c.config(p).segments for p in range(c.n_points))  # every point's protocol loads


@pytest.mark.parametrize("data, key, words", [
    ({"base": "quick", "replica": 2}, "replica", "unknown campaign key"),
    ({"replicas": 2}, "base", "required"),
    ({"base": "no_such_protocol"}, "protocol", "no such file"),
    ({"base": "quick", "replicas": 0}, "replicas", ">= 1"),
    ({"base": "quick", "seed": -1}, "seed", ">= 0"),
    ({"base": "quick", "grid": {"hops.barrier_ev": 0.7}}, "grid.hops.barrier_ev", "list"),
    ({"base": "quick", "grid": {"run.seed": [1, 2]}}, "grid.run.seed", "root `seed"),
    ({"base": "quick", "points": [{"hops.barrier_ev": 1}, {"hops.barrier_ev": 1}]}, "points[1]", "same as point 0"),
])
def test_campaign_file_errors_name_the_key(data, key, words):
    with pytest.raises(ConfigError) as err:
        cp.from_dict(data)
    assert err.value.key == key and words in str(err.value)


def test_fingerprint_tracks_what_results_depend_on_only():
    a = cp.from_dict({"base": "quick", "title": "a", "replicas": 2})
    assert cp.from_dict({"base": "quick", "title": "b", "replicas": 2}).fingerprint() == a.fingerprint()
    assert cp.from_dict({"base": "quick", "replicas": 3}).fingerprint() != a.fingerprint()
    assert cp.from_dict({"base": "quick", "replicas": 2, "seed": 5}).fingerprint() != a.fingerprint()


def test_reduce_runs_every_point_on_the_similarity_scaled_film(tmp_path):
    """[reduce]: each point's protocol is the unreduced one scaled by kmc.config.reduced; the
    fingerprint of a campaign without it is unchanged; bad tables are refused by key; a run's
    store records the reduced film."""
    from kmc.config.reduced import scaled

    a = cp.from_dict({"base": "quick", "replicas": 2, "points": [{"hops.barrier_ev": 0.9}]})
    assert "reduce" not in a.canonical()
    r = cp.from_dict({"base": "quick", "replicas": 2, "points": [{"hops.barrier_ev": 0.9}],
                      "reduce": {"thickness_nm": 4, "cells_xy": [2, 2]}})
    assert r.fingerprint() != a.fingerprint()
    assert r.config(0).resolved() == scaled(a.config(0).resolved(), 4.0, [2, 2])
    for bad, key in (({"thickness_nm": 0}, "reduce.thickness_nm"), ({"cells_xy": [2, 2]}, "reduce"),
                     ({"thickness_nm": 4, "cells_xy": [2]}, "reduce.cells_xy")):
        with pytest.raises(ConfigError) as exc:
            cp.from_dict({"base": "quick", "reduce": bad})
        assert exc.value.key == key
    path = tiny_campaign(tmp_path, replicas=1, grid='"hops.barrier_ev" = [0.95]',
                         extra='[reduce]\nthickness_nm = 2\n')
    run_campaign(cp.load_campaign(path), tmp_path / "r.zarr")
    cfg = json.loads(json.dumps(dict(zarr.open_group(str(tmp_path / "r.zarr/points/0/replicas/0"), mode="r").attrs)))
    assert cfg["config"]["lattice"]["thickness_nm"] == 2.0
    assert cfg["config"]["segments"][0]["duration"] == "5 s"  # 20 s x (2/4)^2


# --- running, seeds, layout, summaries ----------------------------------------------------------

@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("camp")
    c = cp.load_campaign(tiny_campaign(tmp, replicas=3))
    report = run_campaign(c, tmp / "out.zarr")
    return c, tmp / "out.zarr", report


def test_layout_and_completion(finished):
    c, out, report = finished
    assert (report.complete, report.failed, report.skipped) == (6, 0, 0)
    root = zarr.open_group(str(out), mode="r")
    meta = root.attrs["mikmc_campaign"]
    assert meta["points"] == c.points and meta["seed"] == 3 and meta["replicas"] == 3
    for p in range(2):
        assert root[f"points/{p}"].attrs["overrides"] == c.points[p]
        for r in range(3):
            g = root[f"points/{p}/replicas/{r}"]
            assert g.attrs["complete"] and g.attrs["spawn_key"] == [p, r] and g.attrs["seed"] == 3


def test_replica_seed_is_root_seed_spawned_by_point_and_replica(finished):
    c, out, _ = finished
    root = zarr.open_group(str(out), mode="r")
    sim = Simulation(load("quick", c.overrides(1)), seed=3, spawn_key=(1, 2))
    last = sim.run()
    got = read_frames(root["points/1/replicas/2"])
    np.testing.assert_array_equal(got["n_profile"][-1], last["n_profile"])
    assert got["events"][-1] == last["events"]
    other = read_frames(root["points/1/replicas/1"])
    assert not np.array_equal(other["n_profile"], got["n_profile"])


def test_replica_group_is_what_a_single_run_store_holds(finished, tmp_path):
    c, out, _ = finished
    sim = Simulation(load("quick", c.overrides(0)), seed=3, spawn_key=(0, 1))
    sim.run(sim.open_store(zarr.open_group(str(tmp_path / "run.zarr"), mode="w")))
    assert cs.diff_stores(zarr.open_group(str(out), mode="r")["points/0/replicas/1"], tmp_path / "run.zarr") == []


def test_summary_is_mean_and_standard_error_over_replicas(finished):
    c, out, _ = finished
    root = zarr.open_group(str(out), mode="r")
    for p in range(2):
        runs = np.stack([read_frames(root[f"points/{p}/replicas/{r}"])["n_profile"] for r in range(3)])
        summary = root[f"points/{p}/summary"]
        assert summary.attrs["replicas"] == [0, 1, 2] and summary.attrs["n"] == 3
        np.testing.assert_allclose(summary["mean/n_profile"][...], runs.mean(axis=0))
        np.testing.assert_allclose(summary["sem/n_profile"][...], runs.std(axis=0, ddof=1) / np.sqrt(3))
        assert summary["mean/n_profile"].attrs["units"] == "1"
        assert set(read_frames(summary["mean"])) == set(read_frames(root[f"points/{p}/replicas/0"]))


def test_status_and_cli_status(finished):
    _, out, _ = finished
    st = cs.status(out)
    assert (st["complete"], st["failed"], st["remaining"], st["n_points"]) == (6, 0, 0, 2)
    result = CliRunner().invoke(main, ["campaign", "--status", str(out)])
    assert result.exit_code == 0, result.output
    assert "complete 6" in result.output and "hops.barrier_ev=1.01" in result.output


def test_rerun_of_a_finished_campaign_runs_nothing(finished, tmp_path):
    c, out, _ = finished
    report = run_campaign(c, out)
    assert report.ran == 0 and report.skipped == 6


# --- failures -----------------------------------------------------------------------------------

def test_crashing_replicas_are_recorded_and_the_rest_runs(tmp_path, monkeypatch):
    path = tiny_campaign(tmp_path, extra='[[points]]\n"hops.barrier_ev" = 0.9\n')
    original = Simulation.run

    def flaky(self, *args, **kwargs):
        if self.spawn_key == (1, 0):
            raise FloatingPointError("rates overflowed")
        if self.spawn_key[0] == 2:
            raise ConfigError("segments[0].duration", "soon", "not a duration")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Simulation, "run", flaky)
    report = run_campaign(cp.load_campaign(path), tmp_path / "out.zarr")
    assert (report.complete, report.failed) == (3, 3)
    st = cs.status(tmp_path / "out.zarr")
    assert st["points"][1]["errors"] == {0: "FloatingPointError: rates overflowed"}
    assert "ConfigError" in st["points"][2]["errors"][0] and "segments[0].duration" in st["points"][2]["errors"][0]
    root = zarr.open_group(str(tmp_path / "out.zarr"), mode="r")
    assert root["points/1/summary"].attrs["replicas"] == [1] and root["points/1/summary"].attrs["n_failed"] == 1
    assert root["points/2/summary"].attrs["n"] == 0

    # failed replicas are kept on a rerun, and run again on request
    monkeypatch.setattr(Simulation, "run", original)
    assert run_campaign(cp.load_campaign(path), tmp_path / "out.zarr").ran == 0
    report = run_campaign(cp.load_campaign(path), tmp_path / "out.zarr", retry_failed=True)
    assert (report.ran, report.complete, report.failed) == (3, 3, 0)


# --- changed files, extend --------------------------------------------------------------------

def test_changed_file_is_refused_unless_extended(tmp_path):
    path = tiny_campaign(tmp_path, replicas=1)
    run_campaign(cp.load_campaign(path), tmp_path / "out.zarr")
    tiny_campaign(tmp_path, replicas=2, grid='"hops.barrier_ev" = [0.95, 1.01, 0.98]')
    with pytest.raises(cs.StoreMismatch, match=r"changed since .*replicas 1 -> 2; 1 new point\(s\).*--extend"):
        run_campaign(cp.load_campaign(path), tmp_path / "out.zarr")
    result = CliRunner().invoke(main, ["campaign", str(path), "-o", str(tmp_path / "out.zarr")])
    assert result.exit_code == 2 and "--extend" in result.output

    report = run_campaign(cp.load_campaign(path), tmp_path / "out.zarr", extend=True)
    assert (report.ran, report.skipped) == (4, 2)
    st = cs.status(tmp_path / "out.zarr")
    assert (st["n_points"], st["replicas"], st["complete"]) == (3, 2, 6)
    # the same file again is accepted without --extend
    assert run_campaign(cp.load_campaign(path), tmp_path / "out.zarr").ran == 0

    # a fresh campaign from the extended file gives the same results
    run_campaign(cp.load_campaign(path), tmp_path / "fresh.zarr")
    assert cs.diff_stores(tmp_path / "fresh.zarr", tmp_path / "out.zarr") == []


def test_extend_refuses_changes_that_would_invalidate_finished_replicas(tmp_path):
    path = tiny_campaign(tmp_path, replicas=1)
    run_campaign(cp.load_campaign(path), tmp_path / "out.zarr")
    tiny_campaign(tmp_path, replicas=1, grid='"hops.barrier_ev" = [0.95]')
    with pytest.raises(cs.StoreMismatch, match=r"cannot extend: points \[1\] of the store are not in the file"):
        run_campaign(cp.load_campaign(path), tmp_path / "out.zarr", extend=True)
    path.write_text(path.read_text().replace("seed = 3", "seed = 4"))
    with pytest.raises(cs.StoreMismatch, match="root seed changed"):
        run_campaign(cp.load_campaign(path), tmp_path / "out.zarr", extend=True)


def test_refuses_a_store_that_is_not_a_campaign(tmp_path):
    zarr.open_group(str(tmp_path / "run.zarr"), mode="w").attrs["frames_written"] = 0
    with pytest.raises(cs.StoreMismatch, match="not a mikmc campaign store"):
        run_campaign(cp.load_campaign(tiny_campaign(tmp_path)), tmp_path / "run.zarr")


# --- resume -------------------------------------------------------------------------------------

def test_resume_after_incomplete_and_missing_replicas_equals_uninterrupted(tmp_path, finished):
    c, reference, _ = finished
    out = tmp_path / "out.zarr"
    run_campaign(c, out)
    # what a crash leaves: a replica cut short, one never started, a summary half written
    g = zarr.open_group(str(out), path="points/0/replicas/1", mode="r+")
    g.attrs.update({"complete": False, "frames_written": 1})
    g["n_profile"][2:] = np.nan
    zarr.open_group(str(out), path="points/1/replicas", mode="r+").__delitem__("2")
    (out / "points" / "1" / "summary" / "zarr.json").write_text('{"zarr_format": 3, "node_')
    st = cs.status(out)
    assert (st["complete"], st["incomplete"], st["missing"]) == (4, 1, 1)

    report = run_campaign(c, out)
    assert (report.ran, report.skipped) == (2, 4)
    assert cs.diff_stores(reference, out) == []


def test_resume_after_sigkill_of_a_running_campaign(tmp_path):
    path = tiny_campaign(tmp_path, replicas=10)  # 20 replicas: the kill lands mid-way even on a slow machine
    out = tmp_path / "out.zarr"
    env = {k: v for k, v in os.environ.items() if k not in ("PMI_RANK", "PMI_SIZE", "PMI_FD")}
    cmd = [str(Path(sys.executable).parent / "mikmc"), "campaign", str(path), "-o", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120  # start-up and jit compilation can be slow under load
    while time.time() < deadline:
        done = [p for p in out.glob("points/*/replicas/*/zarr.json") if '"complete": true' in p.read_text()]
        if len(done) >= 2:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    st = cs.status(out)
    assert 2 <= st["complete"] < 20, st

    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    st = cs.status(out)
    assert st["complete"] == 20 and all(pt["summary"] for pt in st["points"])
    run_campaign(cp.load_campaign(path), tmp_path / "reference.zarr")
    assert cs.diff_stores(tmp_path / "reference.zarr", out) == []


# --- serial use never needs MPI -----------------------------------------------------------------

def test_serial_campaign_does_not_import_mpi4py(tmp_path):
    path = tiny_campaign(tmp_path, replicas=1, grid='"hops.barrier_ev" = [0.98]')
    env = {k: v for k, v in os.environ.items() if k not in ("PMI_RANK", "PMI_SIZE", "PMI_FD")}
    code = ("import sys\nfrom kmc.cli import main\n"
            f"main(['campaign', {str(path)!r}, '-o', {str(tmp_path / 'o.zarr')!r}, '--quiet'], standalone_mode=False)\n"
            "assert 'mpi4py' not in sys.modules, 'mpi4py imported'\n")
    # cwd: not the source tree, which `python -c` would put first on sys.path
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 replicas complete" in result.stdout


def test_star_addresses_every_segment_and_a_later_key_overrides_it():
    from kmc.config import apply_overrides

    c = cp.from_dict({"base": "paper/high_m_3min", "points": [{"segments.*.field_oe": 250, "segments.3.field_oe": 7}]})
    fields = [s.field_oe for s in c.config(0).segments]
    assert fields[3] == 7 and all(f == 250 for i, f in enumerate(fields) if i != 3) and len(fields) == 13
    with pytest.raises(ConfigError) as err:
        apply_overrides({"hops": {"barrier_ev": 0.7}}, {"hops.*": 1})
    assert "list" in str(err.value)


def test_every_replica_opens_as_a_dataset(finished):
    from kmc.io import open_run, run_groups

    c, out, _ = finished
    groups = run_groups(out)
    assert groups == [f"points/{p}/replicas/{r}" for p in range(c.n_points) for r in range(c.replicas)]
    assert open_run(out, groups[-1]).sizes["frame"] == zarr.open_group(str(out), mode="r")[groups[-1]].attrs["frames_written"]


def test_replicas_run_the_base_protocol_as_read_when_the_campaign_was_loaded(tmp_path):
    """Editing the base protocol while a campaign runs must not change the replicas still to run
    (a resumed campaign sees the change through base_sha256 instead)."""
    import shutil

    from kmc.config import find_protocol

    base = tmp_path / "base.toml"
    shutil.copy(find_protocol("quick"), base)
    camp = cp.from_dict({"base": str(base), "replicas": 1, "grid": {"hops.barrier_ev": [0.95, 0.98]}})
    before = camp.config(1).resolved()
    base.write_text(base.read_text().replace("cells_xy = [3, 3]", "cells_xy = [5, 5]", 1))
    assert camp.config(1).resolved() == before
    assert cp.from_dict({"base": str(base), "replicas": 1}).base_sha256 != camp.base_sha256


def test_report_of_a_running_campaign_skips_replicas_without_a_frame(tmp_path, finished):
    """A replica that has started but not written a frame (what `mikmc report` meets on a running
    campaign) adds nothing and marks its point incomplete; a point none of whose replicas has a frame
    is left out (it used to fail the whole report with "not a mikmc store"); a replica not begun at all
    (no group) marks its point incomplete (it used to be counted complete from the replicas there)."""
    import shutil

    from kmc.paper.report import load

    _, reference, _ = finished
    out = tmp_path / "running.zarr"
    shutil.copytree(reference, out)
    for r in ("0", "1", "2"):
        g = zarr.open_group(str(out), path=f"points/1/replicas/{r}", mode="r+")
        del g.attrs["frames_written"]
        if r == "0":
            runs = {res.name: res for res in load(out)}
            assert runs["running/0"].complete and not runs["running/1"].complete
            assert len(runs["running/1"].replicas) == 2 and len(runs["running/0"].replicas) == 3
    assert [res.name for res in load(out)] == ["running/0"]
    # a replica not begun at all (its group is made when a rank starts it) leaves its point incomplete too
    zarr.open_group(str(out), path="points/0/replicas", mode="r+").__delitem__("2")
    (res,) = load(out)
    assert not res.complete and len(res.replicas) == 2
