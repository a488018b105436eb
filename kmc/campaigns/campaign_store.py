"""The Zarr layout of a campaign and who may write where (docs/campaigns.md).

::

    OUT.zarr/                       attrs: mikmc_campaign (file, points, fingerprint, version)
      points/<p>/                   attrs: index, overrides               (rank 0)
        replicas/<r>/               one RunStore group per replica        (the rank that runs it)
                                    attrs complete=true when fully written, or failed=true + error
        summary/                    attrs: replicas used, n, n_failed     (rank 0)
          mean/<field>, sem/<field> mean and standard error over the complete replicas

zarr v3 rewrites a chunk, and a group's zarr.json, as a whole file, so two ranks never share
either: rank 0 writes the root, point and summary groups; a replica's group and arrays are written
only by the rank running it. Creating a replica group leaves existing parents untouched.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import numpy as np
import zarr

from kmc import __version__
from kmc.campaigns.campaign import Campaign, _canonical_json
from kmc.storage.integrity import StoreDamaged, verify_run
from kmc.storage.store import CAMPAIGN_ATTR, RunStore, _fill, _jsonable, read_frames

SCHEMA_VERSION = 1
ATTR = CAMPAIGN_ATTR


class StoreMismatch(Exception):
    """The store cannot hold this campaign (made from another campaign file, or not a campaign)."""


def is_campaign_store(path) -> bool:
    try:
        return ATTR in zarr.open_group(str(path), mode="r").attrs
    except (FileNotFoundError, ValueError, KeyError):
        return False


def _root(path, mode="r") -> zarr.Group:
    return zarr.open_group(str(path), mode=mode)


def _stored(path) -> dict | None:
    try:
        root = _root(path)
    except (FileNotFoundError, zarr.errors.GroupNotFoundError):
        return None
    except ValueError as exc:
        raise StoreMismatch(f"{path}: unreadable root metadata ({exc}); not a usable campaign store") from None
    if ATTR not in root.attrs:
        raise StoreMismatch(f"{path}: exists and is not a mikmc campaign store; choose another -o path")
    return dict(root.attrs[ATTR])


def stored_campaign(path, campaign: Campaign) -> Campaign:
    """The campaign as recorded in a store (its points in store order), with ``campaign``'s base."""
    meta = _stored(path)
    return dataclasses.replace(campaign, points=[dict(p) for p in meta["points"]], replicas=int(meta["replicas"]),
                               seed=int(meta["seed"]), fixed=dict(meta["set"]))


def _compare(old: dict, new: Campaign, path) -> tuple[list[str], list[str]]:
    """(what changed, why it cannot be an extension) between a stored campaign and a file."""
    changes, blockers = [], []
    if old["base_sha256"] != new.base_sha256:
        changes.append("base protocol content")
        blockers.append(f"the base protocol ({new.base_path}) changed")
    if old["seed"] != new.seed:
        changes.append(f"seed {old['seed']} -> {new.seed}")
        blockers.append("the root seed changed")
    if _canonical_json(old["set"]) != _canonical_json(new.fixed):
        changes.append("[set] table")
        blockers.append("the [set] overrides changed")
    if new.replicas != old["replicas"]:
        changes.append(f"replicas {old['replicas']} -> {new.replicas}")
        if new.replicas < old["replicas"]:
            blockers.append("fewer replicas than the store has")
    old_keys = [_canonical_json(p) for p in old["points"]]
    new_keys = {_canonical_json(p) for p in new.points}
    gone = [i for i, k in enumerate(old_keys) if k not in new_keys]
    added = len(new_keys - set(old_keys))
    if added:
        changes.append(f"{added} new point(s)")
    if gone:
        changes.append(f"points {gone} removed")
        blockers.append(f"points {gone} of the store are not in the file")
    if not changes:
        changes.append("point order")
    return changes, blockers


