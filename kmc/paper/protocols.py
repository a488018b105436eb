"""Which paper protocol a run is: the seed paper's states (Low/Mid/High M after a 3 min or 1 h
relaxation, or field-on cycling) from a run's resolved segments, or its file name or title.

A reduced film (kmc.config.reduced) passes through the paper's states at times × s², s = its
thickness / 50 nm, and is identified as the state it scales.
"""

from __future__ import annotations

import re
from pathlib import Path

from kmc.config.protocol import parse_duration_s

#: the paper's conditioning times (s) and relaxation times (s) -> state names
GATE_STATES = {240: "low", 480: "mid", 960: "high"}
RELAX_STATES = {180: "3min", 3600: "1h"}
#: the seed paper's film thickness (nm): reduced films scale these times by (thickness / it)²
PAPER_THICKNESS_NM = 50.0


def paper_shape(config: dict) -> tuple[float, float, bool] | None:
    """(gating time, relaxation time, cycles under field) of a protocol with the paper's shape —
    gating at −25 V, then 0 V, then cycles — in the paper's time (s): the segment durations divided by
    s² on a film s × 50 nm thick (kmc.config.reduced); None for another shape. Cycles under field:
    every segment after the relaxation has a field."""
    segs = config.get("segments") or []
    if len(segs) < 3 or segs[0].get("voltage_v", 0) >= 0 or segs[1].get("voltage_v") != 0:
        return None
    thickness = float((config.get("lattice") or {}).get("thickness_nm", PAPER_THICKNESS_NM))
    scale = (thickness / PAPER_THICKNESS_NM) ** 2
    return (parse_duration_s(segs[0]["duration"]) / scale, parse_duration_s(segs[1]["duration"]) / scale,
            all(seg.get("field_oe", 0) != 0 for seg in segs[2:]))


def identify_state(attrs: dict) -> tuple[str | None, str | None]:
    """('low'|'mid'|'high', '3min'|'1h'|'field-on') of a run; (None, None) if it is not a paper protocol.

    From the resolved segments when they have the paper's shape (gating at −25 V, then 0 V, then
    cycles: at zero field, or 'field-on' if every cycle is under field): a state only if the gating
    lasts 4/8/16 min and the relaxation 3 min or 1 h on the paper's 50 nm film, or those times × s²
    on a film s × 50 nm thick (kmc.config.reduced), so that campaign points varying the durations are
    told apart and not named after their base file. Else from the source file name or title.
    """
    shape = paper_shape(attrs.get("config") or {})
    if shape is not None:
        gate_s, relax_s, field_on = shape
        state, relax = GATE_STATES.get(round(gate_s)), RELAX_STATES.get(round(relax_s))
        if not (state and relax):
            return None, None
        return state, "field-on" if field_on else relax
    src = Path(str(attrs.get("source") or "")).stem.lower()
    m = re.search(r"(low|mid|high)_m_(3min|1h)", src)
    if m:
        return m.group(1), m.group(2)
    title = str(attrs.get("title") or "").lower()
    m = re.search(r"\b(low|mid|high) m\b", title)
    relax = "1h" if re.search(r"\b1 ?h\b|60 min", title) else "3min" if "3 min" in title else None
    return (m.group(1) if m else None), (relax if m else None)
