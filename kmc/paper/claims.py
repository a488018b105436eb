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
- claim 6: ``slopes`` (dM_S/dt over consecutive 4 min blocks of the gating);
- what the cycles add (Table 1's ΔM_S and its mechanism): ``ms_min`` (minimum of M_S from the end of
  the relaxation on, ΔM_S's baseline), ``ms_final``, ``dn_cycles`` (N that left the film between that
  minimum and the end, % of the film's initial N), ``dms_per_dn`` (ΔM_S per % of N extracted,
  emu/cm³ per %) and ``fill_at_min`` (near-surface electrolyte N / its capacity at the minimum).
"""

from __future__ import annotations

import math

import numpy as np

from kmc.analysis.summary import depth_thirds, segment_end_frames

#: the seed paper's states (its Table 1) and their names, in order of gating time (4, 8, 16 min)
STATE_NAMES = {"low": "Low M", "mid": "Mid M", "high": "High M"}
STATES = tuple(STATE_NAMES)
#: seed paper, Table 1 (emu/cm³ and %)
PAPER_TABLE1 = {
    "low": {"dMS": 241.00, "dMR": {"3min": 98.10, "1h": 67.81}, "ratio": {"3min": 40.7, "1h": 28.1}},
    "mid": {"dMS": 189.88, "dMR": {"3min": 139.65, "1h": 25.94}, "ratio": {"3min": 73.5, "1h": 13.7}},
    "high": {"dMS": 285.31, "dMR": {"3min": 215.52, "1h": 137.41}, "ratio": {"3min": 75.5, "1h": 48.2}},
}

#: length of the blocks over which the gating slope dM_S/dt is measured (s)
SLOPE_BLOCK_S = 240.0


def relaxation_end(ends: list[int]) -> int:
    """Frame from which Table 1's quantities are taken: the end of the relaxation (segment 1); the end
    of segment 0 in a run of one segment. ``ends``: kmc.analysis.summary.segment_end_frames."""
    return ends[1] if len(ends) > 1 else ends[0]


def baseline_frame(ms: np.ndarray, ends: list[int]) -> int:
    """Frame ΔM_S is measured from: the M_S minimum from :func:`relaxation_end` on (the paper: "the
    minimum observed after the first relaxation cycle")."""
    start = relaxation_end(ends)
    after = ms[start:]
    return start + (int(np.nanargmin(after)) if np.isfinite(after).any() else 0)


def ms_baseline(data: dict) -> float:
    """ΔM_S's baseline (emu/cm³): M_S at :func:`baseline_frame` of one run's frames."""
    ms = np.asarray(data["saturation_magnetization"], float)
    return float(ms[baseline_frame(ms, segment_end_frames(np.asarray(data["segment"])))])


def claim_numbers(data: dict, attrs: dict) -> dict:
    """Claim quantities of one run's frames (``kmc.storage.store.read_frames``) and attributes ({} if too few)."""
    if "segment" not in data:                 # a replica that has not written a frame yet
        return {}
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
    low = baseline_frame(ms, ends)
    n_film = np.asarray(data["n_film"], float)
    dn = 100.0 * float(n_film[low] - n_film[-1]) / n_film[0] if n_film[0] else math.nan
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
        "ms_min": float(ms[low]),
        "ms_final": float(ms[-1]),
        "dn_cycles": dn,
        "dms_per_dn": float(ms[-1] - ms[low]) / dn if dn > 0 else math.nan,
        "fill_at_min": float(data["n_surface_electrolyte"][low]) / capacity if capacity else math.nan,
    }


#: depth resolution of the profiles kept in a paper result (nm)
PROFILE_BIN_NM = 2.5


def depth_profiles(data: dict, attrs: dict, phase_names) -> dict:
    """N occupancy and metallic (CoFe) fraction vs depth at the end of gating, at ΔM_S's baseline (the
    M_S minimum after the relaxation) and at the end, averaged over slices of ~PROFILE_BIN_NM; with
    the magnetisation profiles recorded, also M and M_S (emu/cm³ of the slice) at those frames and at
    the end of the relaxation (``relax_end``: when zero-field protocols switch the field off).

    Layer 0 is the bottom (electrode side); ``z_nm`` is the slice centre above it."""
    if "segment" not in data:
        return {}
    ends = segment_end_frames(np.asarray(data["segment"]))
    if len(ends) < 3 or "phase_profile" not in data:
        return {}
    ms = np.asarray(data["saturation_magnetization"], float)
    frames = {"gate_end": ends[0], "ms_min": baseline_frame(ms, ends), "final": len(ms) - 1}
    thickness = float((attrs.get("film") or {}).get("thickness_nm", math.nan))
    n_prof = np.asarray(data["n_profile"], float)
    cofe = np.asarray(data["phase_profile"], float)[..., list(phase_names).index("CoFe")]
    n_bins = max(1, round(thickness / PROFILE_BIN_NM)) if math.isfinite(thickness) else 10
    out = {"z_nm": ((np.arange(n_bins) + 0.5) * thickness / n_bins).tolist()}
    profiles = [("n", n_prof), ("cofe", cofe)]
    if "magnetization_profile" in data:
        frames["relax_end"] = ends[1]
        profiles += [("m", np.asarray(data["magnetization_profile"], float)),
                     ("ms", np.asarray(data["saturation_profile"], float))]
    for name, prof in profiles:
        for when, i in frames.items():
            out[f"{name}_{when}"] = [float(b.mean()) for b in np.array_split(prof[i], n_bins)]
    return out
