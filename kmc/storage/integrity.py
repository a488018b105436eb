"""Integrity of a run group: lost or corrupted chunks and broken array metadata.

zarr v3 returns the fill value for a chunk whose file is gone and raises a codec error for one
whose bytes are damaged. :func:`verify_run` checks, for the frames written: every array of the run
is there with readable metadata and shape ``(n_frames, ...)``, every chunk is on disk and decodes,
and its values match the checksum in the group's ``manifest`` (written by
:meth:`kmc.storage.store.RunStore.flush`). Stores written before the manifest existed get every check but
the checksums. Readers call :func:`open_verified` or :func:`check_run`, which raise
:class:`StoreDamaged` with a one-line message naming the store, the array and the frames.
"""

from __future__ import annotations

import asyncio
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr
from zarr.core.sync import sync


#: arrays every run has; checked for presence in stores without a manifest
CORE_ARRAYS = ("time", "voltage", "field", "segment", "n_film", "n_electrolyte", "n_profile")


def chunk_checksum(values: np.ndarray) -> int:
    """CRC-32 of an array block's bytes (native dtype, C order)."""
    return zlib.crc32(np.ascontiguousarray(values).tobytes())


@dataclass(frozen=True)
class Damage:
    """One problem: ``array`` None for the group itself; ``frames`` (first, last) or None."""

    where: str
    array: str | None
    problem: str
    frames: tuple[int, int] | None = None

    def __str__(self) -> str:
        what = "" if self.array is None else f"array '{self.array}'"
        if self.frames is not None:
            what += f" frames {self.frames[0]}-{self.frames[1]}"
        return f"{self.where}: {what + ': ' if what else ''}{self.problem}"


class StoreDamaged(ValueError):
    """A run group is damaged; the message is one line (the first problem, and how many more)."""

    def __init__(self, damage: list[Damage]):
        self.damage = list(damage)
        more = len(self.damage) - 1
        super().__init__(str(self.damage[0]) + (f" (and {more} more problem{'s' * (more > 1)})" if more else ""))


def location(group: zarr.Group) -> str:
    """The group as a path: the store's directory (as given when opened) joined with the group's path."""
    store = group.store
    base = str(getattr(store, "root", None) or store)
    return f"{base}/{group.path}" if group.path else base


def open_verified(path_or_group, check: bool = True) -> zarr.Group:
    """Open a run group read-only and (``check``) :func:`check_run` it; unreadable group metadata
    raises StoreDamaged too."""
    if isinstance(path_or_group, zarr.Group):
        group = path_or_group
    else:
        try:
            group = zarr.open_group(str(path_or_group), mode="r")
        except (FileNotFoundError, zarr.errors.ContainsArrayError):
            raise
        except Exception as exc:
            if not (Path(path_or_group) / "zarr.json").is_file():
                raise
            raise StoreDamaged([Damage(str(path_or_group), None,
                                       f"group metadata zarr.json unreadable ({_short(exc)})")]) from None
    if check:
        check_run(group)
    return group


def check_run(group: zarr.Group, where: str | None = None) -> None:
    """Raise :class:`StoreDamaged` if :func:`verify_run` finds anything."""
    damage = verify_run(group, where)
    if damage:
        raise StoreDamaged(damage)


def verify_run(group: zarr.Group, where: str | None = None) -> list[Damage]:
    """Every problem of a run group (empty: intact). A group without ``frames_written`` is not a run: []."""
    attrs = dict(group.attrs)
    if "frames_written" not in attrs:
        return []
    where = where or location(group)
    try:
        n_frames, written = int(attrs["n_frames"]), int(attrs["frames_written"])
    except (KeyError, TypeError, ValueError):
        return [Damage(where, None, f"frames_written = {attrs.get('frames_written')!r}, n_frames = "
                                    f"{attrs.get('n_frames')!r}: not frame counts")]
    if not 0 <= written <= n_frames:
        return [Damage(where, None, f"frames_written = {written} outside 0..n_frames = {n_frames}")]
    manifest = attrs.get("manifest")
    expected = list(manifest["arrays"]) if manifest else list(CORE_ARRAYS)
    children = [k for k in _listing(group.store, group.path) if k != "zarr.json"]
    out = []
    for name in expected + sorted(set(children) - set(expected)):
        out += _verify_array(group, name, name in expected, n_frames, written, manifest, where)
    return out


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")


