"""Where a run's store goes, without ever losing the user's data.

A run writes to a new path directly. Replacing an existing path (``--overwrite``) is allowed only
when that path is a mikmc store, and only once the new run has been set up: the new store is
created at a sibling staging path first, then swapped in (two renames in the same directory), and
the old store is deleted last. A run that fails before the swap leaves the old store untouched.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from kmc.config import ConfigError


def is_mikmc_store(path: Path) -> bool:
    """True if ``path`` is a directory whose root zarr.json carries mikmc's attributes."""
    meta = Path(path) / "zarr.json"
    try:
        attrs = json.loads(meta.read_text()).get("attributes", {})
    except (OSError, ValueError, AttributeError):
        return False
    from kmc.storage.store import CAMPAIGN_ATTR

    return isinstance(attrs, dict) and ("mikmc_version" in attrs or CAMPAIGN_ATTR in attrs)


def check_target(path: Path, overwrite: bool) -> None:
    """Refuse (ConfigError on ``--output``) a path that cannot or must not be written."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not overwrite:
            raise ConfigError("--output", str(path), "exists already; choose another path or pass --overwrite")
        if not is_mikmc_store(path):
            raise ConfigError("--output", str(path), "exists and is not a mikmc store; --overwrite replaces "
                              "only mikmc stores, so nothing was touched")
    parent = path.absolute().parent
    if not parent.is_dir():
        raise ConfigError("--output", str(path), f"its directory {parent} does not exist (or is not a directory)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError("--output", str(path), f"its directory {parent} is not writable")


def staging_path(path: Path) -> Path:
    """A fresh sibling of ``path`` to build a replacement in (same directory: renames are atomic)."""
    path = Path(path)
    return path.with_name(f".{path.name}.new-{os.getpid()}")


def swap_into_place(staging: Path, path: Path) -> None:
    """Replace the store at ``path`` by the one at ``staging``; the old one is deleted last."""
    path, staging = Path(path), Path(staging)
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    os.rename(path, old)
    try:
        os.rename(staging, path)
    except OSError:
        os.rename(old, path)  # put the old result back
        raise
    shutil.rmtree(old, ignore_errors=True)


def make_writable_dir(path: Path) -> None:
    """Create the store directory now, so an unwritable path fails before any work (ConfigError)."""
    try:
        Path(path).mkdir(parents=False, exist_ok=False)
    except OSError as exc:
        raise ConfigError("--output", str(path), f"cannot be created ({exc.strerror or exc})") from None


__all__ = ["check_target", "is_mikmc_store", "make_writable_dir", "staging_path", "swap_into_place"]
