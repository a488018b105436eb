"""Template of the Metropolis sweep kernels: the one source of the single-spin sweep loops.

The kernels call the exchange plug-in's energy difference as the module-level global ``delta_e``
(signatures in :mod:`kmc.core.spins`). numba treats a global as a compile-time constant, so each
plug-in needs its own copy of these kernels: :func:`kmc.core.kernels.sweep_kernels` writes one
module per ΔE function into the kernel cache directory, with this file's text and only the lines
between the two ``mikmc-kernel-header`` markers replaced (they import that plug-in's ``delta_e``),
and numba caches its compiled kernels on disk next to it. A ΔE function that cannot be imported
by module path gets an in-memory, uncached copy instead.

Do not call the kernels of this module itself (they use the Ising ΔE and are not cached); use
:func:`kmc.core.spins.sweep_ising` / :func:`kmc.core.spins.sweep_vector` or
:func:`kmc.core.kernels.sweep_kernels`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from kmc.core.rng import uniform
from kmc.core.spins import _propose, accept, next_site

# >>> mikmc-kernel-header (generated kernel modules replace the lines up to the closing marker)
from kmc.core.spins import ising_delta_e as delta_e  # noqa: E402

CACHE = False
# <<< mikmc-kernel-header


@njit(cache=CACHE)
def sweep_ising(spins, active, nbr, jb, hz, kt_ev, n_attempts, rng, sequential):
    """``n_attempts`` Metropolis flips at sites drawn from ``active``; returns the number accepted.

    Parameters
    ----------
    spins : (n_host,) int8, ±1 on active sites
    active : (n_active,) int64 site indices
    nbr : (n_host, k) int32 or int64 neighbour indices; no -1: pad rows with any valid index
        (e.g. the site itself, see :func:`kmc.core.spins.padded_neighbours`) and J = 0
    jb : (n_host, k) float64, J of each bond in eV (0 on padding)
    hz : (n_host,) float64, Zeeman energy μ_i B in eV
    kt_ev : float
    rng : (4,) uint64 xoshiro state
    sequential : bool
        False: each attempt at a site drawn uniformly from ``active`` (every step obeys detailed
        balance). True: visit ``active`` in order from a random start (each single-site update
        still leaves exp(−E/kT) invariant; better memory locality, about twice as fast).
    """
    n = active.shape[0]
    if n == 0:
        return 0
    beta = 1.0 / kt_ev
    acc = 0
    k = min(int(uniform(rng) * n), n - 1) if sequential else 0
    for _ in range(n_attempts):
        i, k = next_site(active, k, sequential, rng)
        de = delta_e(i, spins, nbr, jb, hz)
        if accept(beta * de, rng):
            spins[i] = -spins[i]
            acc += 1
    return acc


@njit(cache=CACHE)
def sweep_vector(spins, active, nbr, jb, hz, ks, axis, step, kt_ev, n_attempts, rng, sequential):
    """``n_attempts`` Metropolis moves of classical unit spins (n_host, 3); returns the number accepted.

    ``ks`` (n_host,) is the uniaxial anisotropy K_i in eV (> 0: easy axis along ``axis``), ``step``
    the width of the trial move (see :func:`kmc.core.spins._propose`). ``delta_e`` may change the
    trial vector ``new`` in place: the kernel stores what it leaves there. Other arguments as
    :func:`sweep_ising`.
    """
    n = active.shape[0]
    if n == 0:
        return 0
    beta = 1.0 / kt_ev
    new = np.empty(3)
    acc = 0
    k = min(int(uniform(rng) * n), n - 1) if sequential else 0
    for _ in range(n_attempts):
        i, k = next_site(active, k, sequential, rng)
        _propose(i, spins, step, rng, new)
        de = delta_e(i, new, spins, nbr, jb, hz, ks, axis)
        if accept(beta * de, rng):
            spins[i, 0] = new[0]
            spins[i, 1] = new[1]
            spins[i, 2] = new[2]
            acc += 1
    return acc
