"""Bundled data: the Co–Fe–N formation energies (``cofen_formation_energies.json``, every value
with its source) and the barrier data set of the ``emt_nin`` barriers (``barriers_emt_nin.json``).
This module reads and checks the formation-energy table, for the phase diagram
(:mod:`kmc.analysis.phase_id`) and the hop laws' metal-centred energy
(:mod:`kmc.plugins.hops.metal_energy`).

May import: nothing of ``kmc`` (pymatgen for formulas).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources

DATA_FILE = "cofen_formation_energies.json"


def validate_formation_energies(data: dict) -> dict:
    """Check a formation-energy table (the bundled file's layout) and return it.

    Raises ``ValueError`` naming the entry when an entry has no (or an empty) ``source`` or
    ``reference``, a missing or non-finite ``energy_ev_per_atom``, or is an elemental reference
    (single-element formula) whose energy is not exactly 0; the same for any ``cross_checks`` item.
    """
    from pymatgen.core import Composition

    entries = data.get("entries") if isinstance(data, dict) else None
    if not entries:
        raise ValueError("formation-energy table has no entries")
    names = set()
    for i, e in enumerate(entries):
        name = e.get("name") or f"#{i}"
        if name in names:
            raise ValueError(f"formation-energy entry {name!r} appears twice")
        names.add(name)
        for key in ("formula", "source", "reference"):
            value = e.get(key)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"formation-energy entry {name!r} has no {key}: "
                                 "every value must say where it comes from")
        energy = e.get("energy_ev_per_atom")
        if isinstance(energy, bool) or not isinstance(energy, (int, float)) or not math.isfinite(energy):
            raise ValueError(f"formation-energy entry {name!r} has no finite energy_ev_per_atom ({energy!r})")
        if len(Composition(e["formula"]).elements) == 1 and energy != 0:
            raise ValueError(f"formation-energy entry {name!r} is an elemental reference "
                             f"but its energy is {energy}, not 0")
        for j, c in enumerate(e.get("cross_checks", ())):
            for key in ("source", "reference"):
                if not isinstance(c.get(key), str) or not c[key].strip():
                    raise ValueError(f"cross-check {j} of formation-energy entry {name!r} has no {key}")
            value = c.get("energy_ev_per_atom")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"cross-check {j} of formation-energy entry {name!r} has no finite energy_ev_per_atom")
    return data


def load_formation_energies(path=None) -> dict:
    """Read and validate a formation-energy table: the bundled one, or the JSON file at ``path``."""
    text = (resources.files("kmc").joinpath("data", DATA_FILE).read_text() if path is None
            else open(path, encoding="utf-8").read())
    return validate_formation_energies(json.loads(text))


@lru_cache(maxsize=1)
def formation_energies() -> dict:
    """The bundled, validated formation-energy table (per-entry ``source``, ``reference``; see ``note``, ``caveat``)."""
    return load_formation_energies()
