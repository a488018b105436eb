"""A cluster that spans the periodic cell keeps its anisotropy minimum through the sweeps.

A spanning cluster stands for a laterally infinite layer (kmc.core.reversal): its magnetisation
sits in one of its two anisotropy minima, along σe (σ = ±1, e the easy axis), and has no thermal
reversal, since its barrier grows with its area. In a finite periodic cell, local Metropolis
moves let the cell's net moment diffuse over the sphere (the zero mode of the finite system, whose
rotational diffusion slows only as 1/N): given enough sweeps it crosses the hard plane, which the
layer it stands for cannot do. So the sweeps equilibrate a spanning cluster internally, and its net
moment is then turned back onto σe, σ its sign before the sweeps, by one rigid rotation of all its
spins (Ising, and vector models whose states are not the whole sphere: mirroring all of them through
the plane normal to e if its sign changed). A rigid rotation leaves the exchange
energy unchanged; it moves the net moment to the Stoner–Wohlfarth minimum the layer is in (in a
field above the layer's anisotropy field, the one minimum along the field, as kmc.core.reversal).
"""

import numpy as np
from numba import njit

from kmc.core.reversal import barrier_ev, cluster_sums, mirror_cluster


@njit(cache=True)
def _moment(spins, members, lo, hi, mu, out):
    """Net moment (μB) of ``members[lo:hi]`` into ``out`` (3,) (Ising: along the axis, out[0])."""
    out[0] = out[1] = out[2] = 0.0
    for q in range(lo, hi):
        i = members[q]
        if spins.ndim == 2:
            for a in range(3):
                out[a] += mu[i] * spins[i, a]
        else:
            out[0] += mu[i] * spins[i]


@njit(cache=True)
def layer_signs(spins, members, ptr, wraps, mu, k_site_ev, axis, field_t, mu_b_ev_per_t):
    """The minimum σ = ±1 to hold every spanning cluster in (int8; 0 for a finite cluster or a net
    moment exactly normal to the axis): the sign of its net moment along ``axis`` now, unless the
    field ``field_t`` (T, along the axis) exceeds its anisotropy field and leaves only the minimum
    along the field (kmc.core.reversal.barrier_ev). Cluster c is members[ptr[c]:ptr[c+1]]; ``mu``
    moments (μB), ``k_site_ev`` anisotropy energy per site (eV)."""
    n_c = ptr.shape[0] - 1
    sigma = np.zeros(n_c, dtype=np.int8)
    for c in range(n_c):
        if not wraps[c]:
            continue
        moment, proj, e_k = cluster_sums(spins, members, ptr[c], ptr[c + 1], mu, k_site_ev, axis)
        if proj == 0.0:
            continue
        s = 1 if proj > 0.0 else -1
        if barrier_ev(e_k, moment * mu_b_ev_per_t * field_t, s) == 0.0:
            s = -s  # the field has removed this minimum
        sigma[c] = s
    return sigma


@njit(cache=True)
def rotation_onto(a, b):
    """Rotation matrix (3, 3) that turns the unit vector ``a`` onto the unit vector ``b`` (Rodrigues;
    for a = −b, the half turn about an axis normal to b)."""
    c = a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    r = np.eye(3)
    if c < -1.0 + 1e-12:
        u = np.array([1.0, 0.0, 0.0]) if abs(b[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        d = u[0] * b[0] + u[1] * b[1] + u[2] * b[2]
        u = u - d * b
        u /= np.sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2])
        for i in range(3):
            for j in range(3):
                r[i, j] = 2.0 * u[i] * u[j] - (1.0 if i == j else 0.0)
        return r
    v = np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])
    k = np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    return r + k + (k @ k) / (1.0 + c)


@njit(cache=True)
def hold_layers(spins, members, ptr, mu, axis, sigma, rotate=True):
    """Turn the net moment of every cluster with σ ≠ 0 onto σ·axis (vector spins with ``rotate``: one
    rigid rotation of all its spins, renormalised); Ising spins, or vector spins without ``rotate``
    (models whose states are not the whole sphere): all mirrored through the plane normal to the axis
    if the sign of the moment along it is not σ. Returns how many clusters were turned."""
    m = np.empty(3)
    target = np.empty(3)
    s = np.empty(3)
    n_turned = 0
    for c in range(sigma.shape[0]):
        if sigma[c] == 0:
            continue
        lo, hi = ptr[c], ptr[c + 1]
        _moment(spins, members, lo, hi, mu, m)
        if spins.ndim == 1 or not rotate:
            proj = m[0] if spins.ndim == 1 else m[0] * axis[0] + m[1] * axis[1] + m[2] * axis[2]
            if proj * sigma[c] < 0.0:
                mirror_cluster(spins, members, lo, hi, axis)
                n_turned += 1
            continue
        norm = np.sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2])
        if norm == 0.0:
            continue
        for a in range(3):
            m[a] /= norm
            target[a] = sigma[c] * axis[a]
        r = rotation_onto(m, target)
        for q in range(lo, hi):
            i = members[q]
            for a in range(3):
                s[a] = r[a, 0] * spins[i, 0] + r[a, 1] * spins[i, 1] + r[a, 2] * spins[i, 2]
            inv = 1.0 / np.sqrt(s[0] * s[0] + s[1] * s[1] + s[2] * s[2])
            for a in range(3):
                spins[i, a] = s[a] * inv
        n_turned += 1
    return n_turned
