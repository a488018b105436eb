"""Exact capture and reload of an object's mutable attributes (for checkpoints, kmc.engine.checkpoint).

A class lists its mutable attributes in one tuple; ``capture`` copies them, ``load`` puts them back
bit for bit: arrays as saved (no recomputation of derived arrays), scalars as the attribute's type.
"""

from __future__ import annotations

import numpy as np


def capture(obj, names: tuple[str, ...]) -> dict:
    """name -> a copy of ``obj.<name>`` (numpy array or Python scalar)."""
    return {name: (v.copy() if isinstance(v := getattr(obj, name), np.ndarray) else v) for name in names}


def load(obj, names: tuple[str, ...], state: dict) -> None:
    """Set ``obj.<name>`` from ``state`` for every name; the keys must be exactly ``names``."""
    if set(state) != set(names):
        missing, extra = sorted(set(names) - set(state)), sorted(set(state) - set(names))
        raise ValueError(f"{type(obj).__name__} state: missing {missing}, unexpected {extra}")
    for name in names:
        cur, new = getattr(obj, name), state[name]
        if isinstance(cur, np.ndarray):
            arr = np.array(new, copy=True, order="C")
            if arr.dtype != cur.dtype or arr.ndim != cur.ndim:
                raise ValueError(f"{type(obj).__name__}.{name}: saved {arr.dtype} {arr.shape}, "
                                 f"expected {cur.dtype} with {cur.ndim} dimensions")
            setattr(obj, name, arr)
        else:
            setattr(obj, name, type(cur)(new.item() if isinstance(new, np.ndarray) else new))
