"""N counts of the host metals, for hop laws with a metal-centred energy.

A hop law may add to the film's energy a sum over the host metal atoms,

    E_metal = Σ_m g_{species(m)}(n_m)          (eV)

with n_m the number of occupied N sites around metal m (0..q; q = 6 for the octahedral sites of
a rock-salt film). This is a many-body energy (it is not a sum of N–N pairs unless g is
quadratic): the energy of taking the ion at s out of the film is Σ_{m ∋ s} [g(n_m − 1) − g(n_m)],
so a start-site law multiplies the rate of s by

    Π_{m ∋ s} φ[species(m), n_m],      φ[c, n] = exp(−(g_c(n − 1) − g_c(n)) / kT)

(:func:`metal_factor`, n_m counting s itself), which keeps detailed balance for E_metal whatever
the rest of the configuration. The core keeps ``metal_n`` (n_metals,) int8 current (a flip of
site s changes the counts of s's metals only, :func:`kmc.core.site_updates._flip_metals`); the
sites whose factor a flip changes are those sharing a metal with it: the hop neighbours, which every flip already
re-evaluates, and ``metal_shell[s]``, the others (the second neighbour shell in a rock-salt film).

The tables are the Static fields ``metal_of`` (n_sites, z_m) int32 (-1 padded), ``metal_species``
(n_metals,) int8, ``phi`` (n_species, q + 1) float64 and ``metal_shell`` (n_sites, z_q) int32;
a law without a metal energy has an empty ``phi`` and the core skips all of this.
"""

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def metal_factor(s, metal_of, metal_species, metal_n, phi):
    """Π_{m ∋ s} φ[species(m), n_m]: the factor of the metal-centred energy on the rate of the
    occupied site s (1.0 for a law without one)."""
    f = 1.0
    if phi.shape[0]:
        for a in range(metal_of.shape[1]):
            m = metal_of[s, a]
            if m >= 0:
                f *= phi[metal_species[m], metal_n[m]]
    return f


def count_metal_n(host_mobile_nbr: np.ndarray, occ: np.ndarray) -> np.ndarray:
    """(n_metals,) int64: occupied N sites around every metal, from scratch (``host_mobile_nbr``:
    the lattice's (n_metals, q) mobile sites of each metal, -1 padded)."""
    return np.append(np.asarray(occ, dtype=np.int64), 0)[host_mobile_nbr].sum(axis=1)


def metal_shell(lattice) -> np.ndarray:
    """(n_sites, z_q) int32: the sites sharing a host metal with each site, hop neighbours excluded
    (-1 padded)."""
    n = lattice.n_sites
    of, nbr = lattice.host_nbr, lattice.hop_nbr
    cand = np.where((of >= 0)[:, :, None], lattice.host_mobile_nbr[np.maximum(of, 0)], -1).reshape(n, -1)
    drop = (cand == np.arange(n)[:, None]) | (cand[:, :, None] == np.where(nbr >= 0, nbr, -2)[:, None, :]).any(axis=2)
    cand = -np.sort(-np.where(drop, -1, cand), axis=1)  # descending: -1 last
    cand[:, 1:][cand[:, 1:] == cand[:, :-1]] = -1  # a site reached through two metals, once
    cand = -np.sort(-cand, axis=1)
    width = int((cand >= 0).sum(axis=1).max(initial=0))
    return np.ascontiguousarray(cand[:, :width], dtype=np.int32)


def metal_tables(lattice, metal_energy_ev: np.ndarray | None, kt_ev: float) -> dict:
    """The Static fields of a metal-centred energy g (``metal_energy_ev`` (n_species, q + 1) eV,
    rows in the order of ``lattice.host_symbols``, column n = g(n)) at kT = ``kt_ev`` (eV); empty
    tables for None."""
    n = lattice.n_sites
    if metal_energy_ev is not None:
        check_metal_energy(lattice, metal_energy_ev)
    if metal_energy_ev is None:
        return dict(metal_of=np.empty((n, 0), np.int32), metal_species=np.empty(0, np.int8),
                    phi=np.empty((0, 0)), metal_shell=np.empty((n, 0), np.int32))
    g = np.asarray(metal_energy_ev, dtype=np.float64)
    phi = np.ones_like(g)
    phi[:, 1:] = np.exp(-(g[:, :-1] - g[:, 1:]) / kt_ev)
    return dict(metal_of=np.ascontiguousarray(lattice.host_nbr, dtype=np.int32),
                metal_species=np.ascontiguousarray(lattice.host_species, dtype=np.int8), phi=phi,
                metal_shell=metal_shell(lattice))


def check_metal_energy(lattice, metal_energy_ev) -> None:
    """Raise ValueError unless ``metal_energy_ev`` is a finite (n_species, q + 1) table for the lattice."""
    g = np.asarray(metal_energy_ev)
    shape = (len(lattice.host_symbols), lattice.host_mobile_nbr.shape[1] + 1)
    if shape[0] == 0 or shape[1] < 2:
        raise ValueError("a metal-centred energy needs host metals with mobile sites around them; this lattice has none")
    if shape[1] > 127:
        raise ValueError(f"at most 126 mobile sites around a metal are supported (int8 counts), got {shape[1] - 1}")
    if g.shape != shape or not np.issubdtype(g.dtype, np.number) or not np.all(np.isfinite(g)):
        raise ValueError(f"metal_energy_ev must be a finite {shape} table (eV; rows {list(lattice.host_symbols)}, "
                         f"columns n = 0..{shape[1] - 1}), got shape {g.shape}")
