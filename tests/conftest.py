"""Shared fixtures (helpers to build ion systems live in kmc.testing)."""

import pytest

from kmc.lattices.cubic import CubicTestLattice


@pytest.fixture(scope="session")
def sc_periodic():
    """8×8×8 simple cubic, periodic in x, y and z, a = 3 Å."""
    return CubicTestLattice("sc", (8, 8, 8), 3.0, periodic_z=True).build(0)
