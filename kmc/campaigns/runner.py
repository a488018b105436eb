"""Running a campaign (:class:`~kmc.campaigns.campaign.Campaign`) into its Zarr store, serially or
over MPI ranks.

Replica r of point p runs ``Simulation(campaign.config(p), seed=campaign.seed, spawn_key=(p, r))``
into ``points/<p>/replicas/<r>`` of the store (:mod:`kmc.campaigns.campaign_store`); rank 0 hands the
replicas out (:mod:`kmc.campaigns.scheduler`) and writes each point's summary. Wall times are in
seconds of wall-clock time.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

from kmc.campaigns import campaign_store as cs
from kmc.campaigns import scheduler
from kmc.campaigns.campaign import Campaign


def run_replica(store_path: str, campaign: Campaign, point: int, replica: int,
                poll: Callable[[], None] | None = None) -> dict:
    """Run one replica into ``points/<point>/replicas/<replica>`` (recreated empty); never raises.

    Returns a small result for rank 0: {"status": "complete" | "failed", ...}.
    """
    from kmc.engine.simulation import Simulation

    wall0 = time.perf_counter()
    group = cs.new_replica_group(store_path, point, replica)
    try:
        sim = Simulation(campaign.config(point), seed=campaign.seed, spawn_key=(point, replica))
        sim.attach_snapshots(group)  # a replica holds what a single run's store holds
        sim.run(cs.BufferedReplica(sim, group), progress=None if poll is None else (lambda s, i: poll()))
        return {"status": "complete", "wall_s": time.perf_counter() - wall0, "events": int(sim.stats["events"])}
    except Exception as exc:  # a bad point or a numerical failure is recorded, the campaign goes on
        error = f"{type(exc).__name__}: {exc}"
        cs.mark_failed(group, error, traceback.format_exc(limit=8))
        return {"status": "failed", "error": error, "wall_s": time.perf_counter() - wall0}


@dataclass
class CampaignReport:
    ran: int = 0
    complete: int = 0
    failed: int = 0
    skipped: int = 0
    wall_s: float = 0.0
    replica_wall_s: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    by_rank: dict = field(default_factory=dict)  # rank -> replicas it ran


def run_campaign(campaign: Campaign, store_path, comm=None, extend: bool = False, retry_failed: bool = False,
                 log: Callable[[str], None] | None = None) -> CampaignReport | None:
    """Run (or resume) a campaign into one Zarr store; collective over ``comm`` (None: serial).

    Rank 0 creates or checks the store, hands out the replicas not yet complete, writes each
    point's summary when its last replica is done and refreshes every summary at the end. Returns
    the report on rank 0, None on other ranks. Raises :class:`kmc.campaigns.campaign_store.StoreMismatch` (on
    every rank) if the store was made from a different campaign and ``extend`` does not allow it.
    """
    store_path = str(store_path)
    rank = 0 if comm is None else comm.Get_rank()
    say = log if (log is not None and rank == 0) else (lambda msg: None)
    wall0 = time.perf_counter()

    plan = None
    if rank == 0:
        try:
            campaign = cs.prepare(store_path, campaign, extend=extend, log=say)
            states = cs.replica_states(store_path, campaign)
            todo = [(p, r) for (p, r), s in sorted(states.items())
                    if s != "complete" and not (s == "failed" and not retry_failed)]
            plan = {"campaign": campaign, "todo": todo, "states": states}
        except cs.StoreMismatch as exc:
            plan = {"error": exc}
    if comm is not None and comm.Get_size() > 1:
        plan = comm.bcast(plan, root=0)
    if "error" in plan:
        raise plan["error"]
    campaign = plan["campaign"]

    report = CampaignReport()
    if rank == 0:
        states = plan["states"]
        report.skipped = len(states) - len(plan["todo"])
        total = len(states)
        say(f"{campaign.title}: {campaign.n_points} points x {campaign.replicas} replicas = {total}; "
            f"{report.skipped} done already, {len(plan['todo'])} to run"
            + (f" on {comm.Get_size()} ranks" if comm is not None else ""))
        pending, summarised = {}, set()
        for (p, r) in plan["todo"]:
            pending[p] = pending.get(p, 0) + 1

    def work(task, poll):
        return run_replica(store_path, campaign, task[0], task[1], poll)

    def on_result(task, result, source):
        p, r = task
        report.ran += 1
        report.by_rank[source] = report.by_rank.get(source, 0) + 1
        report.replica_wall_s.append(result.get("wall_s", 0.0))
        if result["status"] == "complete":
            report.complete += 1
        else:
            report.failed += 1
            report.errors[task] = result["error"]
        done = report.skipped + report.ran
        say(f"[{done}/{total}] point {p} replica {r} {result['status']} in {result.get('wall_s', 0):.2f} s"
            + (f" (rank {source})" if comm is not None else "")
            + (f": {result['error']}" if result["status"] == "failed" else ""))
        pending[p] -= 1
        if pending[p] == 0:
            _write_summary(store_path, campaign, p, say)
            summarised.add(p)

    scheduler.run_dynamic(comm, plan["todo"] if rank == 0 else [], work, on_result)
    if rank != 0:
        return None
    for p in range(campaign.n_points):  # refresh: also the points finished before a resume
        if pending.get(p, 0) == 0 and p not in summarised:
            _write_summary(store_path, campaign, p, say)
    report.wall_s = time.perf_counter() - wall0
    return report


def _write_summary(store_path: str, campaign: Campaign, point: int, say) -> None:
    try:
        cs.write_summary(store_path, campaign, point)
    except Exception as exc:  # a summary can always be rewritten by rerunning; never lose the campaign
        say(f"warning: summary of point {point} not written: {type(exc).__name__}: {exc}")
