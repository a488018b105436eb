"""Large arrays on transparent huge pages (2 MiB), for the tables an event reads at random.

An event of a film with 10⁶ sites reads ~37 scattered cache lines of a ~100 MB working set
(neighbour table, site records, sum tree, displacements). With 4 KiB pages nearly every such read
also misses the TLB and walks the page table; on 2 MiB pages the whole working set is covered by a
few dozen TLB entries. Linux hands out huge pages to a mapping that asks for them
(``madvise(MADV_HUGEPAGE)``; the default ``transparent_hugepage=madvise`` mode gives none
otherwise). Measured on the closed 10⁶-site box (bench/bench_kmc.py): ≈ 10 % less time per event,
bit-identical trajectories. Elsewhere (other systems, small arrays, THP disabled) the arrays are
ordinary numpy arrays; nothing but speed depends on this.
"""

import mmap

import numpy as np

HUGE_PAGE = 2 << 20  # bytes
#: arrays from this size on are moved to huge pages (smaller ones fit in the caches anyway)
MIN_BYTES = 2 * HUGE_PAGE


def on_huge_pages(a: np.ndarray) -> np.ndarray:
    """``a`` itself if small, already on huge pages or huge pages are unavailable; else a C-ordered
    copy in an anonymous mapping aligned to 2 MiB and advised as huge-page backed (same values,
    dtype and shape; the mapping lives as long as the array)."""
    if a.nbytes < MIN_BYTES or not hasattr(mmap, "MADV_HUGEPAGE") or is_on_huge_pages(a):
        return a
    size = (a.nbytes + HUGE_PAGE - 1) // HUGE_PAGE * HUGE_PAGE + HUGE_PAGE  # + room to align
    try:
        m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        m.madvise(mmap.MADV_HUGEPAGE)
    except (OSError, ValueError):
        return a
    raw = np.frombuffer(m, dtype=np.uint8)
    start = -raw.ctypes.data % HUGE_PAGE
    out = raw[start:start + a.nbytes].view(a.dtype).reshape(a.shape)
    out[...] = a
    return out


def is_on_huge_pages(a: np.ndarray) -> bool:
    """True if ``a`` was made by :func:`on_huge_pages` (its memory is an anonymous mapping)."""
    base = a
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    return isinstance(base, memoryview) and isinstance(base.obj, mmap.mmap)
