"""Shared fixtures (helpers to build ion systems live in kmc.testing)."""

import pytest
from click.testing import CliRunner

from kmc.cli import main
from kmc.lattices.cubic import CubicTestLattice

#: CLI overrides that turn the bundled quick protocol into a ~1 s run
SHORT = ["--set", "lattice.thickness_nm=3.0", "--set", "lattice.cells_xy=[2,2]",
         "--set", 'segments.0.duration="20 s"', "--set", 'segments.1.duration="10 s"']


@pytest.fixture(scope="session")
def sc_periodic():
    """8×8×8 simple cubic, periodic in x, y and z, a = 3 Å."""
    return CubicTestLattice("sc", (8, 8, 8), 3.0, periodic_z=True).build(0)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """A complete store of the short quick run, one per test module (tests may modify it)."""
    out = tmp_path_factory.mktemp("short") / "short.zarr"
    res = CliRunner().invoke(main, ["run", "quick", "-o", str(out), "--quiet", *SHORT])
    assert res.exit_code == 0, res.output
    return out
