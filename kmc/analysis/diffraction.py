"""Diffraction of the simulated configuration itself: which spacings a depth slice shows, and whether
the N on the octahedral sublattice has ordered.

Kinematic structure factor over the atoms of a slice of a snapshot (Å; scattering factor = the
atomic number, q-independent — enough to tell which reflections exist and their relative size):

    F(hkl) = Σ_j Z_j exp(2πi (h x_j + k y_j + l z_j) / a),   I(hkl) = |F(hkl)|² / N_atoms

on the reciprocal lattice of the cubic cell a (the film is built from whole cells: x, y periodic,
z the slice). Reflections are grouped in shells s = h² + k² + l² with spacing d = a/√s. For rocksalt
(fcc metal + full fcc N sublattice) only unmixed hkl survive: (111) 2.45 Å, (200) 2.12 Å, (220)…
N ordered as in γ′-Fe₄N (one of the four octahedral sites of each cell occupied) adds the mixed
reflections (100) 4.24 Å, (110) 3.00 Å, (210) 1.90 Å, (211) 1.73 Å of the N sublattice alone; a
random N distribution does not (its mixed-hkl intensity is the diffuse background, of order
Σ Z_N² c(1−c) per atom). ``superstructure_index`` compares the two: with Z as scattering factor it
is ≈ 4×10⁻³ for perfect γ′ order in rocksalt Fe–N (N is light and a fifth of the atoms), ≈ 10⁻⁴
for random N at the same filling, 0 for full rocksalt.

The simulated metal sublattice never leaves rocksalt's fcc with a = 4.24 Å, so spacings that need
another lattice — Co₂N/Fe₂N (2.27, 2.66 Å), FCC Fe/Co (2.08 Å), bcc CoFe — cannot appear here: such
phases are labelled by N coordination only (kmc.analysis.phase_id), not seen in the structure.
"""

from __future__ import annotations

import itertools

import numpy as np

#: the spacings (Å) the seed paper assigns in HRTEM/XRD (Martínez Armesto et al.)
PAPER_SPACINGS_A = (2.45, 2.27, 2.11, 2.66, 2.08, 1.73)
ATOMIC_NUMBER = {"N": 7, "Fe": 26, "Co": 27, "X": 0}
#: mixed-parity shells of the cubic cell: forbidden for rocksalt, present for γ′-type N order
MIXED_SHELLS = (1, 2, 5, 6)


def hkl_shells(max_s: int = 12) -> dict[int, np.ndarray]:
    """All (h, k, l) with h² + k² + l² = s, for s = 1 … max_s."""
    r = int(np.sqrt(max_s))
    out: dict[int, list] = {}
    for h, k, l in itertools.product(range(-r, r + 1), repeat=3):
        s = h * h + k * k + l * l
        if 0 < s <= max_s:
            out.setdefault(s, []).append((h, k, l))
    return {s: np.array(v, dtype=float) for s, v in sorted(out.items())}


def shell_intensities(positions: np.ndarray, z_numbers: np.ndarray, a: float, max_s: int = 12) -> dict[int, float]:
    """Mean I(hkl) = |F|² / N over each shell s (positions in Å, cubic cell a in Å)."""
    n = max(len(positions), 1)
    out = {}
    for s, hkl in hkl_shells(max_s).items():
        phase = 2 * np.pi * positions @ hkl.T / a  # (atoms, reflections)
        f = (z_numbers[:, None] * np.exp(1j * phase)).sum(axis=0)
        out[s] = float(np.mean(np.abs(f) ** 2) / n)
    return out


def superstructure_index(intensities: dict[int, float]) -> float:
    """Mixed-parity (superstructure) over fundamental (200) intensity: ≈ 0 for rocksalt with random
    N, a few % or more for γ′-type ordered N."""
    mixed = max(intensities.get(s, 0.0) for s in MIXED_SHELLS)
    return mixed / intensities[4] if intensities.get(4, 0.0) > 0 else float("nan")


