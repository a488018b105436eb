"""Phase identification of a run frame: per depth slice and for the whole film.

For each slice: the composition (Co:Fe from ``lattice.co_fraction`` — metals are uniform by
construction — and N per metal from ``n_profile``), the kinetic phase fractions the engine
records (``phase_profile``: local N environment of each metal site), the thermodynamic
decomposition of the slice composition on a Co–Fe–N phase diagram (pymatgen ``PhaseDiagram``
from the bundled Materials Project formation energies in ``kmc/data/cofen_formation_energies.json``,
each with its source and where it was read; see the file's ``note`` and ``caveat``), and which of
the seed paper's measured interplanar spacings the slice's phases explain.

Slices are numbered from the electrode (slice 0 = bottom) like the store's layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from kmc.analysis import phase_refs
from kmc.data import DATA_FILE, formation_energies, validate_formation_energies


class IncompleteStore(ValueError):
    """The store's run did not finish."""


def build_phase_diagram(data: dict):
    """pymatgen ``PhaseDiagram`` of the (validated) formation-energy table ``data``; entries named as in the table."""
    from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram
    from pymatgen.core import Composition

    entries = []
    for e in validate_formation_energies(data)["entries"]:
        comp = Composition(e["formula"])
        entries.append(PDEntry(comp, e["energy_ev_per_atom"] * comp.num_atoms, name=e["name"]))
    return PhaseDiagram(entries)


@lru_cache(maxsize=1)
def phase_diagram():
    """pymatgen ``PhaseDiagram`` of Co–Fe–N from the bundled formation energies."""
    return build_phase_diagram(formation_energies())


def decompose(composition: dict) -> dict[str, float]:
    """Equilibrium phases of ``composition`` ({"Co": x, "Fe": y, "N": z}, any scale): {phase: atom fraction}.

    Fractions are of atoms (pymatgen's convention) and sum to 1.
    """
    from pymatgen.core import Composition

    comp = Composition({k: v for k, v in composition.items() if v > 0})
    dec = phase_diagram().get_decomposition(comp)
    out: dict[str, float] = {}
    for entry, amount in dec.items():
        out[entry.name] = out.get(entry.name, 0.0) + float(amount)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


@dataclass
class Slice:
    label: str
    z_nm: tuple[float, float]
    composition: dict                         # atoms per metal: Co, Fe, N
    kinetic: dict                             # engine phase -> fraction of metal sites
    thermo: dict                              # equilibrium phase -> atom fraction
    spacings: dict = field(default_factory=dict)   # measured d (Å) -> [(ref, hkl, d)] explained


@dataclass
class PhaseID:
    frame: int
    time_s: float
    phase_names: list
    thermo_names: list
    slices: list                              # Slice, bottom first
    film: Slice
    tolerance_a: float
    complete: bool
    min_fraction: float

    def table(self) -> str:
        return format_table(self)


def _explained(kinetic: dict, tol: float, min_fraction: float) -> dict:
    keys = [k for name, f in kinetic.items() if f >= min_fraction for k in phase_refs.KINETIC_TO_REFS.get(name, ())]
    return {p["d"]: phase_refs.explain(p["d"], keys, tol) for p in phase_refs.PAPER_SPACINGS}


def identify(group, frame: int = -1, n_slices: int = 5, tol: float = 0.03, min_fraction: float = 0.01,
             allow_incomplete: bool = False) -> PhaseID:
    """Phase identification of one frame of a run group (see module docstring).

    ``frame`` counts among the frames written (negative from the last). Raises
    ``IncompleteStore`` for an unfinished run unless ``allow_incomplete``, and
    :class:`kmc.storage.integrity.StoreDamaged` for a lost or corrupted chunk or array.
    """
    from kmc.storage.integrity import check_run

    check_run(group)
    attrs = dict(group.attrs)
    complete = bool(attrs.get("complete"))
    n_written = int(attrs.get("frames_written", 0))
    if not complete and not allow_incomplete:
        raise IncompleteStore(f"the run is incomplete ({n_written} of {attrs.get('n_frames')} frames written); "
                              "pass --allow-incomplete to analyse the frames written")
    if n_written == 0:
        raise IncompleteStore("no frames written")
    if "phase_profile" not in group:
        raise ValueError("the store has no phase_profile (run without magnetism?)")
    index = frame if frame >= 0 else n_written + frame
    if not 0 <= index < n_written:
        raise ValueError(f"frame {frame} out of range (0..{n_written - 1} written)")
    co = float(attrs["config"]["lattice"].get("co_fraction", 0.35))
    n_prof = np.asarray(group["n_profile"][index], dtype=float)
    z = np.asarray(group["n_profile"].attrs.get("layer_z_nm", np.arange(len(n_prof))), dtype=float)
    ph_prof = np.asarray(group["phase_profile"][index], dtype=float)
    names = list(group["phase_profile"].attrs["phase_names"])
    thermo_names = [e["name"] for e in formation_energies()["entries"]]

    def make(label, zr, n_frac, kin):
        comp = {"Co": co, "Fe": 1.0 - co, "N": float(n_frac)}
        kinetic = {n: float(v) for n, v in zip(names, kin)}
        return Slice(label, zr, comp, kinetic, decompose(comp), _explained(kinetic, tol, min_fraction))

    slices = []
    n_parts = np.array_split(np.arange(len(n_prof)), n_slices)
    p_parts = np.array_split(np.arange(ph_prof.shape[0]), n_slices)
    for k, (ni, pi) in enumerate(zip(n_parts, p_parts)):
        tag = " (bottom)" if k == 0 else " (top)" if k == n_slices - 1 else ""
        slices.append(make(f"slice {k}{tag}", (float(z[ni[0]]), float(z[ni[-1]])), n_prof[ni].mean(),
                           ph_prof[pi].mean(axis=0)))
    film_kin = (np.asarray(group["phase_fraction"][index], dtype=float) if "phase_fraction" in group
                else ph_prof.mean(axis=0))
    film = make("film", (float(z[0]), float(z[-1])), n_prof.mean(), film_kin)
    return PhaseID(index, float(group["time"][index]), names, thermo_names, slices, film, tol, complete,
                   min_fraction)


