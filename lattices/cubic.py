"""Textbook test lattices (simple cubic, bcc, fcc) of one mobile species, for validating the engine."""

from __future__ import annotations

from ase import Atoms
from ase.build import bulk

from kmc.lattices.base import Lattice, lattice_from_atoms


class CubicTestLattice:
    """A box of one mobile species ("N") on a cubic Bravais lattice.

    Parameters
    ----------
    kind : {"sc", "bcc", "fcc"}
        Bravais lattice.
    cells : [int, int, int]
        Repeats of the conventional cubic cell along x, y, z.
    lattice_constant_a : float
        Cubic lattice constant in Å.
    periodic_z : bool
        True: a bulk box (periodic in all directions); False: a film with surfaces at z.
    """

    name = "cubic"
    api_version = 1

    def __init__(self, kind: str = "sc", cells=(6, 6, 6), lattice_constant_a: float = 3.0,
                 periodic_z: bool = False):
        if kind not in ("sc", "bcc", "fcc"):
            raise ValueError(f"kind must be one of sc, bcc, fcc; got {kind!r}")
        if len(cells) != 3 or min(cells) < 1:
            raise ValueError(f"cells must be three integers >= 1, got {cells}")
        self.kind, self.cells, self.a, self.periodic_z = kind, tuple(cells), lattice_constant_a, periodic_z

    def estimate_sites(self) -> tuple[int, int]:
        """(mobile sites, host sites) that :meth:`build` would make, without building."""
        per_cell = {"sc": 1, "bcc": 2, "fcc": 4}[self.kind]
        return per_cell * self.cells[0] * self.cells[1] * self.cells[2], 0

    def build(self, seed: int) -> Lattice:  # noqa: ARG002 - no randomness in a test lattice
        if self.kind == "sc":
            cell = Atoms("N", cell=[self.a] * 3, pbc=True)
        else:
            cell = bulk("N", self.kind, a=self.a, cubic=True)
        atoms = cell.repeat(self.cells)
        atoms.pbc = (True, True, self.periodic_z)
        return lattice_from_atoms(atoms, "N", thickness_nm=self.cells[2] * self.a / 10.0)
