"""A metal-centred N energy from the formation energies of the binary nitrides (the hop laws'
``metal_energy`` option; the core's side is :mod:`kmc.core.metal_counts`).

The energy of the N arrangement is taken as a sum over the metal atoms,

    E = Σ_m Δ_{species(m)}(n_m)        (eV),   n_m = occupied N sites around metal m (0..q)

with Δ_X(n) the formation energy per X atom of the nitride X N_{n/z} (z: metals around one N
site; in a rock-salt film z = q = 6, so n = 6 x for X N_x) *relative to the straight line
between the metal (n = 0) and the full nitride (n = q)*. The line is a chemical potential of N: for
a site with z metals it adds the same energy to every ion, so the barrier's E_0 and the boundary
plug-in already carry it. What remains is the curvature that decides whether a film of mean
N count n separates into regions of other counts (Δ above the hull of its neighbours) or not.

Data: the bundled Materials Project formation energies (``kmc/data/cofen_formation_energies.json``,
each entry with its source) of X₃N (n = 2), X₂N (n = 3) and XN (n = 6), X = Fe, Co; n = 1, 4, 5 are
linear interpolations between them (no uniform nitride with those counts exists). Fe₄N is left
out: on octahedral sites its metals have n = 0 and 2, so its energy in this form is that of
Fe + Fe₃N, by construction. Resulting Δ (eV per metal), Fe: n = 2: −0.015, n = 3: +0.068 (ζ-Fe₂N
lies above the Fe₃N–FeN tie line); Co: n = 2: +0.028, n = 3: −0.005. The compounds have their own
structures (hexagonal ε-X₃N, orthorhombic ζ-X₂N, cubic XN), not that of the film, so this is an
approximation of the energy of N on the film's octahedral sites, sourced and not fitted.
"""

from __future__ import annotations

import numpy as np

from kmc.core.metal_counts import count_metal_n

#: the metal-centred energies a hop law's ``metal_energy`` option names
SOURCES = ("none", "formation_hull")


def formation_mixing_table(host_symbols, z_metal: int, q: int, data: dict | None = None) -> np.ndarray:
    """(n_species, q + 1) Δ_X(n) (eV per metal) from formation energies (the bundled table, or
    ``data`` in its layout) for the host species in order; z_metal metals around an N site, q N
    sites around a metal. Raises ValueError if a species has no nitride with n = q (the line's end)."""
    from pymatgen.core import Composition

    from kmc.data import formation_energies, validate_formation_energies

    data = formation_energies() if data is None else validate_formation_energies(data)
    out = np.zeros((len(host_symbols), q + 1))
    for row, x in enumerate(host_symbols):
        points = {0: 0.0}
        for e in data["entries"]:
            comp = Composition(e["formula"])
            if set(str(el) for el in comp.elements) != {x, "N"}:
                continue
            n = z_metal * comp["N"] / comp[x]
            if abs(n - round(n)) < 1e-9 and 0 < round(n) <= q:  # a uniform count on the film's sites
                points[int(round(n))] = e["energy_ev_per_atom"] * comp.num_atoms / comp[x]
        if q not in points:
            raise ValueError(f"metal_energy = \"formation_hull\": no {x}–N compound with {q} N per {x} "
                             f"(the full nitride) in the formation-energy table")
        ns = np.array(sorted(points))
        g = np.interp(np.arange(q + 1), ns, [points[n] for n in ns])
        out[row] = g - g[q] * np.arange(q + 1) / q
    return out


def metal_energy_table(lattice, source: str) -> np.ndarray | None:
    """The (n_species, q + 1) table (eV) of ``source`` (one of :data:`SOURCES`) for a lattice, or None."""
    if source == "none":
        return None
    if source == "formation_hull":
        if len(lattice.host_symbols) == 0 or lattice.host_mobile_nbr.shape[1] == 0:
            return None  # no host metals: the sum over metals is empty
        return formation_mixing_table(lattice.host_symbols, lattice.host_nbr.shape[1], lattice.host_mobile_nbr.shape[1])
    raise ValueError(f"metal_energy must be one of {', '.join(SOURCES)}, got {source!r}")


def metal_energy_ev(lattice, occ: np.ndarray, table: np.ndarray | None) -> float:
    """E = Σ_m Δ_{species(m)}(n_m) (eV) of an occupancy (0 for no table)."""
    if table is None:
        return 0.0
    return float(table[lattice.host_species, count_metal_n(lattice.host_mobile_nbr, occ)].sum())
