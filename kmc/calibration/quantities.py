"""What a calibration target measures in one run: named quantities and reductions of a store array.

Both take the frames of one run as the dict of arrays of :func:`kmc.storage.store.read_frames` and
return a float in the units of that array (ΔM_S, ΔM_R in emu/cm³ and their ratio in %, as
:func:`kmc.paper.report.table1`; ion counts as numbers; magnetizations in emu/cm³).
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def _table1(key):
    def q(data):
        from kmc.paper.report import table1
        return table1(data)[key]
    return q


def _depth_gap(data):
    """N fraction of the bottom third of the film minus that of the top third at the end of the first
    segment (the gating of a paper protocol): > 0 depleted from the top, < 0 from the bottom."""
    from kmc.analysis.summary import depth_thirds, segment_end_frames

    gate = segment_end_frames(np.asarray(data["segment"]))[0]
    thirds = depth_thirds(np.asarray(data["n_profile"], float)[gate])
    return float(thirds[0] - thirds[-1])


def _ms_baseline(data):
    from kmc.paper.claims import ms_baseline
    return ms_baseline(data)


def _total_ions(data):
    return float(np.asarray(data["n_film"], float)[0] + np.asarray(data["n_electrolyte"], float)[0])


#: named quantities of one run (the dict of arrays of kmc.storage.store.read_frames) -> float
QUANTITIES: dict[str, Callable[[dict], float]] = {
    "delta_ms": _table1("dMS"),
    "ms_baseline": _ms_baseline,
    "delta_mr": _table1("dMR"),
    "mr_ratio": _table1("ratio"),
    "n_depth_gap_gate_end": _depth_gap,
    "n_electrolyte_final": lambda d: float(np.asarray(d["n_electrolyte"])[-1]),
    "final_n_film_fraction": lambda d: float(np.asarray(d["n_film"])[-1]) / _total_ions(d),
    "saturation_magnetization_final": lambda d: float(np.asarray(d["saturation_magnetization"])[-1]),
    "magnetization_final": lambda d: float(np.asarray(d["magnetization"])[-1]),
}
AT = ("end", "start", "mean", "min", "max")


def array_quantity(data: dict, array: str, segment: int = -1, at: str = "end", index=None) -> float:
    """A store array reduced to a number: frames of ``segment`` (negative: from the last), reduced by
    ``at``; for arrays with a trailing axis (n_profile, tracer_msd), the mean over ``index = [a, b]``
    of that axis (python slice; default: all)."""
    if array not in data:
        raise KeyError(f"no array {array!r} in the run; arrays: {', '.join(sorted(data))}")
    values = np.asarray(data[array], float)
    seg = np.asarray(data["segment"])
    s = segment if segment >= 0 else int(seg.max()) + 1 + segment
    frames = np.flatnonzero(seg == s)
    if len(frames) == 0:
        raise KeyError(f"segment {segment} has no frames")
    v = values[frames]
    if v.ndim > 1:
        sl = slice(*index) if index is not None else slice(None)
        v = v.reshape(len(frames), -1)[:, sl].mean(axis=1)
    return float({"end": lambda x: x[-1], "start": lambda x: x[0], "mean": np.mean,
                  "min": np.min, "max": np.max}[at](v))
