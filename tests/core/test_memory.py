"""Huge-page placement of the core's large arrays changes speed only, never values or trajectories."""

import numpy as np
import pytest

from kmc.core import memory
from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.plugins.boundary.solubility import SolubilityLimited
from kmc.testing import make_ions

needs_thp = pytest.mark.skipif(not hasattr(memory.mmap, "MADV_HUGEPAGE"), reason="no madvise(MADV_HUGEPAGE)")


@needs_thp
@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.float64])
def test_copy_on_huge_pages_keeps_values_dtype_shape_and_is_aligned(dtype):
    a = (np.arange(memory.MIN_BYTES // np.dtype(dtype).itemsize * 3 // 2) % 97).astype(dtype).reshape(-1, 3)
    b = memory.on_huge_pages(a)
    assert b is not a and memory.is_on_huge_pages(b) and not memory.is_on_huge_pages(a)
    assert b.dtype == a.dtype and b.shape == a.shape and b.flags.c_contiguous and b.flags.writeable
    assert np.array_equal(a, b)
    assert b.ctypes.data % memory.HUGE_PAGE == 0
    assert memory.on_huge_pages(b) is b  # idempotent
    small = np.ones(10)
    assert memory.on_huge_pages(small) is small


@needs_thp
def test_trajectory_is_bit_identical_with_and_without_huge_pages(monkeypatch):
    lattice = RocksaltFilm(cells_xy=(2, 2), thickness_nm=8.0).build(0)

    def run():
        occ = (np.random.default_rng(3).random(lattice.n_sites) > 0.1).astype(np.int8)
        ions = make_ions(lattice, nn_bond_ev=0.05, boundary=SolubilityLimited(), occupancy=occ, seed=7)
        ions.set_voltage(-25.0)
        ions.advance(1e3, max_events=50_000)
        return ions

    monkeypatch.setattr(memory, "MIN_BYTES", 1 << 60)
    plain = run()
    monkeypatch.setattr(memory, "MIN_BYTES", 0)
    huge = run()
    assert memory.is_on_huge_pages(huge.rec) and memory.is_on_huge_pages(huge.static.nbr)
    assert not memory.is_on_huge_pages(plain.rec)
    assert int(plain.cnt[0]) == int(huge.cnt[0]) > 1000
    for name in ("rec", "ion_at", "disp", "tree", "electrolyte", "layer_n", "sc"):
        assert np.array_equal(getattr(plain, name), getattr(huge, name), equal_nan=True), name
