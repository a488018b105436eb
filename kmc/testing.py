"""Helpers for tests (mikmc's own and users'): small ion systems on any lattice."""

from __future__ import annotations

import numpy as np

from kmc.ions import FieldModel, IonSystem
from kmc.plugins.boundary.closed import Closed
from kmc.plugins.hops.arrhenius import ArrheniusHop


def make_ions(lattice, *, barrier_ev=0.5, nn_bond_ev=0.0, co_shift_ev=0.0, temperature_k=300.0,
              occupancy=None, field=None, boundary=None, seed=1) -> IonSystem:
    """An IonSystem with the Arrhenius hop law and (by default) a closed surface."""
    hop = ArrheniusHop(barrier_ev=barrier_ev, nn_bond_ev=nn_bond_ev, co_shift_ev=co_shift_ev)
    tables = hop.build(lattice, temperature_k)
    bnd = (boundary or Closed()).build(lattice, temperature_k)
    return IonSystem(lattice, tables, bnd, temperature_k, field or FieldModel(), seed, occupancy=occupancy)


def single_vacancy(n_sites: int, site: int = 0) -> np.ndarray:
    """Occupancy with every site filled but one."""
    occ = np.ones(n_sites, dtype=np.int8)
    occ[site] = 0
    return occ
