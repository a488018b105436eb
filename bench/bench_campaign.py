"""Parallel efficiency of campaign replicas at 1 and 2 ranks, and the store's cost per replica.

    /work/venv/bin/python bench/bench_campaign.py [--replicas 16] [--ranks 1 2] [--set KEY=VALUE ...]

For each rank count n the campaign runs under ``mpiexec -n n`` (each rank first runs one replica
untimed, so numba's cache is loaded), and the wall time T(n) of ``run_campaign`` is measured on
rank 0 between barriers. Reported:

- t_bare: one replica without any store (Simulation + run), median over a few, serial;
- store overhead per replica: t - t_bare with the replica written as a campaign writes it
  (BufferedReplica: all frames at the end) and as `mikmc run` writes it (RunStore, frame by frame);
- speedup efficiency E(n) = T(1) / (n T(n))  (the figure with a target of >= 0.95 at 2 ranks);
- ideal efficiency  I(n) = N t_bare / (n T(n))  (1.0 = no store, scheduling or summary cost at all);
- hardware ceiling E_hw(n): n independent serial processes (no MPI, no store) against one; on a
  machine whose cores slow each other down E(n) cannot exceed it, so E / E_hw is the scheduler's share.

BLAS pools are limited to one thread per process (OMP/OPENBLAS/MKL_NUM_THREADS=1 unless set).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one thread per rank
    os.environ.setdefault(_var, "1")

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def campaign_text(replicas: int, sets: dict) -> str:
    lines = ['title = "bench"', 'base = "quick"', f"replicas = {replicas}", "seed = 5", "[set]"]
    lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in sets.items()]
    return "\n".join(lines) + "\n"


def child(args) -> None:
    """Runs under mpiexec: warm up, then time the campaign on every rank."""
    from mpi4py import MPI

    from kmc.campaigns import campaign as cp
    from kmc.campaigns.runner import run_campaign
    from kmc.engine.simulation import Simulation

    comm = MPI.COMM_WORLD
    camp = cp.load_campaign(args.campaign)
    Simulation(camp.config(0), seed=99, spawn_key=(0, 10_000 + comm.Get_rank())).run()  # numba cache
    comm.Barrier()
    t0 = time.perf_counter()
    report = run_campaign(camp, args.out, comm=comm if comm.Get_size() > 1 else None)
    comm.Barrier()
    wall = time.perf_counter() - t0
    if comm.Get_rank() == 0:
        Path(args.result).write_text(json.dumps({"wall_s": wall, "replica_wall_s": report.replica_wall_s,
                                                 "by_rank": report.by_rank, "failed": report.failed}))


def replica_times(camp, repeats: int = 5) -> dict:
    import zarr

    from kmc.engine.simulation import Simulation

    conf = camp.config(0)
    Simulation(conf, seed=1, spawn_key=(9, 9)).run()  # warm
    from kmc.campaigns.campaign_store import BufferedReplica

    bare, stored, buffered = [], [], []
    tmp = Path(tempfile.mkdtemp(prefix="mikmc-bench-"))
    try:
        for r in range(repeats):
            t = time.perf_counter()
            Simulation(conf, seed=5, spawn_key=(0, r)).run()
            bare.append(time.perf_counter() - t)
            t = time.perf_counter()
            sim = Simulation(conf, seed=5, spawn_key=(0, r))
            sim.run(sim.open_store(zarr.open_group(str(tmp / f"{r}.zarr"), mode="w")))
            stored.append(time.perf_counter() - t)
            t = time.perf_counter()
            sim = Simulation(conf, seed=5, spawn_key=(0, r))
            sim.run(BufferedReplica(sim, zarr.open_group(str(tmp / f"b{r}.zarr"), mode="w")))
            buffered.append(time.perf_counter() - t)
        n_frames = len(sim.frames)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"t_bare_s": statistics.median(bare), "t_store_s": statistics.median(stored),
            "t_buffered_s": statistics.median(buffered), "n_frames": n_frames}


def hardware_ceiling(campaign_path: Path, n: int, repeats: int = 8) -> float:
    """Replicas per second of n independent serial processes (no MPI, no store) over one process's.

    The best any scheduler can do on this machine: E_hw(n) = that ratio / n.
    """
    code = ("import sys, time\nfrom kmc.campaigns import campaign as cp\nfrom kmc.engine.simulation import Simulation\n"
            f"c = cp.load_campaign({str(campaign_path)!r}); conf = c.config(0)\n"
            "Simulation(conf, seed=1, spawn_key=(9, 9)).run()\n"
            "t = time.perf_counter()\n"
            f"for r in range({repeats}): Simulation(conf, seed=5, spawn_key=(0, r)).run()\n"
            f"print((time.perf_counter() - t) / {repeats})\n")

    def per_replica(k: int) -> float:
        procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(k)]
        return statistics.mean(float(p.communicate()[0]) for p in procs)

    return per_replica(1) / per_replica(n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicas", type=int, default=16)
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                    help='override of the quick protocol, TOML value, e.g. segments.0.duration="4 min"')
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--campaign", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return

    import tomllib

    from kmc.campaigns import campaign as cp
    sets = {k: tomllib.loads(f"v = {v}")["v"] for k, v in (s.split("=", 1) for s in args.sets)}
    tmp = Path(tempfile.mkdtemp(prefix="mikmc-bench-"))
    try:
        path = tmp / "bench.toml"
        path.write_text(campaign_text(args.replicas, sets))
        camp = cp.load_campaign(path)
        rt = replica_times(camp)
        over_run = rt["t_store_s"] - rt["t_bare_s"]
        over_camp = rt["t_buffered_s"] - rt["t_bare_s"]
        print(f"replica: quick protocol {sets or ''}, {rt['n_frames']} frames; t_bare = {rt['t_bare_s']:.3f} s "
              f"(Simulation + run, no store)")
        print(f"store overhead per replica: campaign (BufferedReplica, one write per array) {over_camp:.3f} s; "
              f"single-run RunStore (a write per array per frame) {over_run:.3f} s = "
              f"{over_run / rt['n_frames'] * 1e3:.1f} ms per frame")
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
              "(other processes on the machine distort every figure below)")
        ceilings = {n: hardware_ceiling(path, n) for n in args.ranks if n > 1}
        for n, e in ceilings.items():
            print(f"hardware ceiling: {n} independent serial processes run replicas at E_hw = {e:.3f} "
                  f"of {n}x one process's rate")
        mpiexec = Path(sys.executable).parent / "mpiexec"
        walls = {}
        for n in args.ranks:
            out, result = tmp / f"n{n}.zarr", tmp / f"n{n}.json"
            subprocess.run([str(mpiexec), "-n", str(n), sys.executable, str(HERE), "--child", "--campaign", str(path),
                            "--out", str(out), "--result", str(result)], check=True)
            res = json.loads(result.read_text())
            walls[n] = res["wall_s"]
            per = statistics.mean(res["replica_wall_s"])
            e = walls[args.ranks[0]] * args.ranks[0] / (n * walls[n])
            ideal = args.replicas * rt["t_bare_s"] / (n * walls[n])
            print(f"{n} rank(s): T = {walls[n]:.2f} s for {args.replicas} replicas "
                  f"(mean {per:.3f} s per replica incl. store; by rank {res['by_rank']}); "
                  f"E = {e:.3f}  ideal efficiency = {ideal:.3f}"
                  + (f"  E / E_hw = {e / ceilings[n]:.3f}" if n in ceilings else ""))
            if res["failed"]:
                print(f"  warning: {res['failed']} replicas failed")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        if len(walls) > 1:
            from kmc.campaigns.campaign_store import diff_stores

            first, *rest = args.ranks
            same = all(diff_stores(tmp / f"n{first}.zarr", tmp / f"n{n}.zarr") == [] for n in rest)
            print(f"stores identical across rank counts: {same}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
