"""``mikmc barriers run``: one NEB per environment, results appended to a data file; resumable, MPI.

The config (TOML; bundled: runs/barriers/) has four parts::

    title = "..."
    [structure]      # kmc.barriers.neb.Structure: lattice_constant_a (Å), cells, metal, co, anion
    [calculator]     # name = "emt" | "module:attribute", [calculator.kwargs]
    [neb]            # kmc.barriers.neb.NebSettings: images, fmax_ev_per_a, relax_radius_a, ...
    [[environments]] # n_occ = [...], n_co = [...], per_code = 0, seed = 0   (enumerated up to symmetry)
    [[environments]] # snapshots = "run.zarr", count = 20, seed = 0, run = ""  (sampled from a run)

Every environment is one task (its id: ``shell-metals``). Rank 0 owns the data file: it creates it
(metadata: the structure, calculator and NEB settings, their SHA-256), skips the tasks already in
it (resume: run the same command again; more environments in the config extend it), hands the rest
out over the MPI ranks (kmc.campaigns.scheduler, rank 0 works too) and appends the two rows of every finished
NEB at once (forward from the start environment, backward from the end environment). A task that
raises is reported and left for the next run. A data file written with other structure, calculator
or NEB settings is refused.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kmc.barriers import datafile
from kmc.barriers.datafile import BarrierRow
from kmc.barriers.environments import Environment, code_label, enumerate_environments, sample_snapshots
from kmc.barriers.neb import CalculatorSpec, NebSettings, Structure, run_neb
from kmc.config import ConfigError, check_keys, check_number, find_bundled, read_toml

TOP_KEYS = ("title", "description", "structure", "calculator", "neb", "environments")
ENUM_KEYS = ("n_occ", "n_co", "per_code", "seed")
SNAP_KEYS = ("snapshots", "count", "seed", "run")


@dataclass
class BarriersConfig:
    """A checked ``mikmc barriers`` config."""

    title: str
    structure: Structure
    calculator: CalculatorSpec
    neb: NebSettings
    groups: list[dict] = field(default_factory=list)
    source: str = "<dict>"
    root: Path = Path(".")

    def physics(self) -> dict:
        """What the barriers depend on (besides the environment): stored in, and checked against, the data file."""
        return {"structure": {**asdict(self.structure), "cells": list(self.structure.cells)},
                "calculator": {"name": self.calculator.target, "kwargs": self.calculator.kwargs},
                "neb": {k: (str(v) if isinstance(v, float) and not math.isfinite(v) else v)
                        for k, v in asdict(self.neb).items()}}

    def sha256(self) -> str:
        return hashlib.sha256(json.dumps(self.physics(), sort_keys=True).encode()).hexdigest()

    def row_source(self) -> str:
        s = self.structure
        return (f"{Path(self.source).stem}: CI-NEB {self.calculator.describe()}, {s.metal}/{s.co}/{s.anion} "
                f"for Fe/Co/N, a = {s.lattice_constant_a} Å")

    def environments(self) -> list[Environment]:
        """The tasks, in config order, each environment once."""
        out: dict[Environment, None] = {}
        for g in self.groups:
            if "snapshots" in g:
                envs = sample_snapshots(self.root / g["snapshots"], g.get("count", 20), g.get("seed", 0),
                                        g.get("run") or None)
            else:
                envs = enumerate_environments(g["n_occ"], g["n_co"], g.get("per_code", 0), g.get("seed", 0))
            for e in envs:
                out.setdefault(e)
        return list(out)


def find_config(name_or_path) -> Path:
    """A barriers config from a path or the name of a bundled one."""
    return find_bundled("barriers config", name_or_path, "barriers")


def load_config(name_or_path) -> BarriersConfig:
    path = find_config(name_or_path)
    return from_dict(read_toml("barriers config", path), source=str(path), root=path.parent)


def _table(data: dict, key: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(key, value, "must be a table")
    return value


def _build(section: str, cls, table: dict, convert=None):
    allowed = [f for f in cls.__dataclass_fields__]
    check_keys(section, table, allowed)
    kwargs = dict(table)
    if convert:
        kwargs = convert(kwargs)
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:
        raise ConfigError(section, table, str(exc)) from None


def _int_list(where: str, value, hi: int) -> list[int]:
    if not isinstance(value, list) or not value:
        raise ConfigError(where, value, f"must be a non-empty list of integers in [0, {hi}]")
    return [int(check_number(f"{where}[{i}]", v, 0, hi, integer=True)) for i, v in enumerate(value)]


def from_dict(data: dict, source: str = "<dict>", root: Path = Path(".")) -> BarriersConfig:
    """Check a parsed config; every problem is a one-line ConfigError naming the key."""
    check_keys("", data, TOP_KEYS)

    def inf_radius(kw):
        if kw.get("relax_radius_a") == "inf":
            kw["relax_radius_a"] = math.inf
        return kw

    def cells_tuple(kw):
        if isinstance(kw.get("cells"), list):
            kw["cells"] = tuple(kw["cells"])
        return kw

    structure = _build("structure", Structure, _table(data, "structure"), cells_tuple)
    calc = _table(data, "calculator")
    if not isinstance(calc.get("kwargs", {}), dict):
        raise ConfigError("calculator.kwargs", calc["kwargs"], "must be a table of keyword arguments")
    calculator = _build("calculator", CalculatorSpec, calc)
    try:
        calculator.factory()
    except ValueError as exc:
        raise ConfigError("calculator", calc, str(exc)) from None
    neb = _build("neb", NebSettings, _table(data, "neb"), inf_radius)
    raw_groups = data.get("environments")
    if not isinstance(raw_groups, list) or not raw_groups:
        raise ConfigError("environments", raw_groups if raw_groups is not None else "(missing)",
                          "needs at least one [[environments]] table: n_occ = [...], n_co = [...] "
                          "(enumerated up to symmetry) or snapshots = \"run.zarr\", count = N")
    groups = []
    for i, g in enumerate(raw_groups):
        where = f"environments[{i}]"
        if not isinstance(g, dict):
            raise ConfigError(where, g, "must be a table")
        keys = SNAP_KEYS if "snapshots" in g else ENUM_KEYS
        check_keys(where, g, keys)
        if "snapshots" in g:
            if not isinstance(g["snapshots"], str) or not (root / g["snapshots"]).exists():
                raise ConfigError(f"{where}.snapshots", g["snapshots"], "must be a run store (path relative to "
                                  "the config file) that exists")
            check_number(f"{where}.count", g.get("count", 20), 1, 100000, integer=True)
        else:
            for key in ("n_occ", "n_co"):
                if key not in g:
                    raise ConfigError(f"{where}.{key}", "(missing)", "required: a list of integers")
            g = {**g, "n_occ": _int_list(f"{where}.n_occ", g["n_occ"], 11),
                 "n_co": _int_list(f"{where}.n_co", g["n_co"], 6)}
            check_number(f"{where}.per_code", g.get("per_code", 0), 0, 10 ** 6, integer=True)
        check_number(f"{where}.seed", g.get("seed", 0), 0, 2 ** 63 - 1, integer=True)
        groups.append(g)
    return BarriersConfig(title=str(data.get("title", Path(source).stem)), structure=structure,
                          calculator=calculator, neb=neb, groups=groups, source=source, root=root)


@dataclass
class CampaignReport:
    total: int
    done_before: int
    completed: int
    failed: int
    wall_s: float
    errors: dict = field(default_factory=dict)


def rows_of(result, source: str) -> list[BarrierRow]:
    """The data rows of one NEB: forward from the start, backward from the end environment."""
    env, end = result.env, result.env_end
    out = [BarrierRow(env.n_occ, env.n_co, result.barrier_ev, source, env=env, delta_e_ev=result.delta_e_ev,
                      task=env.key, direction="forward", converged=result.converged)]
    if end is not None:
        out.append(BarrierRow(end.n_occ, end.n_co, result.barrier_back_ev, source, env=end,
                              delta_e_ev=-result.delta_e_ev, task=env.key, direction="backward",
                              converged=result.converged))
    return out


def _prepare(config: BarriersConfig, out: Path, limit: int | None) -> tuple[list[str], int, int]:
    """Rank 0: create or check the data file; the pending task ids, the total and the number done."""
    envs = config.environments()
    if out.exists():
        try:
            data = datafile.read(out, allow_empty=True)
        except ValueError as exc:
            raise ConfigError("-o", str(out), f"exists but is not a barrier data file to resume ({exc})") from None
        sha = data.meta.get("config_sha256")
        if sha != config.sha256():
            why = "no config_sha256" if sha is None else "config_sha256 differs"
            raise ConfigError("-o", str(out), "was written with other structure, calculator or NEB settings "
                              f"({why}); write to a new file")
        done = data.tasks()
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        datafile.create(out, {"title": config.title, "config": config.source, "config_sha256": config.sha256(),
                              **config.physics(), "environment": datafile.ENVIRONMENT_DOC,
                              "versions": _versions()})
        done = set()
    pending = [e.key for e in envs if e.key not in done]
    if limit is not None:
        pending = pending[:limit]
    return pending, len(envs), len(envs) - len([e for e in envs if e.key not in done])


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("mikmc", "ase"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def run_campaign(config: BarriersConfig, out, comm=None, limit: int | None = None, log=print) -> CampaignReport | None:
    """Run the pending NEBs of ``config`` into data file ``out``; collective over ``comm`` (None: serial).

    Returns the report on rank 0, None on other ranks. ``limit``: at most this many tasks this time.
    """
    from kmc.campaigns.scheduler import run_dynamic

    out = Path(out)
    rank = 0 if comm is None else comm.Get_rank()
    t0 = time.perf_counter()
    pending, total, done_before, error = [], 0, 0, None
    if rank == 0:
        try:
            pending, total, done_before = _prepare(config, out, limit)
        except ConfigError as exc:
            error = exc
    if comm is not None:
        error = comm.bcast(None if error is None else (error.key, error.value, error.allowed), root=0)
        if error is not None and not isinstance(error, ConfigError):
            error = ConfigError(*error)
    if error is not None:
        raise error
    source = config.row_source()
    report = CampaignReport(total=total, done_before=done_before, completed=0, failed=0, wall_s=0.0)
    if rank == 0:
        log(f"{config.title}: {total} environments, {done_before} done before, {len(pending)} to run "
            f"-> {out}")

    def work(key, poll):
        try:
            return run_neb(Environment.from_key(key), config.structure, config.neb, config.calculator, poll)
        except Exception as exc:  # noqa: BLE001 - one failed NEB must not stop the others
            return f"{type(exc).__name__}: {exc}"

    def on_result(key, result, source_rank):
        k = report.completed + report.failed + 1
        env = Environment.from_key(key)
        where = f"[{k}/{len(pending)}] {code_label(*env.code)} {key}"
        if isinstance(result, str):
            report.failed += 1
            report.errors[key] = result
            log(f"{where}: failed on rank {source_rank}: {result}")
            return
        datafile.append(out, rows_of(result, source))
        report.completed += 1
        log(f"{where}: E_a {result.barrier_ev:.3f} eV, back {result.barrier_back_ev:.3f} eV, "
            f"ΔE {result.delta_e_ev:+.3f} eV, {result.n_steps} steps, {result.wall_s:.1f} s"
            + ("" if result.converged else ", NOT converged") + (f", rank {source_rank}" if comm is not None else ""))

    run_dynamic(comm, pending if rank == 0 else [], work, on_result)
    report.wall_s = time.perf_counter() - t0
    return report if rank == 0 else None
