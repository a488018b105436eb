"""Checkpoints of a single run inside its store, and ``mikmc run --resume``.

A checkpoint is :meth:`kmc.engine.simulation.Simulation.checkpoint_state` at a frame boundary, saved as one
``.npz`` blob (every array exact: the sum tree and derived arrays too, nothing is recomputed) in
the uint8 array ``checkpoint/a`` or ``checkpoint/b`` of the run's group. The group's attribute
``slot`` names the valid one and is written last, after the other slot is complete: a kill while
a checkpoint is being written leaves the previous one valid. The store is flushed before, so
``frames_written`` > the checkpoint's frame. The ``checkpoint`` group is deleted once the run
is complete.
"""

from __future__ import annotations

import copy
import io
import time
from pathlib import Path

import numpy as np
import zarr

from kmc.storage.store import RunStore, _jsonable

GROUP = "checkpoint"
FORMAT = 1


class ResumeError(ValueError):
    """A store that cannot be resumed; ``str()`` is the one line the user sees."""


def write_checkpoint(group: zarr.Group, state: dict[str, dict]) -> str:
    """Save ``state`` ({part: {name: value}}) into the free slot, then point ``slot`` at it."""
    ck = group.require_group(GROUP)
    slot = "b" if ck.attrs.get("slot") == "a" else "a"
    buf = io.BytesIO()
    np.savez(buf, **{f"{part}.{name}": np.asarray(v) for part, d in state.items() for name, v in d.items()})
    blob = np.frombuffer(buf.getvalue(), dtype=np.uint8)
    ck.create_array(slot, data=blob, chunks=blob.shape, overwrite=True)
    sim = state.get("simulation", {})
    ck.update_attributes({"slot": slot, "format": FORMAT, "frame": int(sim.get("frame_index", -1)),  # one write
                          "wall_time_s": float(sim.get("wall_time_s", 0.0)), "bytes": int(blob.size)})
    return slot


def read_checkpoint(group: zarr.Group) -> dict[str, dict] | None:
    """The last complete checkpoint in ``group`` ({part: {name: array}}), or None."""
    if GROUP not in group or group[GROUP].attrs.get("slot") not in ("a", "b"):
        return None
    ck = group[GROUP]
    if ck.attrs.get("format") != FORMAT:
        raise ResumeError(f"checkpoint format {ck.attrs.get('format')} is not {FORMAT} (another mikmc version)")
    state: dict[str, dict] = {}
    try:
        with np.load(io.BytesIO(ck[ck.attrs["slot"]][:].tobytes()), allow_pickle=False) as npz:
            for key in npz.files:
                part, name = key.split(".", 1)
                state.setdefault(part, {})[name] = npz[key]
    except Exception as exc:  # noqa: BLE001 - a damaged blob: any zarr codec, zip or npy error
        raise ResumeError(f"checkpoint/{ck.attrs['slot']} unreadable ({type(exc).__name__}: {exc})") from None
    return state


def clear_checkpoint(group: zarr.Group) -> None:
    if GROUP in group:
        del group[GROUP]


class Checkpointer:
    """A :class:`RunStore` wrapper (the ``sink`` of :meth:`Simulation.run`) that checkpoints ``sim``.

    After a frame is written, if ``interval_s`` (> 0) of wall time has passed since the last
    checkpoint, the store is flushed and the state saved. ``finish`` completes the store, then
    deletes the checkpoint.
    """

    def __init__(self, sim, store: RunStore, interval_s: float = 60.0):
        self.sim, self.store, self.interval_s = sim, store, float(interval_s)
        self._last = time.perf_counter()

    def write_frame(self, index: int, values: dict) -> None:
        self.store.write_frame(index, values)
        due = self.interval_s > 0 and time.perf_counter() - self._last >= self.interval_s
        if due and index + 1 < self.store.n_frames:
            self.save()

    def save(self) -> None:
        """Flush the store and checkpoint the state now (call at a frame boundary only)."""
        self.store.flush()
        write_checkpoint(self.store.group, self.sim.checkpoint_state())
        self._last = time.perf_counter()

    def flush(self) -> None:
        self.store.flush()

    def finish(self, **attrs) -> None:
        self.store.finish(**attrs)
        clear_checkpoint(self.store.group)


def rebuild(attrs: dict, source_path: str = "", overrides: dict | None = None):
    """A new Simulation from a run store's attributes (resolved config, seed, spawn key).

    ``overrides`` (dotted config keys, as ``--set``) change the rebuilt run's config, e.g. for an
    analysis of its snapshots under other magnetic parameters; the seed, spawn key, segments and
    film must still be the recorded ones."""
    from kmc import config
    from kmc.engine.simulation import Simulation

    data = copy.deepcopy(dict(attrs["config"]))
    for seg, recorded in zip(data["segments"], attrs["segments"]):
        seg["duration"] = recorded["duration_s"]  # exact: the resolved config rounds to 6 digits
    try:
        if overrides:
            data = config.apply_overrides(data, overrides)
        conf = config.from_dict(data, source=attrs.get("source", source_path))
    except config.ConfigError as exc:
        what = "the recorded config with the overrides does not load" if overrides else \
            "the recorded config does not load any more"
        raise ResumeError(f"{source_path}: {what} ({exc})") from None
    sim = Simulation(conf, seed=attrs["seed"], spawn_key=attrs.get("spawn_key", ()))
    prov = _jsonable(sim.provenance())
    for key in ("seed", "spawn_key", "segments", "film") if overrides else ("config", "seed", "spawn_key", "segments",
                                                                             "film"):
        if prov[key] != attrs.get(key):
            raise ResumeError(f"{source_path}: the run rebuilt from the store differs from the recorded one "
                              f"in {key!r} (another mikmc or plug-in version?)")
    return sim


def resume(path, interval_s: float = 60.0) -> tuple:
    """Reopen the killed run in store ``path`` at its last checkpoint.

    Returns (Simulation, Checkpointer): ``sim.run(sink)`` finishes the run, bit-identical to an
    uninterrupted one. Frames after the checkpoint's are dropped (and computed again).
    Raises :class:`ResumeError` for a complete store, one without checkpoint, or not a run store.
    """
    path = Path(path)
    try:
        group = zarr.open_group(str(path), mode="r+")
    except (FileNotFoundError, ValueError, OSError):
        raise ResumeError(f"{path}: not a mikmc run store (no zarr group there)") from None
    attrs = group.attrs.asdict()
    if not {"config", "seed", "n_frames", "frames_written", "segments"} <= set(attrs):
        raise ResumeError(f"{path}: not a mikmc run store (a campaign store resumes with mikmc campaign)")
    if attrs.get("complete"):
        raise ResumeError(f"{path}: the run is complete already; nothing to resume")
    try:
        state = read_checkpoint(group)
    except ResumeError as exc:
        raise ResumeError(f"{path}: {exc}") from None
    if state is None:
        raise ResumeError(f"{path}: has no checkpoint to resume from (killed before the first one, or run "
                          "with --checkpoint-interval 0)")
    sim = rebuild(attrs, str(path))
    try:
        sim.restore(state)
    except ValueError as exc:
        raise ResumeError(f"{path}: the checkpoint does not fit this run ({exc})") from None
    try:
        store = RunStore.reopen(group, frames=sim.frame_index + 1)
    except ValueError as exc:  # includes kmc.storage.integrity.StoreDamaged
        raise ResumeError(f"{path}: cannot reopen the store ({exc})") from None
    sim.attach_snapshots(store.group)
    return sim, Checkpointer(sim, store, interval_s)