def spacings_shown(intensities: dict[int, float], a: float, threshold: float = 1e-3) -> dict[float, float]:
    """Spacing d = a/√s (Å) -> intensity relative to (200), for shells above ``threshold``."""
    ref = intensities.get(4, 0.0) or 1.0
    return {round(a / np.sqrt(s), 3): i / ref for s, i in intensities.items() if i / ref >= threshold}


def paper_spacings(shown: dict[float, float], tol_a: float = 0.03) -> dict[float, float | None]:
    """For each of the paper's spacings: the relative intensity of the shown spacing within ``tol_a``
    (Å), or None if the slice shows none (with a fixed rocksalt lattice, some never can)."""
    out = {}
    for d in PAPER_SPACINGS_A:
        near = [i for ds, i in shown.items() if abs(ds - d) <= tol_a]
        out[d] = max(near) if near else None
    return out


def slice_atoms(snapshot: dict, z_lo: float, z_hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions (Å) and atomic numbers of the metal atoms and occupied N sites with z in [z_lo, z_hi)."""
    host_sym = [snapshot["host_symbols"][k] for k in snapshot["host_species"]]
    occ = snapshot["occupancy"].astype(bool)
    pos = np.vstack([snapshot["host_xyz"], snapshot["mobile_xyz"][occ]]).astype(float)
    z = np.array([ATOMIC_NUMBER.get(s, 26) for s in host_sym] + [ATOMIC_NUMBER["N"]] * int(occ.sum()), dtype=float)
    keep = (pos[:, 2] >= z_lo) & (pos[:, 2] < z_hi)
    return pos[keep], z[keep]


def cubic_constant(snapshot: dict) -> float:
    """The cubic lattice constant (Å): twice the spacing of the N layers along z."""
    zs = np.unique(np.round(snapshot["mobile_xyz"][:, 2].astype(float), 2))
    return 2.0 * float(np.min(np.diff(zs))) if len(zs) > 1 else float("nan")


def slice_report(snapshot: dict, n_slices: int = 5, max_s: int = 12) -> list[dict]:
    """Per depth slice (bottom first): its z range (Å), spacings shown with relative intensities,
    the paper's spacings found, and the superstructure index."""
    a = cubic_constant(snapshot)
    z_all = np.concatenate([snapshot["host_xyz"][:, 2], snapshot["mobile_xyz"][:, 2]]).astype(float)
    # slices of whole cubic cells: a slice cutting a cell would show (00l) truncation peaks
    z0 = z_all.min() - a / 4
    n_cells = max(1, int(round((z_all.max() - z_all.min()) / a)) + 1)
    cuts = np.unique(np.linspace(0, n_cells, min(n_slices, n_cells) + 1).round().astype(int))
    edges = z0 + a * cuts
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        pos, z = slice_atoms(snapshot, lo, hi)
        inten = shell_intensities(pos, z, a, max_s)
        shown = spacings_shown(inten, a)
        out.append({"z_nm": (lo / 10.0, hi / 10.0), "atoms": len(pos), "spacings": shown,
                    "paper": paper_spacings(shown), "superstructure": superstructure_index(inten)})
    return out


def format_report(rows: list[dict], title: str) -> str:
    """The slice report as a text table: the paper's spacings (relative intensity to (200), '-' if
    absent) and the superstructure index per slice."""
    head = "  z (nm)        atoms  " + "  ".join(f"{d:>5.2f}" for d in PAPER_SPACINGS_A) + "   superstructure"
    lines = [title, head]
    for r in rows:
        cells = "  ".join(f"{v:5.3f}" if v is not None else "    -" for v in r["paper"].values())
        lines.append(f"  {r['z_nm'][0]:5.1f}-{r['z_nm'][1]:5.1f}  {r['atoms']:7d}  {cells}   {r['superstructure']:.2e}")
    lines.append("  (spacings that need another lattice than the simulated rocksalt, 2.27/2.66/2.08 Å, cannot appear)")
    return "\n".join(lines)
