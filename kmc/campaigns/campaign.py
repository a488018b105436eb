"""A campaign file: replicas x a parameter grid of one base protocol, parsed and checked into a
:class:`Campaign` (and the canonical JSON and SHA-256 fingerprints of its content).

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
    [reduce]                    # optional: every point on a thinner film, times scaled by (L'/L)²
    thickness_nm = 20           # (kmc.config.reduced; a cheap fidelity level for calibrations)
    cells_xy = [4, 4]

Replica r of point p runs ``Simulation(load(base, set | point), seed=seed, spawn_key=(p, r))``, so
its random streams depend on (seed, p, r) only: the same results on any number of ranks, in any
order. :mod:`kmc.campaigns.runner` runs them into one Zarr store (:mod:`kmc.campaigns.campaign_store`),
handing the work out by :mod:`kmc.campaigns.scheduler`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

from kmc import config as cfg
from kmc.config import ConfigError, find_bundled, read_toml
from kmc.config.reduced import scaled

CAMPAIGN_KEYS = ("title", "description", "base", "replicas", "seed", "set", "grid", "points", "reduce")
#: keys of ``reduce``: every point on a thinner (and narrower) film, times scaled (kmc.config.reduced)
REDUCE_KEYS = ("thickness_nm", "cells_xy")


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
    #: {"thickness_nm": L, "cells_xy": [nx, ny] (optional)}: every point runs on a similarity-reduced
    #: film (:func:`kmc.config.reduced.scaled`, applied after the overrides); None: as configured
    reduce: dict | None = None

    @property
    def n_points(self) -> int:
        return len(self.points)

    def overrides(self, point: int) -> dict:
        """Every dotted override of a point: the campaign's [set] table, then the point's keys."""
        return {**self.fixed, **self.points[point]}

    def config(self, point: int) -> cfg.RunConfig:
        """The run config of a point (raises ConfigError for a bad parameter combination), from the
        base protocol as it was read with the campaign file."""
        run = cfg.from_dict(cfg.apply_overrides(self.base_data, self.overrides(point)), source=str(self.base_path))
        if self.reduce is None:
            return run
        try:
            return cfg.from_dict(scaled(run.resolved(), self.reduce["thickness_nm"], self.reduce.get("cells_xy")),
                                 source=f"{self.base_path} (reduced: {self.reduce})")
        except ValueError as exc:
            raise ConfigError("reduce", self.reduce, str(exc)) from None

    def canonical(self) -> dict:
        """What the results depend on; stored with the results to detect a changed file."""
        return {"base_sha256": self.base_sha256, "seed": self.seed, "replicas": self.replicas,
                "set": self.fixed, "points": self.points, **({"reduce": self.reduce} if self.reduce else {})}

    def fingerprint(self) -> str:
        return _sha256(self.canonical())

    def describe(self) -> dict:
        return {"title": self.title, "description": self.description, "source": self.source,
                "base": self.base, "base_source": str(self.base_path), **self.canonical(),
                "fingerprint": self.fingerprint()}


def check_reduce(where: str, value) -> dict | None:
    """A ``reduce`` table checked: {"thickness_nm": > 0, "cells_xy": [nx, ny] >= 1 (optional)}."""
    if value is None:
        return None
    if not isinstance(value, dict) or "thickness_nm" not in value or set(value) - set(REDUCE_KEYS):
        raise ConfigError(where, value, "a table { thickness_nm = L (nm) [, cells_xy = [nx, ny]] }")
    t = value["thickness_nm"]
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not t > 0:
        raise ConfigError(f"{where}.thickness_nm", t, "must be a number > 0 (nm)")
    cells = value.get("cells_xy")
    if cells is not None and not (isinstance(cells, list) and len(cells) == 2
                                  and all(isinstance(c, int) and not isinstance(c, bool) and c >= 1 for c in cells)):
        raise ConfigError(f"{where}.cells_xy", cells, "must be two integers >= 1")
    return {"thickness_nm": float(t), **({"cells_xy": list(cells)} if cells is not None else {})}


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
                    source=source, reduce=check_reduce("reduce", data.get("reduce")))
    for i, point in enumerate(points):  # every point's protocol must load: unknown keys, bad values
        try:
            camp.config(i)
        except ConfigError as exc:
            what = ", ".join(f"{k} = {v!r}" for k, v in point.items()) or "the [set] table"
            raise ConfigError(f"points[{i}]", cfg.MISSING, f"({what}) {exc}") from None
    return camp
