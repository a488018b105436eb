"""Campaigns over MPI ranks. Run: mpiexec -n 2 python -m pytest -m mpi tests/mpi

Every test is collective: all ranks call run_campaign on the same store; rank 0 checks results.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import zarr

from kmc.campaigns import campaign as cp
from kmc.campaigns import campaign_store as cs
from kmc.campaigns.runner import run_campaign
from kmc.engine.simulation import Simulation

MPI = pytest.importorskip("mpi4py.MPI")
COMM = MPI.COMM_WORLD
RANK = COMM.Get_rank()
pytestmark = [pytest.mark.mpi,
              pytest.mark.skipif(COMM.Get_size() < 2, reason="needs mpiexec -n 2 (or more)")]

TINY = {"segments.0.duration": "20 s", "segments.1.duration": "10 s",
        "lattice.thickness_nm": 4, "lattice.cells_xy": [2, 2]}


def write_campaign(folder: Path, replicas=3, extra="") -> Path:
    path = folder / "c.toml"
    if RANK == 0:
        path.write_text(f'title = "mpi"\nbase = "quick"\nreplicas = {replicas}\nseed = 11\n[set]\n'
                        + "".join(f"{json.dumps(k)} = {json.dumps(v)}\n" for k, v in TINY.items())
                        + '[grid]\n"hops.barrier_ev" = [0.72, 0.78]\n' + extra)
    COMM.Barrier()
    return path


@pytest.fixture
def shared_dir():
    """A folder every rank sees (rank 0 makes it)."""
    folder = COMM.bcast(tempfile.mkdtemp(prefix="mikmc-mpi-") if RANK == 0 else None, root=0)
    yield Path(folder)
    COMM.Barrier()
    if RANK == 0:
        shutil.rmtree(folder, ignore_errors=True)


def idle_wait():
    """Wait for the other ranks without a busy MPI barrier (which would eat a core)."""
    req = COMM.Ibarrier()
    while not req.Test():
        time.sleep(0.02)


def all_ranks_ok(ok: bool) -> bool:
    return COMM.allreduce(bool(ok), op=MPI.LAND)


def test_two_ranks_give_the_same_store_as_one(shared_dir):
    path = write_campaign(shared_dir)
    report = run_campaign(cp.load_campaign(path), shared_dir / "two.zarr", comm=COMM)
    if RANK == 0:
        run_campaign(cp.load_campaign(path), shared_dir / "one.zarr")  # serial, rank 0 alone
        assert (report.complete, report.failed) == (6, 0)
        assert set(report.by_rank) == set(range(COMM.Get_size())), report.by_rank  # every rank worked
        diff = cs.diff_stores(shared_dir / "one.zarr", shared_dir / "two.zarr")
        assert diff == []
    else:
        assert report is None
    idle_wait()


def test_resume_after_damage_equals_uninterrupted(shared_dir):
    path = write_campaign(shared_dir)
    camp = cp.load_campaign(path)
    run_campaign(camp, shared_dir / "ref.zarr", comm=COMM)
    run_campaign(camp, shared_dir / "out.zarr", comm=COMM)
    if RANK == 0:  # what a crash leaves behind
        out = shared_dir / "out.zarr"
        g = zarr.open_group(str(out), path="points/1/replicas/0", mode="r+")
        g.attrs.update({"complete": False, "frames_written": 2})
        g["n_film"][2:] = -1
        shutil.rmtree(out / "points" / "0" / "replicas" / "2")
        (out / "points" / "0" / "replicas" / "1" / "zarr.json").write_text('{"zarr_form')
        shutil.rmtree(out / "points" / "1" / "summary")
    COMM.Barrier()
    report = run_campaign(camp, shared_dir / "out.zarr", comm=COMM)
    if RANK == 0:
        assert (report.ran, report.skipped) == (3, 3)
        assert cs.diff_stores(shared_dir / "ref.zarr", shared_dir / "out.zarr") == []
    idle_wait()


def _clean_env():
    drop = ("PMI_", "MPI_LOCAL", "HYDRA_", "OMPI_", "PMIX_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def test_resume_after_sigkill_of_every_rank(shared_dir):
    """Rank 0 launches a separate 2-rank campaign, SIGKILLs all of it, then we resume on our ranks."""
    path = write_campaign(shared_dir, replicas=8)
    out = shared_dir / "out.zarr"
    killed_midway = True
    if RANK == 0:
        bin_dir = Path(sys.executable).parent
        cmd = [str(bin_dir / "mpiexec"), "-n", "2", str(bin_dir / "mikmc"), "campaign", str(path), "-o", str(out), "--quiet"]
        proc = subprocess.Popen(cmd, env=_clean_env(), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 40
        while time.time() < deadline:
            done = [p for p in out.glob("points/*/replicas/*/zarr.json") if '"complete": true' in p.read_text()]
            if len(done) >= 3:
                break
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        st = cs.status(out)
        killed_midway = 3 <= st["complete"] < 16
    idle_wait()
    assert all_ranks_ok(killed_midway)

    report = run_campaign(cp.load_campaign(path), out, comm=COMM)
    if RANK == 0:
        assert report.complete + report.skipped == 16
        run_campaign(cp.load_campaign(path), shared_dir / "ref.zarr")
        assert cs.diff_stores(shared_dir / "ref.zarr", out) == []
    idle_wait()


def test_failing_replicas_are_isolated(shared_dir, monkeypatch):
    path = write_campaign(shared_dir, replicas=2, extra='[[points]]\n"lattice.thickness_nm" = 3\n')
    original = Simulation.run

    def flaky(self, *args, **kwargs):
        if self.spawn_key == (0, 1):
            raise FloatingPointError("NaN rate")
        if self.spawn_key[0] == 2:
            raise ValueError("thickness_nm too thin for this test")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Simulation, "run", flaky)
    report = run_campaign(cp.load_campaign(path), shared_dir / "out.zarr", comm=COMM)
    if RANK == 0:
        assert (report.complete, report.failed) == (3, 3)
        st = cs.status(shared_dir / "out.zarr")
        assert st["points"][0]["errors"] == {1: "FloatingPointError: NaN rate"}
        assert st["points"][1]["complete"] == 2
        assert st["points"][2]["failed"] == 2 and "thickness_nm" in st["points"][2]["errors"][0]
        assert all(pt["summary"] for pt in st["points"])
    idle_wait()
