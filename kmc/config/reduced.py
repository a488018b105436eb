"""A protocol on a thinner film with its times scaled so that the film's N transport is similar.

For a film of thickness L gated at a fixed voltage, diffusion across it takes ~L²/D and drift
L/(μ·V/L) = L²/(μV): both scale as L², and the N it holds per area as L. A film of thickness s·L
therefore passes through the same states at times s²·t, provided the boundary's capacity per area
scales as s and its own times (escape of released N into the bulk electrolyte, the double-layer
reversal at 0 V) as s². :func:`scaled` returns a resolved configuration scaled so; the bundled
``paper/reduced_high_m`` is ``paper/high_m_3min`` scaled to 20 nm and 4 × 4 cells
(tests/test_paper_claims.py checks that the file and this function agree).

Where the similarity breaks (why reduced films test qualitative claims only): hop rates depend on
the field nonlinearly (bias exp(±qEa/2k_BT)) and E = V_film/L grows as 1/s; the double layer, the
release distance and the lattice are atomic lengths; the magnetism's times (Néel–Brown reversal,
coupling interval) are physical and not scaled, so remanence of a reduced film is not that of the
full one; a narrow film has not converged laterally (docs/magnetism.md).
"""

from __future__ import annotations

import copy

#: boundary plug-in -> (parameters scaled as s, parameters scaled as s²)
BOUNDARY_SCALING = {"solubility": (("solubility_per_nm2",), ("escape_time_s", "reversal_time_s"))}


def scaled(config: dict, thickness_nm: float, cells_xy=None) -> dict:
    """``config`` (a resolved configuration, kmc.config.RunConfig.resolved) on a film ``thickness_nm``
    thick (and ``cells_xy`` wide, if given), with every time scaled by s² and the boundary's capacity
    per area by s, s = thickness_nm / the original thickness."""
    out = copy.deepcopy(config)
    s = float(thickness_nm) / float(config["lattice"]["thickness_nm"])
    out["lattice"]["thickness_nm"] = thickness_nm
    if cells_xy is not None:
        out["lattice"]["cells_xy"] = list(cells_xy)
    boundary = out["boundary"]
    if boundary["name"] not in BOUNDARY_SCALING:
        raise ValueError(f"boundary plug-in {boundary['name']!r}: no similarity scaling known "
                         f"(known: {', '.join(BOUNDARY_SCALING)})")
    linear, quadratic = BOUNDARY_SCALING[boundary["name"]]
    for key in linear:
        boundary[key] = boundary[key] * s
    for key in quadratic:
        boundary[key] = boundary[key] * s * s
    out["run"]["frame_interval_s"] = config["run"]["frame_interval_s"] * s * s
    for seg in out["segments"]:
        seconds = float(seg["duration"].removesuffix(" s"))
        seg["duration"] = f"{seconds * s * s:g} s"
    return out
