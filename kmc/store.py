"""Zarr v3 results: one group per run, arrays appended frame by frame (schema: docs/store.md).

Arrays are preallocated for every frame of the protocol (fill value NaN, or -1 for integers)
and written as each frame finishes; ``frames_written`` in the group's attributes says how many
are valid, ``complete`` is set only after the last one. A killed run leaves a readable store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import zarr

SCHEMA_VERSION = 1


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
    """

    def __init__(self, group: zarr.Group, n_frames: int, fields: dict[str, FieldSpec], attrs: dict):
        self.group = group
        self.n_frames = n_frames
        self.arrays = {}
        chunk = max(1, min(n_frames, 64))
        for name, spec in fields.items():
            extra = {"units": spec.units, "description": spec.description, **(spec.attrs or {})}
            self.arrays[name] = group.create_array(
                name, shape=(n_frames, *spec.tail), chunks=(chunk, *spec.tail), dtype=spec.dtype,
                fill_value=_fill(spec.dtype), dimension_names=("frame", *spec.dims),
                attributes=_jsonable(extra), overwrite=True)
        group.attrs.update(_jsonable({**attrs, "schema_version": SCHEMA_VERSION, "n_frames": n_frames,
                                      "frames_written": 0, "complete": False}))

    def write_frame(self, index: int, values: dict[str, np.ndarray]) -> None:
        for name, arr in self.arrays.items():
            arr[index] = values[name]
        self.group.attrs["frames_written"] = index + 1

    def finish(self, **attrs) -> None:
        self.group.attrs.update(_jsonable({**attrs, "complete": True}))


def open_run(path_or_group) -> zarr.Group:
    """Open a run group read-only."""
    if isinstance(path_or_group, zarr.Group):
        return path_or_group
    return zarr.open_group(str(path_or_group), mode="r")


def read_frames(group: zarr.Group) -> dict[str, np.ndarray]:
    """Every per-frame array of a run, cut to the frames written."""
    n = int(group.attrs.get("frames_written", 0))
    return {name: arr[:n] for name, arr in group.arrays()}
