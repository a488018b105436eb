"""Readable summaries of result stores (``mikmc info``)."""

from __future__ import annotations

import numpy as np

from kmc.storage.integrity import open_verified
from kmc.storage.store import read_frames


def segment_end_frames(segment: np.ndarray) -> list[int]:
    """Index of the last frame written of each segment that has frames."""
    if len(segment) == 0:
        return []
    ends = np.flatnonzero(np.diff(segment) != 0).tolist() + [len(segment) - 1]
    return ends


def depth_thirds(profile: np.ndarray) -> tuple[float, float, float]:
    """Mean N fraction of the bottom, middle and top third of the film."""
    parts = np.array_split(profile, 3)
    return tuple(float(p.mean()) for p in parts)


def _attrs_of(group, name: str) -> dict:
    """Attributes of a sub-group, or {} if it is absent or unreadable."""
    try:
        return dict(group[name].attrs)
    except (KeyError, ValueError, FileNotFoundError):
        return {}


def describe(path) -> str:
    """Provenance, film and one row per protocol segment of a run store.

    Raises :class:`kmc.storage.integrity.StoreDamaged` (a ValueError) if a chunk or an array's metadata is
    lost or corrupted, ValueError if the store is not a run.
    """
    group = open_verified(path)
    a = dict(group.attrs)
    if "frames_written" not in a:
        raise ValueError("no frames_written attribute")
    data = read_frames(group)
    n, total = int(a["frames_written"]), int(a.get("n_frames", 0))
    status = "complete" if a.get("complete") else f"INCOMPLETE ({n} of {total} frames written)"
    if not a.get("complete") and "slot" in _attrs_of(group, "checkpoint"):
        status += f"; resume with: mikmc run --resume {path}"
    plug = ", ".join(f"{k}={v['name']} ({v['distribution']} {v['version']})" for k, v in a.get("plugins", {}).items())
    film = a.get("film", {})
    lines = [f"{a.get('title', '')}",
             f"  store       {path}  [{status}]",
             f"  source      {a.get('source')}   seed {a.get('seed')}   mikmc {a.get('mikmc_version')}",
             f"  plug-ins    {plug}",
             f"  film        {film.get('thickness_nm', 0):.1f} nm, {film.get('area_nm2', 0):.2f} nm^2, "
             f"{film.get('n_mobile_sites')} N sites in {film.get('n_layers')} layers, "
             f"{film.get('n_ions_initial')} N ions at t = 0"]
    perf = a.get("performance")
    if perf:
        lines.append(f"  performance {perf['events']:,} events in {perf['wall_time_s']:.1f} s "
                     f"({perf['events_per_s']:.3g} events/s)")
    if n == 0:
        lines.append("  no frames written")
        return "\n".join(lines)
    labels = group["segment"].attrs.get("labels", [])
    extra = [k for k in ("saturation_magnetization", "magnetization") if k in data]
    head = f"  {'segment end':24s} {'t (min)':>8s} {'V (V)':>6s} {'H (Oe)':>7s} {'N film':>7s} {'N elec':>7s}  N fraction bottom/mid/top"
    if extra:
        head += "   M_S, M (emu/cm^3)"
    lines += ["", head]
    for i in segment_end_frames(data["segment"]):
        seg = int(data["segment"][i])
        label = labels[seg] if seg < len(labels) else str(seg)
        b, m, t = depth_thirds(data["n_profile"][i])
        row = (f"  {label[:24]:24s} {data['time'][i] / 60:8.2f} {data['voltage'][i]:6.1f} {data['field'][i]:7.0f} "
               f"{int(data['n_film'][i]):7d} {int(data['n_electrolyte'][i]):7d}  {b:.3f} / {m:.3f} / {t:.3f}")
        if extra:
            row += "   " + ", ".join(f"{float(data[k][i]):.1f}" for k in extra)
        lines.append(row)
    return "\n".join(lines)
