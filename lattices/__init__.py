"""Lattice builders (installed as ``kmc.lattices``): ASE structures -> :class:`Lattice` tables."""

from kmc.lattices.base import Lattice, lattice_from_atoms

__all__ = ["Lattice", "lattice_from_atoms"]
