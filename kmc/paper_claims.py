"""The seed paper's claims, measured on one run of a paper-shaped protocol.

A paper-shaped protocol (``runs/paper/*.toml``) is: segment 0 gating at −25 V under field,
segment 1 at 0 V (relaxation), then −25 V / 0 V cycles (at zero field, or under field). Numbers
(emu/cm³, %, N fractions, emu/cm³/min) for docs/paper.md and ``mikmc report``:

- claim 1: ``gate_ms`` (M_S at the end of gating), ``relax_pct`` (change of M_S over the relaxation,
  %), ``cycle_relax_lowers`` (fraction of the 0 V half-cycles that lower M_S), ``potentiation``
  (final M_S minus M_S after relaxation);
- claim 3: ``mr_final`` (M at the last frame if it is at zero field) and ``mr_over_gate_ms``
  (> 1: M_R after cycling exceeds M_S at the end of field-on gating);
- claim 5: ``thirds`` (N fraction of the bottom/middle/top third at the end of gating) and
  ``saturation`` (near-surface electrolyte N / its capacity at the end of gating);
- claim 6: ``slopes`` (dM_S/dt over consecutive 4 min blocks of the gating).
"""

from __future__ import annotations

import math

import numpy as np

from kmc.summary import depth_thirds, segment_end_frames

#: length of the blocks over which the gating slope dM_S/dt is measured (s)
SLOPE_BLOCK_S = 240.0


def claim_numbers(data: dict, attrs: dict) -> dict:
    """Claim quantities of one run's frames (``kmc.store.read_frames``) and attributes."""
    ends = segment_end_frames(np.asarray(data["segment"]))
    if len(ends) < 3 or "saturation_magnetization" not in data:
        return {}
    gate, relax = ends[0], ends[1]
    t = np.asarray(data["time"], float)
    ms = np.asarray(data["saturation_magnetization"], float)
    m = np.asarray(data["magnetization"], float)
    volts, field = np.asarray(data["voltage"], float), np.asarray(data["field"], float)
    halves = [(a, b) for a, b in zip(ends[1:-1], ends[2:]) if volts[b] == 0]
    blocks = np.arange(0.0, t[gate] + 1e-9, SLOPE_BLOCK_S)
    ms_at = np.interp(blocks, t[:gate + 1], ms[:gate + 1])
    boundary = (attrs.get("config") or {}).get("boundary") or {}
    capacity = boundary.get("solubility_per_nm2", math.nan) * (attrs.get("film") or {}).get("area_nm2", math.nan)
    mr_final = float(m[-1]) if field[-1] == 0 else math.nan
    return {
        "gate_ms": float(ms[gate]),
        "relax_pct": float(100.0 * (ms[relax] - ms[gate]) / ms[gate]) if ms[gate] else math.nan,
        "cycle_relax_lowers": float(np.mean([ms[b] < ms[a] for a, b in halves])) if halves else math.nan,
        "potentiation": float(ms[-1] - ms[relax]),
        "mr_final": mr_final,
        "mr_over_gate_ms": mr_final / float(ms[gate]) if ms[gate] else math.nan,
        "thirds": depth_thirds(np.asarray(data["n_profile"], float)[gate]),
        "saturation": float(data["n_surface_electrolyte"][gate]) / capacity if capacity else math.nan,
        "slopes": (np.diff(ms_at) / (SLOPE_BLOCK_S / 60.0)).tolist(),
    }
