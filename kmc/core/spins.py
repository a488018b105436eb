"""Metropolis kernels for spins on the metal (host) sites: arrays only, no plug-in imports.

Energy of a configuration (eV), summed over host–host bonds once and over sites::

    E = − Σ_<ij> J_ij s_i·s_j − Σ_i K_i (s_i·e)² − Σ_i h_i (s_i·e)

with ``J_ij`` per bond (``jb[i, m]`` for the bond to ``nbr[i, m]``, 0 to paramagnetic sites),
``K_i`` the uniaxial anisotropy, ``h_i = μ_i B`` the Zeeman energy of site i in the applied
field B along the unit axis ``e``. Ising spins are int8 ±1 along e (the anisotropy term is then a
constant); Heisenberg spins are float64 unit vectors, shape (n_host, 3).

A sweep attempts ``len(active)`` single-spin moves at the ferromagnetic sites ``active``, either
each at a site drawn uniformly (random order) or in list order from a random start (sequential).
Every trial is a symmetric proposal and the Metropolis acceptance min(1, exp(−ΔE/kT)) gives
detailed balance with respect to exp(−E/kT) for each single-site update.

The energy change of a move is a function passed in (numba dispatcher), so an exchange plug-in
can replace it without touching the loops (kmc.core.sweeps; one cached copy per ΔE function, see
kmc.core.kernels); its signatures are

    ising:      delta_e(i, spins, nbr, jb, hz) -> float          # flip s_i -> -s_i
    vector:     delta_e(i, new, spins, nbr, jb, hz, ks, axis) -> float   # s_i -> new (3,)

Random numbers come from :mod:`kmc.core.rng` with an explicit state, so a run is bit-identical
for a given seed.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload

from kmc.core.kernels import sweep_kernels
from kmc.core.rng import uniform


# --- energy differences (the defaults the bundled plug-ins use) ---------------------------------
@njit(cache=True)
def ising_delta_e(i, spins, nbr, jb, hz):
    """ΔE (eV) of flipping Ising spin i (±1): 2 s_i (Σ_m J_im s_m + h_i)."""
    local = hz[i]
    for m in range(nbr.shape[1]):
        local += jb[i, m] * spins[nbr[i, m]]
    return 2.0 * spins[i] * local


@njit(cache=True)
def heisenberg_delta_e(i, new, spins, nbr, jb, hz, ks, axis):
    """ΔE (eV) of turning the unit vector s_i into ``new`` under exchange, anisotropy and field."""
    hx = 0.0
    hy = 0.0
    hzz = 0.0
    for m in range(nbr.shape[1]):
        j = nbr[i, m]
        w = jb[i, m]
        hx += w * spins[j, 0]
        hy += w * spins[j, 1]
        hzz += w * spins[j, 2]
    dx = new[0] - spins[i, 0]
    dy = new[1] - spins[i, 1]
    dz = new[2] - spins[i, 2]
    pa_new = new[0] * axis[0] + new[1] * axis[1] + new[2] * axis[2]
    pa_old = spins[i, 0] * axis[0] + spins[i, 1] * axis[1] + spins[i, 2] * axis[2]
    return (-(hx * dx + hy * dy + hzz * dz) - ks[i] * (pa_new * pa_new - pa_old * pa_old)
            - hz[i] * (pa_new - pa_old))


# --- acceptance ---------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def accept(x, rng):
    """Metropolis test for x = ΔE/kT: True with probability min(1, exp(−x)).

    Exactly ``uniform(rng) < exp(−x)``, but most rejections are decided without the exponential:
    exp(−x) < 1/(1 + x + x²/2) for x > 0, so u·(1 + x + x²/2) >= 1 already means u > exp(−x)
    (used for x > 0.5, where the gap is far above rounding)."""
    if x <= 0.0:
        return True
    u = uniform(rng)
    if x > 0.5 and u * (1.0 + x + 0.5 * x * x) >= 1.0:
        return False
    return u < np.exp(-x)


# --- random unit vectors ------------------------------------------------------------------------
@njit(cache=True)
def random_unit(rng, out):
    """Uniform point on the unit sphere into ``out`` (3,) (Marsaglia 1972)."""
    while True:
        a = 2.0 * uniform(rng) - 1.0
        b = 2.0 * uniform(rng) - 1.0
        q = a * a + b * b
        if q < 1.0:
            break
    r = 2.0 * np.sqrt(1.0 - q)
    out[0] = a * r
    out[1] = b * r
    out[2] = 1.0 - 2.0 * q


@njit(cache=True)
def permutation(n, rng):
    """A uniformly random permutation of range(n) (Fisher–Yates) from the stream ``rng``."""
    out = np.arange(n)
    for i in range(n - 1, 0, -1):
        j = min(int(uniform(rng) * (i + 1)), i)
        out[i], out[j] = out[j], out[i]
    return out


@njit(cache=True, inline="always")
def next_site(active, k, sequential, rng):
    """The site of the next sweep attempt and the next position: ``active[k]`` then k + 1 (cyclic)
    if ``sequential``, else a site of ``active`` drawn uniformly (k unchanged)."""
    n = active.shape[0]
    if sequential:
        i = active[k]
        k += 1
        if k == n:
            k = 0
        return i, k
    return active[min(int(uniform(rng) * n), n - 1)], k


@njit(cache=True)
def _propose(i, spins, step, rng, new):
    """Trial direction: s_i + step·u normalised, u uniform on the sphere (step <= 0: uniform).

    The density of the trial depends only on the angle between s_i and it, so the proposal is
    symmetric."""
    random_unit(rng, new)
    if step > 0.0:
        x = spins[i, 0] + step * new[0]
        y = spins[i, 1] + step * new[1]
        z = spins[i, 2] + step * new[2]
        n2 = x * x + y * y + z * z
        if n2 == 0.0:  # measure-zero case: keep the uniform draw
            return
        inv = 1.0 / np.sqrt(n2)
        new[0] = x * inv
        new[1] = y * inv
        new[2] = z * inv


# --- sweeps -------------------------------------------------------------------------------------
# The loops live in kmc.core.sweeps (a template); kmc.core.kernels gives each ΔE function its own
# copy, cached on disk by numba, so a process compiles them only the first time on a machine.
# sweep_ising / sweep_vector below dispatch to that copy, from Python and from jitted code alike.
def sweep_ising(spins, active, nbr, jb, hz, kt_ev, n_attempts, rng, delta_e, sequential=False):
    """``n_attempts`` Metropolis flips at sites drawn from ``active``; returns the number accepted.

    ``delta_e`` is the njit ΔE function (see module docstring); the other arguments as
    :func:`kmc.core.sweeps.sweep_ising`, the kernel this calls through
    :func:`kmc.core.kernels.sweep_kernels`. Callable from jitted code too."""
    return sweep_kernels(delta_e).sweep_ising(spins, active, nbr, jb, hz, kt_ev, n_attempts, rng,
                                              bool(sequential))


def sweep_vector(spins, active, nbr, jb, hz, ks, axis, step, kt_ev, n_attempts, rng, delta_e,
                 sequential=False):
    """``n_attempts`` Metropolis moves of classical unit spins (n_host, 3); returns the number accepted.

    ``ks`` (n_host,) is the uniaxial anisotropy K_i in eV (> 0: easy axis along ``axis``), ``step``
    the width of the trial move (see :func:`_propose`), ``delta_e`` the njit ΔE function; see
    :func:`kmc.core.sweeps.sweep_vector` and :func:`sweep_ising`.
    """
    return sweep_kernels(delta_e).sweep_vector(spins, active, nbr, jb, hz, ks, axis, step, kt_ev, n_attempts,
                                               rng, bool(sequential))


def _omitted(sequential) -> bool:
    return sequential is None or isinstance(sequential, (types.Omitted, types.NoneType))


@overload(sweep_ising)
def _sweep_ising_jit(spins, active, nbr, jb, hz, kt_ev, n_attempts, rng, delta_e, sequential=False):
    if not isinstance(delta_e, types.Dispatcher):
        return None
    kernel = sweep_kernels(delta_e.dispatcher).sweep_ising
    if _omitted(sequential):
        def impl(spins, active, nbr, jb, hz, kt_ev, n_attempts, rng, delta_e, sequential=False):
            return kernel(spins, active, nbr, jb, hz, kt_ev, n_attempts, rng, False)
    else:
        def impl(spins, active, nbr, jb, hz, kt_ev, n_attempts, rng, delta_e, sequential=False):
            return kernel(spins, active, nbr, jb, hz, kt_ev, n_attempts, rng, bool(sequential))
    return impl


@overload(sweep_vector)
def _sweep_vector_jit(spins, active, nbr, jb, hz, ks, axis, step, kt_ev, n_attempts, rng, delta_e,
                      sequential=False):
    if not isinstance(delta_e, types.Dispatcher):
        return None
    kernel = sweep_kernels(delta_e.dispatcher).sweep_vector
    if _omitted(sequential):
        def impl(spins, active, nbr, jb, hz, ks, axis, step, kt_ev, n_attempts, rng, delta_e, sequential=False):
            return kernel(spins, active, nbr, jb, hz, ks, axis, step, kt_ev, n_attempts, rng, False)
    else:
        def impl(spins, active, nbr, jb, hz, ks, axis, step, kt_ev, n_attempts, rng, delta_e, sequential=False):
            return kernel(spins, active, nbr, jb, hz, ks, axis, step, kt_ev, n_attempts, rng, bool(sequential))
    return impl


# --- spin memory bookkeeping --------------------------------------------------------------------
@njit(cache=True)
def randomize_ising(spins, sites, rng):
    """Give each of ``sites`` a random ±1 (a newly ferromagnetic site knows nothing of the field)."""
    for k in range(sites.shape[0]):
        spins[sites[k]] = 1 if uniform(rng) < 0.5 else -1


@njit(cache=True)
def randomize_vector(spins, sites, rng):
    """Give each of ``sites`` a direction uniform on the sphere."""
    new = np.empty(3)
    for k in range(sites.shape[0]):
        random_unit(rng, new)
        spins[sites[k], 0] = new[0]
        spins[sites[k], 1] = new[1]
        spins[sites[k], 2] = new[2]


def padded_neighbours(nbr: np.ndarray) -> np.ndarray:
    """Copy of a -1 padded neighbour table with each -1 replaced by the row's own index, so the
    kernels need no branch (the bond table gives those entries J = 0)."""
    out = np.array(nbr, dtype=np.int32, copy=True)
    rows = np.broadcast_to(np.arange(out.shape[0])[:, None], out.shape)
    out[out < 0] = rows[out < 0]
    return np.ascontiguousarray(out)


@njit(cache=True)
def bond_table(nbr, phase, j_phase):
    """J of every bond (eV) from the phases at both ends: jb[i, m] = j_phase[phase_i, phase_j];
    0 where ``nbr`` (-1 padded, padding at the end of each row) has no neighbour."""
    jb = np.zeros(nbr.shape)
    for i in range(nbr.shape[0]):
        pi = phase[i]
        for m in range(nbr.shape[1]):
            j = nbr[i, m]
            if j < 0:
                break
            jb[i, m] = j_phase[pi, phase[j]]
    return jb


# --- coherent moves of exchange-connected clusters ----------------------------------------------
@njit(cache=True)
def exchange_clusters(active, nbr, jb, bvec):
    """Connected components of the ferromagnetic sites through bonds with J > 0.

    ``bvec`` (n_host, z, 3) holds the minimum-image bond vectors (Å). Returns (members, ptr,
    wraps): the sites of cluster c are members[ptr[c]:ptr[c+1]]; wraps[c] is True when the
    cluster reaches its own periodic image (it spans the cell: a laterally infinite layer)."""
    n_host = nbr.shape[0]
    label = np.full(n_host, -1, dtype=np.int64)
    upos = np.zeros((n_host, 3))
    members = np.empty(active.shape[0], dtype=np.int64)
    ptr = np.zeros(active.shape[0] + 1, dtype=np.int64)
    wraps = np.zeros(active.shape[0], dtype=np.bool_)
    n_clusters = 0
    w = 0
    for a in range(active.shape[0]):
        root = active[a]
        if label[root] >= 0:
            continue
        label[root] = n_clusters
        upos[root, 0] = upos[root, 1] = upos[root, 2] = 0.0
        members[w] = root
        w += 1
        r = w - 1
        while r < w:  # breadth-first, the queue is the members array itself
            i = members[r]
            r += 1
            for m in range(nbr.shape[1]):
                j = nbr[i, m]
                if j < 0:
                    break
                if jb[i, m] <= 0.0:
                    continue
                x = upos[i, 0] + bvec[i, m, 0]
                y = upos[i, 1] + bvec[i, m, 1]
                z = upos[i, 2] + bvec[i, m, 2]
                if label[j] < 0:
                    label[j] = n_clusters
                    upos[j, 0], upos[j, 1], upos[j, 2] = x, y, z
                    members[w] = j
                    w += 1
                elif abs(upos[j, 0] - x) + abs(upos[j, 1] - y) + abs(upos[j, 2] - z) > 1e-3:
                    wraps[n_clusters] = True
        n_clusters += 1
        ptr[n_clusters] = w
    return members, ptr[: n_clusters + 1], wraps[:n_clusters]


def bond_vectors(lattice, nbr: np.ndarray) -> np.ndarray:
    """Minimum-image vectors (Å) of the host–host bonds in ``nbr`` (-1 padded): (n_host, z, 3)."""
    pos = lattice.atoms.positions[lattice.host]
    cell = lattice.atoms.cell.array
    pbc = np.asarray(lattice.atoms.pbc)
    d = pos[np.maximum(nbr, 0)] - pos[:, None, :]
    frac = d @ np.linalg.inv(cell)
    frac[..., pbc] -= np.round(frac[..., pbc])
    out = frac @ cell
    out[nbr < 0] = 0.0
    return np.ascontiguousarray(out)
