"""Reference crystal structures of the phases the seed paper names, and their interplanar spacings.

Structures are built with pymatgen from space group + lattice parameters (+ Wyckoff positions).
Where a position parameter is not pinned by symmetry it is a literature value quoted to about
two digits (marked ``approximate``): it changes intensities, not the d-spacings, which depend only
on the lattice. The paper's measured spacings (HRTEM/FFT, seed paper Figs. 4-5) are in
``PAPER_SPACINGS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

CO, FE = 0.35, 0.65
COFE = {"Co": CO, "Fe": FE}


@dataclass(frozen=True)
class Reference:
    key: str
    label: str
    spacegroup: str
    lattice: tuple            # (a, b, c) Å, angles 90°
    species: tuple
    coords: tuple
    source: str
    approximate: bool = False


REFERENCES = (
    Reference("CoFeN", "(Co,Fe)N rocksalt", "Fm-3m", (4.24, 4.24, 4.24), (COFE, "N"),
              ((0, 0, 0), (0.5, 0.5, 0.5)),
              "a = 4.24 Å of the as-grown Co0.35Fe0.65N film (seed paper; mikmc lattice default)"),
    Reference("Fe4N", "Fe4N (gamma')", "Pm-3m", (3.795, 3.795, 3.795), ("Fe", "Fe", "N"),
              ((0, 0, 0), (0, 0.5, 0.5), (0.5, 0.5, 0.5)),
              "a = 3.795 Å, Fe_I 1a, Fe_II 3c, N 1b (Jack, Proc. R. Soc. A 195, 34 (1948); ICDD 06-0627)"),
    Reference("Co2N", "Co2N", "Pnnm", (4.606, 4.344, 2.854), ("Co", "N"),
              ((0.25, 0.33, 0), (0, 0, 0)),
              "orthorhombic Pnnm, a = 4.606, b = 4.344, c = 2.854 Å (ICDD 06-0647); Co 4g position approximate",
              approximate=True),
    Reference("Fe2N", "Fe2N (zeta)", "Pbcn", (4.437, 5.541, 4.843), ("Fe", "N"),
              ((0.25, 0.128, 0.083), (0, 0.364, 0.25)),
              "zeta-Fe2N Pbcn, a = 4.437, b = 5.541, c = 4.843 Å (Rechenbach & Jacobs, J. Alloys Compd. 235, 15 "
              "(1996)); Fe 8d and N 4c positions approximate", approximate=True),
    Reference("FCC", "FCC Fe/Co", "Fm-3m", (3.55, 3.55, 3.55), (COFE,), ((0, 0, 0),),
              "fcc Co/gamma-Fe, a ≈ 3.55 Å (fcc Co 3.545 Å, ICDD 15-0806; gamma-Fe 3.59 Å at RT extrapolated)"),
    Reference("CoFe_B2", "CoFe (B2)", "Pm-3m", (2.857, 2.857, 2.857), ("Co", "Fe"),
              ((0, 0, 0), (0.5, 0.5, 0.5)),
              "ordered B2 FeCo, a = 2.857 Å (ICDD 49-1568)"),
    Reference("Fe5Co3", "Fe5Co3 (bcc)", "Im-3m", (2.855, 2.855, 2.855), ({"Fe": 0.625, "Co": 0.375},),
              ((0, 0, 0),), "disordered bcc Fe0.625Co0.375, a ≈ 2.855 Å (ICDD 48-1817, approximate)",
              approximate=True),
)
BY_KEY = {r.key: r for r in REFERENCES}

#: engine phase (plugins/phases/coordination.py NAMES) -> reference structures it stands for
KINETIC_TO_REFS = {
    "(Co,Fe)N": ("CoFeN",),
    "Co2N/Fe2N": ("Co2N", "Fe2N"),
    "Fe4N": ("Fe4N",),
    "CoFe": ("FCC", "CoFe_B2", "Fe5Co3"),
}
#: thermodynamic phase (kmc/data/cofen_formation_energies.json names) -> reference structures
THERMO_TO_REFS = {
    "Fe4N": ("Fe4N",), "Co4N": ("Fe4N",), "Fe2N": ("Fe2N",), "Co2N": ("Co2N",),
    "FeN": ("CoFeN",), "CoN": ("CoFeN",), "CoFe": ("CoFe_B2",), "Fe": ("Fe5Co3",), "Co": ("FCC",),
}

#: measured spacings (Å) of the seed paper with the assignment the paper gives
PAPER_SPACINGS = (
    {"d": 2.45, "where": "High M top", "paper": "(Co,Fe)N(111)"},
    {"d": 2.27, "where": "High M top", "paper": "Co2N(020)"},
    {"d": 2.11, "where": "High M top", "paper": "(unassigned)"},
    {"d": 2.66, "where": "High M bottom", "paper": "Fe2N(020)/CoFe(100)/Fe5Co3(200)"},
    {"d": 2.08, "where": "High M bottom; Low M top", "paper": "FCC Fe/Co(111)"},
    {"d": 1.73, "where": "High M bottom", "paper": "Fe2N(220)/Co FCC(200)"},
    {"d": 2.55, "where": "Low M top", "paper": "Fe4N(110)"},
)


def build(ref: Reference):
    """pymatgen ``Structure`` of a reference phase."""
    from pymatgen.core import Lattice, Structure

    a, b, c = ref.lattice
    return Structure.from_spacegroup(ref.spacegroup, Lattice.orthorhombic(a, b, c), list(ref.species),
                                     [list(x) for x in ref.coords])


@lru_cache(maxsize=None)
def spacings(key: str, d_min: float = 1.0, min_intensity: float = 0.1) -> tuple:
    """Reflections of a reference: ((d Å, hkl, relative intensity %), ...), strongest first in d order.

    From pymatgen's ``XRDCalculator`` (Cu Kα; structure factors remove systematic absences), keeping
    reflections with d >= ``d_min`` and intensity >= ``min_intensity`` % of the strongest.
    """
    from pymatgen.analysis.diffraction.xrd import XRDCalculator

    pattern = XRDCalculator().get_pattern(build(BY_KEY[key]), scaled=True, two_theta_range=(5, 120))
    out = []
    for d, hkls, y in zip(pattern.d_hkls, pattern.hkls, pattern.y):
        if d >= d_min and y >= min_intensity:
            out.append((float(d), tuple(int(i) for i in hkls[0]["hkl"]), float(y)))
    return tuple(sorted(out, key=lambda r: -r[0]))


def d_hkl(key: str, hkl) -> float:
    """Interplanar spacing (Å) of plane ``hkl`` of a reference from its lattice alone."""
    from pymatgen.core import Lattice

    a, b, c = BY_KEY[key].lattice
    return float(Lattice.orthorhombic(a, b, c).d_hkl(hkl))


def explain(measured: float, keys, tol: float = 0.03) -> list[tuple]:
    """Reflections of references ``keys`` within ``tol`` Å of a ``measured`` spacing: [(key, hkl, d)]."""
    hits = []
    for key in keys:
        for d, hkl, _ in spacings(key):
            if abs(d - measured) <= tol:
                hits.append((key, hkl, d))
    return sorted(hits, key=lambda h: abs(h[2] - measured))


def format_hit(hit) -> str:
    key, hkl, d = hit
    return f"{key}({''.join(str(i) for i in hkl)}) {d:.3f}"


def spacing_table(d_max: float = 3.0) -> str:
    """All reference reflections with d <= d_max, readable."""
    lines = []
    for ref in REFERENCES:
        refl = [f"{''.join(map(str, h))}:{d:.3f}" for d, h, _ in spacings(ref.key) if d <= d_max]
        lines.append(f"  {ref.label:20s} {ref.spacegroup:6s} " + "  ".join(refl[:8]))
    return "\n".join(lines)


__all__ = ["REFERENCES", "BY_KEY", "KINETIC_TO_REFS", "THERMO_TO_REFS", "PAPER_SPACINGS", "build", "spacings",
           "d_hkl", "explain", "format_hit", "spacing_table", "np"]
