"""Shared helpers: small ion systems on textbook lattices."""

from __future__ import annotations

import numpy as np
import pytest

from kmc.ions import FieldModel, IonSystem
from kmc.lattices.cubic import CubicTestLattice
from kmc.plugins.boundary.closed import Closed
from kmc.plugins.hops.arrhenius import ArrheniusHop


def make_ions(lattice, *, barrier_ev=0.5, nn_bond_ev=0.0, co_shift_ev=0.0, temperature_k=300.0,
              occupancy=None, field=None, boundary=None, seed=1):
    hop = ArrheniusHop(barrier_ev=barrier_ev, nn_bond_ev=nn_bond_ev, co_shift_ev=co_shift_ev)
    tables = hop.build(lattice, temperature_k)
    bnd = (boundary or Closed()).build(lattice, temperature_k)
    return IonSystem(lattice, tables, bnd, temperature_k, field or FieldModel(), seed, occupancy=occupancy)


def single_vacancy(n_sites: int, site: int = 0) -> np.ndarray:
    occ = np.ones(n_sites, dtype=np.int8)
    occ[site] = 0
    return occ


@pytest.fixture(scope="session")
def sc_periodic():
    """8×8×8 simple cubic, periodic in x, y and z, a = 3 Å."""
    return CubicTestLattice("sc", (8, 8, 8), 3.0, periodic_z=True).build(0)
