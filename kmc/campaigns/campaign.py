"""Campaigns: replicas x a parameter grid of one base protocol, run serially or over MPI ranks.

A campaign file (format: docs/campaigns.md)::

    title = "Barrier scan"
    base = "quick"              # bundled protocol name, or a path relative to this file
    replicas = 4                # per point
    seed = 1                    # root seed (default: the base protocol's run.seed)
    [set]                       # overrides applied to every point
    "lattice.thickness_nm" = 6
    [grid]                      # cartesian product, the first key varying slowest
    "hops.barrier_ev" = [0.55, 0.6]
    [[points]]                  # explicit points, after the grid's
    "hops.barrier_ev" = 0.7

Replica r of point p runs ``Simulation(load(base, set | point), seed=seed, spawn_key=(p, r))``, so
its random streams depend on (seed, p, r) only: the same results on any number of ranks, in any
order. Results go to one Zarr store (:mod:`kmc.campaigns.campaign_store`); work is handed out by
:mod:`kmc.campaigns.scheduler`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kmc import config as cfg
from kmc.config import ConfigError, find_bundled, read_toml

CAMPAIGN_KEYS = ("title", "description", "base", "replicas", "seed", "set", "grid", "points")


def _canonical_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def _sha256(obj) -> str:
    return hashlib.sha256(_canonical_json(obj).encode()).hexdigest()


def flatten(table: dict, prefix: str = "") -> dict:
    """Nested TOML tables -> dotted keys: {"hops": {"barrier_ev": 0.6}} -> {"hops.barrier_ev": 0.6}.

    ``hops.barrier_ev = 0.6`` and ``"hops.barrier_ev" = 0.6`` are therefore the same key.
    """
    out = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def expand_grid(grid: dict[str, list]) -> list[dict]:
    """Cartesian product of a grid (dotted key -> values), first key varying slowest."""
    if not grid:
        return []
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def _check_key(where: str, key: str) -> None:
    if key == "run.seed":
        raise ConfigError(where, key, "replicas take their seeds from the campaign's root `seed = ...`; "
                                      "don't set run.seed per point")


@dataclass
class Campaign:
    """A parsed campaign file: base protocol, root seed, replicas per point and the points."""

    base: str
    base_path: Path
    base_sha256: str
    seed: int
    replicas: int
    points: list[dict]
    fixed: dict = field(default_factory=dict)
    #: the base protocol as read when the campaign file was parsed: every replica runs this, even if
    #: the file changes on disk while the campaign runs (base_sha256 is its hash)
    base_data: dict = field(default_factory=dict)
    title: str = ""
    description: str = ""
    source: str = "<dict>"

    @property
    def n_points(self) -> int:
        return len(self.points)

    def overrides(self, point: int) -> dict:
        """Every dotted override of a point: the campaign's [set] table, then the point's keys."""
        return {**self.fixed, **self.points[point]}

    def config(self, point: int) -> cfg.RunConfig:
        """The run config of a point (raises ConfigError for a bad parameter combination), from the
        base protocol as it was read with the campaign file."""
        return cfg.from_dict(cfg.apply_overrides(self.base_data, self.overrides(point)), source=str(self.base_path))

    def canonical(self) -> dict:
        """What the results depend on; stored with the results to detect a changed file."""
        return {"base_sha256": self.base_sha256, "seed": self.seed, "replicas": self.replicas,
                "set": self.fixed, "points": self.points}

    def fingerprint(self) -> str:
        return _sha256(self.canonical())

    def describe(self) -> dict:
        return {"title": self.title, "description": self.description, "source": self.source,
                "base": self.base, "base_source": str(self.base_path), **self.canonical(),
                "fingerprint": self.fingerprint()}


def find_campaign(name_or_path) -> Path:
    """A campaign file from a path or the name of a bundled campaign."""
    return find_bundled("campaign", name_or_path, "campaigns")


def load_campaign(path) -> Campaign:
    """Read and check a campaign file; errors are :class:`ConfigError` naming the key."""
    path = find_campaign(path)
    return from_dict(read_toml("campaign", path), source=str(path), root=path.parent)


def from_dict(data: dict, source: str = "<dict>", root: Path | None = None) -> Campaign:
    for key in data:
        if key not in CAMPAIGN_KEYS:
            raise ConfigError(key, data[key], f"unknown campaign key; allowed: {', '.join(CAMPAIGN_KEYS)}")
    base = data.get("base")
    if not isinstance(base, str) or not base:
        raise ConfigError("base", base, "required: a bundled protocol name (e.g. \"quick\") or a path "
                                        "relative to the campaign file")
    candidate = (root or Path.cwd()) / base
    base_path = candidate if candidate.is_file() else cfg.find_protocol(base)
    base_data = cfg.read_toml("base", base_path)

    replicas = data.get("replicas", 1)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 1:
        raise ConfigError("replicas", replicas, "must be an integer >= 1")
    seed = data.get("seed", base_data.get("run", {}).get("seed", cfg.RUN_KEYS["seed"]))
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError("seed", seed, "must be an integer >= 0")

    fixed_raw = data.get("set", {})
    if not isinstance(fixed_raw, dict):
        raise ConfigError("set", fixed_raw, "must be a table of dotted config keys -> values")
    fixed = flatten(fixed_raw)
    for key in fixed:
        _check_key(f"set.{key}", key)

    grid_raw = data.get("grid", {})
    if not isinstance(grid_raw, dict):
        raise ConfigError("grid", grid_raw, "must be a table of dotted config keys -> lists of values")
    grid = flatten(grid_raw)
    for key, values in grid.items():
        _check_key(f"grid.{key}", key)
        if not isinstance(values, list) or not values:
            raise ConfigError(f"grid.{key}", values, "must be a non-empty list of values")

    explicit = data.get("points", [])
    if not isinstance(explicit, list) or not all(isinstance(p, dict) for p in explicit):
        raise ConfigError("points", explicit, "must be an array of tables: [[points]] with dotted keys")
    points = expand_grid(grid) + [flatten(p) for p in explicit]
    for i, point in enumerate(points):
        for key in point:
            _check_key(f"points[{i}].{key}", key)
    if not points:
        points = [{}]
    seen = {}
    for i, point in enumerate(points):
        key = _canonical_json(point)
        if key in seen:
            raise ConfigError(f"points[{i}]", point, f"same as point {seen[key]}; each point must be distinct")
        seen[key] = i
    camp = Campaign(base=base, base_path=base_path, base_sha256=_sha256(base_data), seed=seed,
                    replicas=replicas, points=points, fixed=fixed, base_data=base_data,
                    title=str(data.get("title", Path(source).stem)), description=str(data.get("description", "")),
                    source=source)
    for i, point in enumerate(points):  # every point's protocol must load: unknown keys, bad values
        try:
            camp.config(i)
        except ConfigError as exc:
            what = ", ".join(f"{k} = {v!r}" for k, v in point.items()) or "the [set] table"
            raise ConfigError(f"points[{i}]", cfg.MISSING, f"({what}) {exc}") from None
    return camp


# --- running ----------------------------------------------------------------------------------

def run_replica(store_path: str, campaign: Campaign, point: int, replica: int,
                poll: Callable[[], None] | None = None) -> dict:
    """Run one replica into ``points/<point>/replicas/<replica>`` (recreated empty); never raises.

    Returns a small result for rank 0: {"status": "complete" | "failed", ...}.
    """
    from kmc.campaigns import campaign_store as cs
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
    from kmc.campaigns import campaign_store as cs
    from kmc.campaigns import scheduler
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
            _write_summary(cs, store_path, campaign, p, say)
            summarised.add(p)

    scheduler.run_dynamic(comm, plan["todo"] if rank == 0 else [], work, on_result)
    if rank != 0:
        return None
    for p in range(campaign.n_points):  # refresh: also the points finished before a resume
        if pending.get(p, 0) == 0 and p not in summarised:
            _write_summary(cs, store_path, campaign, p, say)
    report.wall_s = time.perf_counter() - wall0
    return report


def _write_summary(cs, store_path: str, campaign: Campaign, point: int, say) -> None:
    try:
        cs.write_summary(store_path, campaign, point)
    except Exception as exc:  # a summary can always be rewritten by rerunning; never lose the campaign
        say(f"warning: summary of point {point} not written: {type(exc).__name__}: {exc}")
