"""Zarr v3 results: one group per run, arrays appended frame by frame (schema: docs/store.md).

Arrays are preallocated for every frame of the protocol (fill value NaN, or -1 for integers).
Frames are collected in memory and flushed to the store at least every ``flush_interval_s`` of
wall time (default 2 s) and at the end; ``frames_written`` in the group's attributes says how many
are on disk and valid, ``complete`` is set only after the last one. A killed run leaves a readable
store holding every frame flushed before the kill (at most the last ``flush_interval_s`` of work
is lost). Flushing a block at once costs one zarr write per array instead of one per frame.

Each flush also records a manifest in the same attribute update as ``frames_written``:
``manifest = {"chunk_frames": C, "frames": n, "arrays": {name: [crc32 per chunk]}}``, the checksum
(:func:`~kmc.storage.integrity.chunk_checksum`) of the first ``n`` frames of every chunk of ``C`` frames, so that
:mod:`kmc.storage.integrity` can tell a lost or corrupted chunk from data.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

import numpy as np
import zarr

from kmc.storage.integrity import check_run, chunk_checksum

SCHEMA_VERSION = 1
CAMPAIGN_ATTR = "mikmc_campaign"     # root attribute of a campaign store (kmc.campaigns.campaign_store)


@dataclass(frozen=True)
class FieldSpec:
    """One per-frame quantity: the shape and dimension names after the frame axis, dtype, units."""

    tail: tuple = ()
    dims: tuple = ()
    dtype: str = "float64"
    units: str = ""
    description: str = ""
    attrs: dict | None = None


def _fill(dtype: str):
    return np.nan if np.dtype(dtype).kind == "f" else -1


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=lambda o: o.item() if hasattr(o, "item") else str(o)))


class RunStore:
    """Writes one run's frames into a zarr group.

    Parameters
    ----------
    group : zarr.Group
        An empty group (a store's root, or ``points/<p>/replicas/<r>`` in a campaign).
    n_frames : int
    fields : dict[str, FieldSpec]
    attrs : dict
        Provenance: resolved config, seed, version, plug-ins, protocol labels.
    flush_interval_s : float
        Longest wall time (s) frames may wait in memory before they are written.
    """

    def __init__(self, group: zarr.Group, n_frames: int, fields: dict[str, FieldSpec], attrs: dict,
                 flush_interval_s: float = 2.0):
        self.group = group
        self.n_frames = n_frames
        self.flush_interval_s = flush_interval_s
        self.buffers = {name: np.full((n_frames, *spec.tail), _fill(spec.dtype), dtype=spec.dtype)
                        for name, spec in fields.items()}
        self.flushed = 0
        self.received = 0
        self._last_flush = time.perf_counter()
        self.arrays = {}
        self.chunk = max(1, min(n_frames, 64))
        self.manifest = {"chunk_frames": self.chunk, "frames": 0, "arrays": {name: [] for name in fields}}
        for name, spec in fields.items():
            extra = {"units": spec.units, "description": spec.description, **(spec.attrs or {})}
            self.arrays[name] = group.create_array(
                name, shape=(n_frames, *spec.tail), chunks=(self.chunk, *spec.tail), dtype=spec.dtype,
                fill_value=_fill(spec.dtype), dimension_names=("frame", *spec.dims),
                attributes=_jsonable(extra), overwrite=True)
        group.update_attributes(_jsonable({**attrs, "schema_version": SCHEMA_VERSION, "n_frames": n_frames,
                                           "frames_written": 0, "complete": False, "manifest": self.manifest}))

    @classmethod
    def reopen(cls, group: zarr.Group, flush_interval_s: float = 2.0, frames: int | None = None) -> "RunStore":
        """Re-attach to the unfinished run in ``group`` to resume it after a kill.

        The buffers are reloaded from the first ``frames`` frames on disk (default: all
        ``frames_written``; fewer, e.g. to continue from an older checkpoint); further
        ``write_frame`` / ``flush`` / ``finish`` calls continue as if the run had never stopped.
        Raises ``ValueError`` for a complete run or ``frames`` > ``frames_written``, and
        :class:`kmc.storage.integrity.StoreDamaged` for a damaged one.
        """
        attrs = dict(group.attrs)
        if "frames_written" not in attrs or "n_frames" not in attrs:
            raise ValueError("not a mikmc run group (no frames_written / n_frames)")
        if attrs.get("complete"):
            raise ValueError("the run is complete already; nothing to resume")
        written = int(attrs["frames_written"])
        n = written if frames is None else int(frames)
        if not 0 <= n <= written:
            raise ValueError(f"cannot resume after {n} frames: {written} were written")
        check_run(group)
        self = cls.__new__(cls)
        self.group, self.flush_interval_s, self.n_frames = group, flush_interval_s, int(attrs["n_frames"])
        names = list((attrs.get("manifest") or {}).get("arrays") or [name for name, _ in group.arrays()])
        self.arrays = {name: group[name] for name in names}
        self.buffers = {}
        for name, arr in self.arrays.items():
            self.buffers[name] = np.full(arr.shape, arr.fill_value, dtype=arr.dtype)
            self.buffers[name][:n] = arr[:n]
        self.flushed = self.received = n
        self.chunk = next(iter(self.arrays.values())).chunks[0]  # as the run that made the store chose it
        self.manifest = {"chunk_frames": self.chunk, "frames": 0, "arrays": {name: [] for name in names}}
        self._record(0, n)  # the stored manifest when n = frames_written (check_run compared them)
        self._last_flush = time.perf_counter()
        return self

    def _record(self, lo: int, hi: int) -> None:
        """Checksum the chunks holding frames lo..hi-1 (their frames < hi) into the manifest."""
        c = self.chunk
        for name, buf in self.buffers.items():
            sums = self.manifest["arrays"][name]
            for k in range(lo // c, math.ceil(hi / c)):
                value = chunk_checksum(buf[k * c:min((k + 1) * c, hi)])
                sums[k:k + 1] = [value]
        self.manifest["frames"] = hi

    def write_frame(self, index: int, values: dict[str, np.ndarray]) -> None:
        """Take frame ``index`` (frames arrive in order); flush if the last flush is old enough."""
        for name, buf in self.buffers.items():
            buf[index] = values[name]
        self.received = index + 1
        if time.perf_counter() - self._last_flush >= self.flush_interval_s:
            self.flush()

    def flush(self) -> None:
        """Write the frames received since the last flush, then advance ``frames_written`` and the manifest."""
        lo, hi = self.flushed, self.received
        if hi > lo:
            for name, arr in self.arrays.items():
                arr[lo:hi] = self.buffers[name][lo:hi]
            self._record(lo, hi)
            self.group.update_attributes({"frames_written": hi, "manifest": self.manifest})  # one zarr.json write
            self.flushed = hi
        self._last_flush = time.perf_counter()

    def finish(self, **attrs) -> None:
        self.flush()
        self.group.update_attributes(_jsonable({**attrs, "complete": True}))


def open_run(path_or_group) -> zarr.Group:
    """Open a run group read-only."""
    if isinstance(path_or_group, zarr.Group):
        return path_or_group
    return zarr.open_group(str(path_or_group), mode="r")


def read_frames(group: zarr.Group) -> dict[str, np.ndarray]:
    """Every per-frame array of a run, cut to the frames written."""
    n = int(group.attrs.get("frames_written", 0))
    return {name: arr[:n] for name, arr in group.arrays()}