def _listing(store, path: str) -> list[str]:
    """Names of the entries (files and directories) in a directory of the store."""
    async def listing():
        return [k async for k in store.list_dir(path)]

    return sync(listing())


def _exists(store, keys: list[str]) -> list[bool]:
    async def gather():
        return await asyncio.gather(*(store.exists(k) for k in keys))

    return list(sync(gather()))


def _verify_array(group, name, expected, n_frames, written, manifest, where) -> list[Damage]:
    prefix = f"{group.path}/{name}" if group.path else name
    try:
        arr = group[name]
    except KeyError:  # no zarr.json: damage if the run has this array, or its directory holds chunks
        entries = _listing(group.store, prefix)
        if expected and not entries:
            return [Damage(where, name, "missing from the store")]
        if expected or "c" in entries:
            return [Damage(where, name, f"metadata {name}/zarr.json missing")]
        return []
    except Exception as exc:
        return [Damage(where, name, f"metadata {name}/zarr.json unreadable ({_short(exc)})")]
    if isinstance(arr, zarr.Group):
        return [] if not expected else [Damage(where, name, "is a group, not an array")]
    if arr.ndim == 0 or arr.shape[0] != n_frames:
        return [Damage(where, name, f"shape {arr.shape} does not hold n_frames = {n_frames} frames")]
    step = arr.chunks[0]
    if manifest and int(manifest.get("chunk_frames", step)) != step:
        return [Damage(where, name, f"chunks of {step} frames, the manifest says {manifest['chunk_frames']}")]
    if written == 0 or arr.size == 0:
        return []
    n_chunks = math.ceil(written / step)
    keys = [arr.metadata.encode_chunk_key((k,) + (0,) * (arr.ndim - 1)) for k in range(n_chunks)]
    present = _exists(group.store, [f"{prefix}/{key}" for key in keys])
    blocks = _read_chunks(arr, n_chunks, step)
    sums = list((manifest or {}).get("arrays", {}).get(name) or [])
    m_frames = int((manifest or {}).get("frames", 0))
    out = []
    for k, (key, here, block) in enumerate(zip(keys, present, blocks)):
        lo = k * step
        span = (lo, min(lo + step, written) - 1)
        if isinstance(block, Exception):
            out.append(Damage(where, name, f"chunk {name}/{key} unreadable ({_short(block)})", span))
        elif k < len(sums) and lo < m_frames:
            if chunk_checksum(block[:m_frames - lo]) != sums[k]:
                problem = "missing (written, then lost)" if not here else "does not match its checksum (corrupted)"
                out.append(Damage(where, name, f"chunk {name}/{key} {problem}", span))
        elif not here:
            out.append(Damage(where, name, f"chunk {name}/{key} missing", span))
    return out


def _read_chunks(arr, n_chunks: int, step: int) -> list:
    """Each chunk's frames (an array), or the exception reading it raised."""
    end = min(n_chunks * step, arr.shape[0])
    try:
        data = arr[:end]
        return [data[k * step:(k + 1) * step] for k in range(n_chunks)]
    except Exception:
        pass
    out = []
    for k in range(n_chunks):
        try:
            out.append(arr[k * step:min((k + 1) * step, end)])
        except Exception as exc:
            out.append(exc)
    return out


def child_groups(group: zarr.Group) -> list[tuple[str, zarr.Group]]:
    """(name, group) of the sub-groups, sorted; StoreDamaged names a sub-group whose zarr.json is unreadable."""
    out = []
    for name in sorted(k for k in _listing(group.store, group.path) if k != "zarr.json"):
        try:
            node = group[name]
        except KeyError:  # a file, or a directory without zarr.json
            continue
        except Exception as exc:
            raise StoreDamaged([Damage(f"{location(group)}/{name}", None,
                                       f"group metadata zarr.json unreadable ({_short(exc)})")]) from None
        if isinstance(node, zarr.Group):
            out.append((name, node))
    return out