def _fmt_frac(d: dict, names, min_fraction=0.005) -> str:
    parts = [f"{n} {d[n]:.2f}" for n in names if d.get(n, 0.0) >= min_fraction]
    return ", ".join(parts) or "-"


def format_table(res: PhaseID) -> str:
    lines = [f"Phase identification at frame {res.frame} (t = {res.time_s / 60:.2f} min)"
             + ("" if res.complete else "   [INCOMPLETE RUN]"),
             "  composition per metal: Co:Fe from lattice.co_fraction, N from n_profile; kinetic = engine's local-"
             "environment phases (fraction of metal sites); thermo = pymatgen decomposition (atom fractions, "
             "Materials Project formation energies, kmc/data/" + DATA_FILE + ")", ""]
    head = f"  {'slice':18s} {'z (nm)':>13s} {'N/M':>5s}  {'kinetic':50s}  thermo"
    lines.append(head)
    for s in [*reversed(res.slices), res.film]:
        lines.append(f"  {s.label:18s} {s.z_nm[0]:5.1f}-{s.z_nm[1]:5.1f}  {s.composition['N']:5.3f}  "
                     f"{_fmt_frac(s.kinetic, res.phase_names):50s}  {_fmt_frac(s.thermo, s.thermo.keys())}")
    lines += ["", f"  paper spacings explained by the kinetic phases present (>= {res.min_fraction:.0%}), "
                  f"tolerance ±{res.tolerance_a:.2f} Å:"]
    ds = [p["d"] for p in phase_refs.PAPER_SPACINGS]
    lines.append(f"  {'slice':18s} " + " ".join(f"{d:>6.2f}" for d in ds))
    for s in [*reversed(res.slices), res.film]:
        lines.append(f"  {s.label:18s} " + " ".join(f"{'yes' if s.spacings[d] else '-':>6s}" for d in ds))
    lines += ["", "  measured spacing (paper)  paper's assignment                  reference reflections within tolerance"]
    for p in phase_refs.PAPER_SPACINGS:
        hits = phase_refs.explain(p["d"], phase_refs.BY_KEY, res.tolerance_a)
        lines.append(f"  {p['d']:.2f} Å {p['where']:24s} {p['paper']:35s} "
                     + (", ".join(phase_refs.format_hit(h) for h in hits) or "none"))
    return "\n".join(lines)


def write_to_store(group, res: PhaseID) -> None:
    """Write ``res`` into ``group['phases']`` (overwritten) with dimension names."""
    ph = group.require_group("phases")
    all_slices = [*res.slices, res.film]
    ds = [p["d"] for p in phase_refs.PAPER_SPACINGS]
    arrays = {
        "composition": (np.array([[s.composition[e] for e in ("Co", "Fe", "N")] for s in all_slices]),
                        ("slice", "element"), "atoms per metal site"),
        "kinetic_fraction": (np.array([[s.kinetic[n] for n in res.phase_names] for s in all_slices]),
                             ("slice", "phase"), "1 (fraction of metal sites)"),
        "thermo_fraction": (np.array([[s.thermo.get(n, 0.0) for n in res.thermo_names] for s in all_slices]),
                            ("slice", "thermo_phase"), "1 (atom fraction)"),
        "spacing_explained": (np.array([[bool(s.spacings[d]) for d in ds] for s in all_slices]),
                              ("slice", "spacing"), "bool"),
        "z_range": (np.array([s.z_nm for s in all_slices]), ("slice", "bound"), "nm"),
    }
    for name, (data, dims, units) in arrays.items():
        arr = ph.create_array(name, shape=data.shape, dtype=data.dtype, dimension_names=dims, overwrite=True)
        arr[...] = data
        arr.attrs["units"] = units
    ph.attrs.update({
        "frame": res.frame, "time_s": res.time_s, "tolerance_a": res.tolerance_a,
        "slice_labels": [s.label for s in all_slices], "elements": ["Co", "Fe", "N"],
        "phase_names": res.phase_names, "thermo_phase_names": res.thermo_names,
        "spacings_a": ds, "spacing_assignments": [p["paper"] for p in phase_refs.PAPER_SPACINGS],
        "spacing_hits": [[[phase_refs.format_hit(h) for h in s.spacings[d]] for d in ds] for s in all_slices],
        "formation_energies": "kmc/data/" + DATA_FILE + " (" + formation_energies()["dataset"] + ")",
        "description": "phase identification (kmc.analysis.phase_id): last slice is the whole film; slice 0 = bottom",
    })