def prepare(path, campaign: Campaign, extend: bool = False, log=lambda msg: None) -> Campaign:
    """Create the store's skeleton, or check (and with ``extend``, grow) an existing one. Rank 0 only.

    Returns the campaign to run, with its points in store order.
    """
    path = str(path)
    old = _stored(path)
    fingerprint = campaign.fingerprint()
    if old is None:
        root = zarr.open_group(path, mode="w")
        effective = campaign
        summaries_stale = False
    elif old.get("file_fingerprint") == fingerprint:
        root = _root(path, "r+")
        effective = stored_campaign(path, campaign)
        summaries_stale = False
    else:
        changes, blockers = _compare(old, campaign, path)
        if not extend or blockers:
            what = "; ".join(changes)
            if extend:
                raise StoreMismatch(f"{path}: cannot extend: {'; '.join(blockers)} (finished replicas would "
                                    f"no longer match); write to a new store")
            raise StoreMismatch(f"{path}: the campaign file changed since this store was made ({what}); "
                                f"pass --extend to add points/replicas, or write to a new store")
        root = _root(path, "r+")
        known = {_canonical_json(p) for p in old["points"]}
        points = [dict(p) for p in old["points"]] + [p for p in campaign.points if _canonical_json(p) not in known]
        effective = dataclasses.replace(campaign, points=points)
        summaries_stale = campaign.replicas > old["replicas"]
        log(f"extending {path}: {'; '.join(changes)}")
    meta = {**effective.describe(), "file_fingerprint": fingerprint, "schema_version": SCHEMA_VERSION,
            "mikmc_version": __version__}
    if old is None:
        root.attrs.update(_jsonable({ATTR: meta, "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}))
    elif old.get("file_fingerprint") != fingerprint:
        root.attrs.update(_jsonable({ATTR: meta}))
    points = root.require_group("points")
    for p in range(effective.n_points):
        name = str(p)
        if "index" not in _readable_attrs(root, f"points/{name}"):
            _delete_metadata(root, f"points/{name}")  # absent, or cut short by a kill
            g = points.require_group(name)
            g.attrs.update(_jsonable({"index": p, "overrides": effective.points[p],
                                      "all_overrides": effective.overrides(p)}))
        g = points[name]
        if "replicas" not in g:
            g.require_group("replicas")
        if summaries_stale and "summary" in g:
            del g["summary"]
    return effective


def _readable_attrs(root: zarr.Group, path: str) -> dict:
    """A group's attributes, or {} if it is missing or its zarr.json was cut short by a kill."""
    try:
        return dict(root[path].attrs)
    except Exception:
        return {}


def _delete_metadata(root: zarr.Group, path: str) -> None:
    from zarr.core.sync import sync

    sync(root.store.delete(f"{path}/zarr.json"))


def replica_state(root: zarr.Group, point: int, replica: int) -> str:
    """'complete', 'damaged' (complete, then a chunk or array lost or corrupted: kmc.storage.integrity; run
    again on resume), 'failed', 'incomplete' (started, not finished) or 'missing'."""
    try:
        group = root[f"points/{point}/replicas/{replica}"]
        attrs = group.attrs
        if attrs.get("complete"):
            return "damaged" if verify_run(group) else "complete"
        return "failed" if attrs.get("failed") else "incomplete"
    except KeyError:
        return "missing"
    except Exception:  # a zarr.json cut short by a kill
        return "incomplete"


def replica_states(path, campaign: Campaign) -> dict[tuple[int, int], str]:
    root = _root(path)
    return {(p, r): replica_state(root, p, r) for p in range(campaign.n_points) for r in range(campaign.replicas)}


def new_replica_group(path, point: int, replica: int) -> zarr.Group:
    """An empty group for a replica (a previous attempt's contents are deleted). Its rank only."""
    return zarr.open_group(str(path), path=f"points/{point}/replicas/{replica}", mode="w")


class BufferedReplica:
    """Sink for one replica: frames kept in memory, written to its group in one go by ``finish``.

    A campaign redoes an unfinished replica from the start, so writing every frame to disk as it
    comes (what :class:`kmc.storage.store.RunStore` does for a single run) buys nothing here and costs a
    zarr write per array per frame. The group ends up exactly as a RunStore leaves it.
    """

    def __init__(self, sim, group: zarr.Group):
        self.group = group
        self.n_frames = len(sim.frames)
        self.fields = sim.fields()
        self.attrs = sim.provenance()
        self.frames_written = 0
        self.buffers = {name: np.full((self.n_frames, *spec.tail), _fill(spec.dtype), dtype=spec.dtype)
                        for name, spec in self.fields.items()}

    def write_frame(self, index: int, values: dict) -> None:
        for name, buf in self.buffers.items():
            buf[index] = values[name]
        self.frames_written = index + 1

    def finish(self, **attrs) -> None:
        store = RunStore(self.group, self.n_frames, self.fields, self.attrs)
        store.buffers, store.received = self.buffers, self.frames_written
        store.finish(**attrs)  # one flush: the frames, frames_written and the manifest


def mark_failed(group: zarr.Group, error: str, traceback_text: str = "") -> None:
    group.attrs.update({"failed": True, "complete": False, "error": error, "traceback": traceback_text})


def write_summary(path, campaign: Campaign, point: int) -> zarr.Group:
    """Mean and standard error (ddof=1) over the complete replicas of a point, per array. Rank 0."""
    root = _root(path, "r+")
    states = [replica_state(root, point, r) for r in range(campaign.replicas)]
    done = [r for r, s in enumerate(states) if s == "complete"]
    summary = zarr.open_group(str(path), path=f"points/{point}/summary", mode="w")
    data = [read_frames(root[f"points/{point}/replicas/{r}"]) for r in done]
    n = len(done)
    if n:
        template = root[f"points/{point}/replicas/{done[0]}"]
        means, sems = summary.create_group("mean"), summary.create_group("sem")
        n_frames = 0
        for name, arr in template.arrays():
            stack = np.stack([np.asarray(d[name], dtype=np.float64) for d in data])
            mean = stack.mean(axis=0)
            sem = stack.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full_like(mean, np.nan)
            n_frames = mean.shape[0]
            attrs = {k: v for k, v in arr.attrs.items()}
            for group, values in ((means, mean), (sems, sem)):
                out = group.create_array(name, shape=values.shape, chunks=(max(1, min(n_frames, 64)), *values.shape[1:]),
                                         dtype="float64", fill_value=np.nan,
                                         dimension_names=arr.metadata.dimension_names, attributes=attrs)
                out[...] = values
        for group, what in ((means, "mean"), (sems, "standard error of the mean (ddof=1)")):
            group.attrs.update({"statistic": what, "frames_written": n_frames, "n_frames": n_frames})
    summary.attrs.update({"replicas": done, "n": n, "n_failed": states.count("failed"),
                          "statistic": "mean and standard error over the complete replicas"})
    return summary


# --- progress ---------------------------------------------------------------------------------

def status(path) -> dict:
    """Progress of a campaign store: per point, replicas complete / damaged / failed / incomplete / missing."""
    meta = _stored(path)
    if meta is None:
        from pathlib import Path

        raise FileNotFoundError(f"{path}: {'not a mikmc store' if Path(path).exists() else 'no such store'}")
    root = _root(path)
    points = []
    for p, overrides in enumerate(meta["points"]):
        states = [replica_state(root, p, r) for r in range(int(meta["replicas"]))]
        errors, damage = {}, {}
        for r, s in enumerate(states):
            if s == "failed":
                errors[r] = root[f"points/{p}/replicas/{r}"].attrs.get("error", "")
            elif s == "damaged":
                damage[r] = str(StoreDamaged(verify_run(root[f"points/{p}/replicas/{r}"],
                                                        f"{path}/points/{p}/replicas/{r}")))
        has_summary = _readable_attrs(root, f"points/{p}/summary").get("n") is not None
        points.append({"index": p, "overrides": overrides, "complete": states.count("complete"),
                       "failed": states.count("failed"), "incomplete": states.count("incomplete"),
                       "missing": states.count("missing"), "damaged": states.count("damaged"), "errors": errors,
                       "damage": damage, "summary": has_summary})
    totals = {k: sum(pt[k] for pt in points) for k in ("complete", "failed", "incomplete", "missing", "damaged")}
    return {"title": meta.get("title", ""), "source": meta.get("source"), "base": meta.get("base"),
            "seed": meta["seed"], "replicas": int(meta["replicas"]), "n_points": len(points),
            "points": points, **totals, "remaining": totals["incomplete"] + totals["missing"] + totals["damaged"]}


def format_status(st: dict, path="") -> str:
    total = st["n_points"] * st["replicas"]
    lines = [f"{st['title']}  ({path})",
             f"  base {st['base']}, root seed {st['seed']}: {st['n_points']} points x {st['replicas']} replicas = {total}",
             f"  complete {st['complete']}   failed {st['failed']}   remaining {st['remaining']} "
             f"(started {st['incomplete']}, not started {st['missing']}"
             + (f", damaged {st['damaged']}" if st.get("damaged") else "") + ")", "",
             f"  {'point':>5s}  {'done':>7s}  {'failed':>6s}  {'left':>4s}  summary  overrides"]
    for pt in st["points"]:
        over = ", ".join(f"{k}={v}" for k, v in pt["overrides"].items()) or "(base)"
        left = pt["incomplete"] + pt["missing"] + pt.get("damaged", 0)
        lines.append(f"  {pt['index']:5d}  {pt['complete']:3d}/{st['replicas']:<3d}  {pt['failed']:6d}  {left:4d}  "
                     f"{'yes' if pt['summary'] else '-':7s}  {over}")
    failed = [(pt["index"], r, e) for pt in st["points"] for r, e in pt["errors"].items()]
    if failed:
        lines += ["", "  failed replicas:"]
        lines += [f"    point {p} replica {r}: {e}" for p, r, e in failed]
    damaged = [(pt["index"], r, e) for pt in st["points"] for r, e in pt.get("damage", {}).items()]
    if damaged:
        lines += ["", "  damaged replicas (run again on resume):"]
        lines += [f"    point {p} replica {r}: {e}" for p, r, e in damaged]
    return "\n".join(lines)


VOLATILE_ATTRS = ("performance", "created")


def diff_stores(a, b, path: str = "") -> list[str]:
    """Differences between two stores or groups: arrays (NaN = NaN) and attributes, except wall times.

    An empty list means the same results, e.g. a campaign run on 1 and on 2 ranks, or resumed.
    """
    ga = a if isinstance(a, zarr.Group) else zarr.open_group(str(a), mode="r")
    gb = b if isinstance(b, zarr.Group) else zarr.open_group(str(b), mode="r")
    out = []
    attrs_a = {k: v for k, v in ga.attrs.items() if k not in VOLATILE_ATTRS}
    attrs_b = {k: v for k, v in gb.attrs.items() if k not in VOLATILE_ATTRS}
    if _canonical_json(attrs_a) != _canonical_json(attrs_b):
        keys = sorted(k for k in set(attrs_a) | set(attrs_b) if attrs_a.get(k) != attrs_b.get(k))
        out.append(f"{path or '/'}: attrs differ in {keys}")
    names_a = {n for n, _ in ga.members()}
    names_b = {n for n, _ in gb.members()}
    for name in sorted(names_a ^ names_b):
        out.append(f"{path}/{name}: only in {'first' if name in names_a else 'second'}")
    for name in sorted(names_a & names_b):
        na, nb = ga[name], gb[name]
        if isinstance(na, zarr.Group) and isinstance(nb, zarr.Group):
            out += diff_stores(na, nb, f"{path}/{name}")
        elif isinstance(na, zarr.Array) and isinstance(nb, zarr.Array):
            x, y = na[...], nb[...]
            if x.shape != y.shape or x.dtype != y.dtype or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
                out.append(f"{path}/{name}: values differ")
        else:
            out.append(f"{path}/{name}: array in one store, group in the other")
    return out
