"""Evaluations: a parameter vector's targets measured by running (or reusing) its campaigns.

Every evaluation runs, per base protocol, a one-point campaign of ``replicas`` replicas into its own
campaign store inside the calibration store (:mod:`kmc.calibration.store`). All evaluations use the
same root seed and the same spawn keys (0, r): common random numbers, so the objective is a
smooth-ish function of the parameters. The store name is the campaign fingerprint (base protocol
content, seed, replicas, [set], parameter values rounded to 12 digits), so a rerun finds every
finished evaluation and only runs what is missing: calibrations resume.

An :class:`Evaluation` holds per target the mean and its standard error over the complete replicas
(in the target's units), every replica's value (replica r of every evaluation has the same random
streams, so differences between evaluations can be taken replica by replica) and the core-seconds
their runs took.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from kmc.analysis.stats import mean_se
from kmc.calibration.spec import Calibration
from kmc.campaigns import campaign as cp
from kmc.campaigns import campaign_store as cs
from kmc.campaigns import scheduler
from kmc.campaigns.runner import run_replica


@dataclass
class Evaluation:
    params: np.ndarray
    mean: np.ndarray          # per target, over complete replicas
    sem: np.ndarray
    n: np.ndarray             # replicas used per target
    ran: int = 0              # replicas run for it now (0: all reused)
    core_s: float = 0.0       # core-seconds of its complete replicas (their recorded wall time), all bases
    replica_values: np.ndarray | None = None  # targets x replicas, NaN where a replica is not complete


class Evaluator:
    """Runs (or reuses) the campaigns of parameter vectors; collective over ``comm``."""

    def __init__(self, cal: Calibration, store_path, comm=None, log=lambda m: None):
        self.cal, self.store, self.comm = cal, str(store_path), comm
        self.rank = 0 if comm is None else comm.Get_rank()
        self.log = log if self.rank == 0 else (lambda m: None)
        self.history: list[Evaluation] = []
        self.new_evaluations = 0
        self.replicas_run = 0

    def path(self, base: str, camp: cp.Campaign) -> str:
        return f"{self.store}/evaluations/{base}/{camp.fingerprint()[:16]}"

    def evaluate(self, batch: list[np.ndarray], cals: list[Calibration] | None = None) -> list[Evaluation]:
        """Evaluate parameter vectors (all bases, all replicas) as one batch of replicas over the ranks;
        ``cals``: per vector, a variant of the calibration ([set], replicas) to run it with."""
        cal = self.cal
        jobs = {}       # (i, base) -> (campaign, path)
        tasks = []
        if self.rank == 0:
            import zarr

            evals = zarr.open_group(self.store, mode="a").require_group("evaluations")
            for base in cal.bases:
                evals.require_group(base)
            for i, params in enumerate(batch):
                for base in cal.bases:
                    camp = (cals[i] if cals else cal).campaign(base, params)
                    path = self.path(base, camp)
                    camp = cs.prepare(path, camp)
                    jobs[(i, base)] = (camp, path)
                    states = cs.replica_states(path, camp)
                    tasks += [((i, base), r) for (p, r), s in sorted(states.items()) if s not in ("complete", "failed")]
        if self.comm is not None:
            jobs = self.comm.bcast(jobs, root=0)
        ran = {}

        def work(task, poll):
            camp, path = jobs[task[0]]
            return run_replica(path, camp, 0, task[1], poll)

        def on_result(task, result, source):
            ran[task[0]] = ran.get(task[0], 0) + 1
            if result["status"] == "failed":
                self.log(f"  replica failed ({task[0][1]}, {task[1]}): {result['error']}")

        wall0 = time.perf_counter()
        scheduler.run_dynamic(self.comm, tasks, work, on_result)
        out = None
        if self.rank == 0:
            out = []
            for i, params in enumerate(batch):
                for base in cal.bases:
                    if ran.get((i, base)):
                        camp, path = jobs[(i, base)]
                        cs.write_summary(path, camp, 0)
                out.append(self._collect(i, params, jobs, sum(ran.get((i, b), 0) for b in cal.bases)))
            if tasks:
                self.log(f"  ran {len(tasks)} replica(s) for {len(batch)} parameter vector(s) in "
                         f"{time.perf_counter() - wall0:.1f} s")
        if self.comm is not None:
            out = self.comm.bcast(out, root=0)
        for e in out:
            self.history.append(e)
            self.new_evaluations += e.ran > 0
            self.replicas_run += e.ran
        return out

    def _collect(self, i, params, jobs, ran) -> Evaluation:
        import zarr

        from kmc.storage.store import read_frames

        cal = self.cal
        frames = {base: {} for base in cal.bases}   # base -> {replica index: frames}
        core_s = 0.0
        n_rep = 0
        for base in cal.bases:
            camp, path = jobs[(i, base)]
            n_rep = max(n_rep, camp.replicas)
            root = zarr.open_group(path, mode="r")
            for r in range(camp.replicas):
                if cs.replica_state(root, 0, r) == "complete":
                    group = root[f"points/0/replicas/{r}"]
                    frames[base][r] = read_frames(group)
                    core_s += float(group.attrs.get("performance", {}).get("wall_time_s", 0.0))
        mean, sem, n = [], [], []
        per_replica = np.full((len(cal.targets), n_rep), np.nan)
        for k, t in enumerate(cal.targets):
            v = [t.evaluate(d) for d in frames[t.protocol].values()]
            for r, x in zip(frames[t.protocol], v):
                per_replica[k, r] = np.nan if x is None else x
            m, se = mean_se(v)
            n.append(sum(x is not None and math.isfinite(x) for x in v))
            mean.append(m)
            sem.append(se)
        return Evaluation(np.asarray(params, float), np.array(mean), np.array(sem), np.array(n), ran, core_s,
                          per_replica)


def chi2_of(e: Evaluation, values, scale_box) -> float:
    """Σ ((mean_i − value_i) / s_i)² with s = scale_box[0]; a NaN residual counts as 1e6."""
    r = (e.mean - values) / scale_box[0]
    return float(np.sum(np.where(np.isfinite(r), r, 1e6) ** 2))
