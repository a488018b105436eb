"""The machine-readable result of paper runs: every Table 1 value and claim number with its SE.

``mikmc report`` writes it as ``result.json`` next to report.md; docs/paper.md's tables are generated
from the committed copy (``python -m kmc.publish.paper_doc docs/data/paper_result.json``), and a test fails
when the page and the result disagree. Layout (NaN written as null)::

    {"schema": "mikmc-paper-result/1", "mikmc_version", "stores": names of the stores summarised,
     "paper": Table 1 of the paper,
     "claims": [{number, text, provenance, basis, verdict, status}],
     "runs": [{"name", "state", "relax", "complete", "n_replicas", "cells_xy", "fingerprint",
               "config",                      # the resolved configuration of the first replica
               "table1": {"dMS": {"mean", "se"}, "dMR": …, "ratio": …, "dMH": …},
               "replicas": {"table1": [...], "claims": [...]},   # per replica, what the means come from
               "profiles": {...}}]}           # replica-mean depth profiles (kmc.paper.claims.depth_profiles)

:func:`runs_of` turns the JSON back into :class:`RunSummary` objects, which the markdown functions
of :mod:`kmc.paper.report` and :mod:`kmc.paper.claim_status` accept in place of loaded stores.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kmc.paper.claim_status import CLAIMS, status, verdicts
from kmc.paper.claims import PAPER_TABLE1
from kmc.analysis.stats import mean_se

SCHEMA = "mikmc-paper-result/1"
TABLE1_KEYS = ("dMS", "dMR", "ratio", "dMH")


@dataclass
class RunSummary:
    """What the paper tables need of one run or campaign point (duck-types kmc.paper.report.RunResult)."""
    name: str
    state: tuple
    complete: bool
    t1: dict
    replicas: list = field(default_factory=list)   # table1 dicts per replica ([] for a single run)
    claims: list = field(default_factory=list)     # kmc.paper.claims numbers per replica
    cells_xy: list = field(default_factory=list)
    profiles: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)    # resolved configuration of the first replica


def fingerprint(groups) -> str:
    """sha256 (16 hex) of the runs' configurations and chunk checksums (kmc.storage.integrity manifest):
    equal fingerprints mean the same data."""
    h = hashlib.sha256()
    for g in groups:
        a = dict(g.attrs)
        h.update(json.dumps([a.get("config"), a.get("seed"), a.get("spawn_key"), a.get("manifest"),
                             a.get("frames_written")], sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def _clean(obj):
    """JSON-able copy: numpy scalars/arrays to Python, NaN/inf to None, tuples to lists."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _nan(obj):
    """Inverse of _clean for numbers: None back to NaN inside number lists and dicts."""
    if isinstance(obj, dict):
        return {k: _nan(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_nan(v) for v in obj]
    return math.nan if obj is None else obj


def _mean_profiles(profiles: list[dict]) -> dict:
    profiles = [p for p in profiles if p]
    if not profiles:
        return {}
    return {k: np.mean([p[k] for p in profiles], axis=0).tolist() for k in profiles[0]}


def summarize(results) -> dict:
    """The result dict of :func:`kmc.paper.report.load` output (a list of RunResult)."""
    runs = []
    for r in results:
        t1s = r.replicas or [r.t1]
        stats = {k: dict(zip(("mean", "se"), mean_se([t[k] for t in t1s]))) for k in TABLE1_KEYS}
        config = (r.attrs.get("config") or {})
        runs.append({
            "name": r.name, "state": r.state[0], "relax": r.state[1], "complete": r.complete,
            "n_replicas": len(t1s), "cells_xy": (config.get("lattice") or {}).get("cells_xy"),
            "fingerprint": r.fingerprint, "config": config, "table1": stats,
            "replicas": {"table1": t1s, "claims": r.claims}, "profiles": _mean_profiles(r.profiles)})
    summaries = runs_of({"runs": _clean(runs)})
    v = verdicts(summaries, PAPER_TABLE1)
    claims = [{"number": c.number, "text": c.text, "provenance": c.provenance, "basis": c.basis,
               "verdict": v[c.number], "status": status(c, v[c.number])} for c in CLAIMS]
    version = results[0].attrs.get("mikmc_version") if results else None
    stores = sorted({Path(r.path).name for r in results})
    return _clean({"schema": SCHEMA, "mikmc_version": version, "stores": stores, "paper": PAPER_TABLE1,
                   "claims": claims, "runs": runs})


def runs_of(result: dict) -> list[RunSummary]:
    """RunSummary objects of a result dict (as written or read back from JSON)."""
    out = []
    for r in result["runs"]:
        reps = _nan(r["replicas"])
        t1 = {k: _nan(r["table1"][k]["mean"]) for k in TABLE1_KEYS}
        out.append(RunSummary(r["name"], (r["state"], r["relax"]), r["complete"], t1,
                              reps["table1"] if r["n_replicas"] > 1 else [], reps["claims"],
                              r.get("cells_xy") or [], _nan(r.get("profiles") or {}), r.get("config") or {}))
    return out


def write(result: dict, path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(result, indent=1, sort_keys=True, allow_nan=False) + "\n")
    return path


def read(path) -> dict:
    """A result written by :func:`write`; ValueError naming the file if it is not one."""
    try:
        result = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable mikmc paper result ({exc})") from None
    if not isinstance(result, dict) or result.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a mikmc paper result (schema {SCHEMA!r} expected)")
    return result
