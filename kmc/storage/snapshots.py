"""Atomistic snapshots of a run in its store: N occupancy, phases and spins at chosen frames.

Group ``snapshots/`` of a run store (schema in docs/store.md)::

    time        (snapshot,)                 s       simulated time
    frame       (snapshot,)                 int32   the frame it was taken with
    occupancy   (snapshot, ceil(n_sites/8)) uint8   N occupancy of the mobile sites, bit-packed (np.packbits)
    phase       (snapshot, host)            int8    phase code of each metal site (names in attrs)
    spin        (snapshot, host, 3) float16 | (snapshot, host) int8   spins (0 on paramagnetic sites)
    mobile_xyz  (site, 3)   float32 Å   positions of the N sites;  host_xyz (host, 3): the metal sites
    host_species (host,)    int8        index into attrs host_symbols
    attrs: cell (3x3 Å), pbc, mobile_symbol, host_symbols, phase_names, taken (snapshots written)

Snapshots are taken with frames (``run.snapshot_interval``: "segment" = the first frame and every
segment's last, the default; a duration = also the first frame at or after each multiple of it;
"off"), so they only observe. One chunk per snapshot: readable lazily, one at a time.
"""

from __future__ import annotations

import numpy as np
import zarr

GROUP = "snapshots"


def snapshot_frames(frames, interval_s: float | None) -> list[int]:
    """Indices of the frames that take a snapshot (frame 0 always)."""
    if interval_s == 0:
        return []
    chosen = {0}
    for i in range(1, len(frames)):
        last_of_segment = i == len(frames) - 1 or frames[i + 1].segment != frames[i].segment
        crossed = interval_s is not None and (frames[i].time_s // interval_s > frames[i - 1].time_s // interval_s)
        if last_of_segment or crossed:
            chosen.add(i)
    return sorted(chosen)


class SnapshotWriter:
    """Writes the snapshots of one run into ``group/snapshots`` (created, or reopened to resume)."""

    def __init__(self, sim, group: zarr.Group):
        self.frames = snapshot_frames(sim.frames, sim.config.snapshot_interval_s)
        self.index = {f: k for k, f in enumerate(self.frames)}
        magnet = sim.processes[0] if sim.processes else None
        if GROUP in group:
            self.group = group[GROUP]
            return
        lat = sim.lattice
        n, n_host, n_snap = lat.n_sites, len(lat.host), len(self.frames)
        g = group.create_group(GROUP)
        pos = lat.atoms.positions

        def array(name, shape, dtype, dims, chunks=None, fill=0, **attrs):
            g.create_array(name, shape=shape, dtype=dtype, chunks=chunks or shape, fill_value=fill,
                           dimension_names=dims, attributes=attrs)

        array("time", (n_snap,), "float64", ("snapshot",), (max(n_snap, 1),), np.nan, units="s")
        array("frame", (n_snap,), "int32", ("snapshot",), (max(n_snap, 1),), -1)
        array("occupancy", (n_snap, (n + 7) // 8), "uint8", ("snapshot", "packed_site"), (1, (n + 7) // 8),
              description="N occupancy of the mobile sites, np.packbits (big-endian bit order)")
        array("phase", (n_snap, n_host), "int8", ("snapshot", "host"), (1, max(n_host, 1)), -1)
        vector = magnet is not None and magnet.model.vector
        spin_shape = (n_snap, n_host, 3) if vector else (n_snap, n_host)
        array("spin", spin_shape, "float16" if vector else "int8", ("snapshot", "host", "xyz")[:len(spin_shape)],
              (1, *spin_shape[1:]) if n_host else None, 0)
        g["mobile_xyz"] = pos[lat.mobile].astype(np.float32)
        g["host_xyz"] = pos[lat.host].astype(np.float32)
        g["host_species"] = lat.host_species.astype(np.int8)
        symbols = lat.atoms.get_chemical_symbols()
        g.update_attributes({"cell": lat.atoms.cell.array.tolist(), "pbc": [bool(p) for p in lat.atoms.pbc],
                             "mobile_symbol": symbols[int(lat.mobile[0])] if n else "N",
                             "host_symbols": list(lat.host_symbols), "taken": 0,
                             "phase_names": list(magnet.tables.names) if magnet is not None else []})
        self.group = g

    def observe(self, sim, frame: int) -> None:
        """Write the snapshot of ``frame`` if it is one of the chosen frames."""
        k = self.index.get(frame)
        if k is None:
            return
        g = self.group
        g["time"][k] = sim.time_s
        g["frame"][k] = frame
        g["occupancy"][k] = np.packbits(sim.ions.occ.astype(bool))
        if sim.processes:
            magnet = sim.processes[0]
            g["phase"][k] = magnet.phase
            g["spin"][k] = magnet.spins.astype(g["spin"].dtype)
        g.attrs["taken"] = k + 1


def read_state(group: zarr.Group, k: int) -> dict:
    """What changes from snapshot to snapshot: index, time, frame, N occupancy (unpacked), phases and
    spins of snapshot ``k`` (negative: from the end of those taken). For walking many snapshots; the
    positions and species, the same in every snapshot, are read by :func:`read_snapshot`."""
    g = group[GROUP]
    taken = int(g.attrs.get("taken", 0))
    if taken == 0:
        raise KeyError("the run has no snapshot")
    if not -taken <= k < taken:
        raise KeyError(f"snapshot {k}: the run has {taken} (0..{taken - 1})")
    k %= taken
    n = g["mobile_xyz"].shape[0]
    return {"index": k, "time_s": float(g["time"][k]), "frame": int(g["frame"][k]),
            "occupancy": np.unpackbits(g["occupancy"][k])[:n].astype(np.int8),
            "phase": g["phase"][k], "spin": g["spin"][k].astype(np.float64)}


def read_snapshot(group: zarr.Group, k: int) -> dict:
    """Snapshot ``k`` (negative: from the end of those taken) of a run group, unpacked: :func:`read_state`
    with the positions, species and cell."""
    g = group[GROUP]
    state = read_state(group, k)
    return {**state, "mobile_xyz": g["mobile_xyz"][:], "host_xyz": g["host_xyz"][:],
            "host_species": g["host_species"][:],
            **{key: g.attrs[key] for key in ("cell", "pbc", "mobile_symbol", "host_symbols", "phase_names")}}


def snapshot_at(group: zarr.Group, time_s: float) -> int:
    """Index of the last snapshot taken at or before ``time_s`` (s)."""
    g = group[GROUP]
    times = g["time"][: int(g.attrs.get("taken", 0))]
    k = int(np.searchsorted(times, time_s + 1e-9, side="right")) - 1
    if k < 0:
        raise KeyError(f"no snapshot at or before t = {time_s} s (first at {times[0] if len(times) else 'none'} s)")
    return k
