"""Lattice builders (installed as ``kmc.lattices``): ASE structures -> :class:`Lattice` tables.

A builder makes the ASE film (rocksalt, zincblende; sc/bcc/fcc test boxes) and
:func:`lattice_from_atoms` turns any ASE structure into flat neighbour, hop-vector, layer and host
tables in a locality-preserving site order.

May import: :mod:`kmc.units` (and ASE, numpy). Knows nothing of rates, runs or stores.
"""

from kmc.lattices.base import Lattice, lattice_from_atoms

__all__ = ["Lattice", "lattice_from_atoms"]
