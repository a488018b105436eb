"""The site record: one 8-byte (or wider) row per mobile site holding everything its hop rate depends on.

``rec`` (int8) and ``rec16`` (int16) are two views of one buffer: ``code_s`` and ``layer_s`` are
the int16 words R_CODE, R_LAYER; ``occ_s`` is byte R_OCC; ``nvac[s, c]``, the vacant neighbours of
s by hop class c, are bytes R_NVAC …. Updating a neighbour touches one cache line, not five arrays.
A hop's class and vector come from a direction id ``hop[s, k]`` (uint8/uint16) into the small
tables ``dir_cls``/``dir_vec`` (:func:`direction_table`). The rate formula, R_s (Hz), is
:func:`site_rate`; the event loop that keeps records and rates current is :mod:`kmc.core.hopping`.
"""

import numpy as np
from numba import njit

from kmc.core.metal_counts import metal_factor

# site record: int16 words (of ``rec16``) and bytes (of ``rec``)
R_CODE, R_LAYER = 0, 1  # environment code (nocc·(z2+1) + nocc2)·n_static + env_static; depth layer
R_OCC, R_NVAC = 4, 5  # 1 = ion; vacant neighbours by hop class (n_cls bytes)


def record_bytes(n_cls: int) -> int:
    """Bytes of one site record for n_cls hop classes (a power of two, at least 8)."""
    w = 8
    while w < R_NVAC + n_cls:
        w *= 2
    return w


def new_records(occ, layer, n_cls: int) -> tuple[np.ndarray, np.ndarray]:
    """Site records (int8 view, int16 view of one buffer) with occupancy and layer set, counts 0."""
    n = len(occ)
    rec = np.zeros((n, record_bytes(n_cls)), dtype=np.int8)
    rec16 = rec.view(np.int16)
    rec[:, R_OCC] = occ
    rec16[:, R_LAYER] = layer
    return rec, rec16


def direction_table(hop_vec, hop_class, hop_nbr):
    """Direction ids of the hops: (hop (n, z) uint8 or uint16, dir_cls (n_dir,) int8, dir_vec
    (n_dir, 3) float64 Å). Ids number the distinct (vector, class) pairs, compared bit for bit."""
    n, z = hop_nbr.shape
    key = np.concatenate([np.ascontiguousarray(hop_vec, dtype=np.float64).reshape(n * z, 3).view(np.uint64),
                          hop_class.reshape(n * z, 1).astype(np.uint64)], axis=1)
    key[hop_nbr.reshape(-1) < 0] = 0  # padding: any id will do (never read)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    if len(uniq) > 2 ** 16:
        raise ValueError(f"{len(uniq)} distinct hop vectors: at most 65536 are supported")
    dtype = np.uint8 if len(uniq) <= 2 ** 8 else np.uint16
    dir_vec = np.ascontiguousarray(uniq[:, :3]).view(np.float64).copy()
    return inv.reshape(n, z).astype(dtype), uniq[:, 3].astype(np.int8), dir_vec


@njit(cache=True, inline="always")
def start_rate(s, rec16, base, metal):
    """k_s (Hz), the rate of the ion at s towards one vacant neighbour before tilt and destination:
    base[code_s], times the factor of a metal-centred energy (``metal`` = (metal_of,
    metal_species, metal_n, phi), :mod:`kmc.core.metal_counts`; 1 without one)."""
    return base[rec16[s, R_CODE]] * metal_factor(s, metal[0], metal[1], metal[2], metal[3])


@njit(cache=True, inline="always")
def site_rate(s, rec, rec16, base, tilt, nbr, hop, dir_cls, dest, metal):
    """Total hop rate R_s (Hz) of site s from its record: 0 if vacant or without a vacant neighbour.

    Without destination factors (``dest`` empty) R_s = k_s · Σ_c nvac[s, c] · tilt[layer_s, c];
    with them (a hop law whose barrier depends on both ends, e.g. KRA) every vacant neighbour t
    counts with its factor, R_s = k_s · Σ_t dest[code_t] · tilt[layer_s, class(s→t)];
    k_s is :func:`start_rate`. The rate formula is written out here, in the one function every
    rate update goes through."""
    if rec[s, R_OCC] == 0:
        return 0.0
    ell = rec16[s, R_LAYER]
    acc = 0.0
    if dest.shape[0]:
        for k in range(nbr.shape[1]):
            t = nbr[s, k]
            if t >= 0 and rec[t, R_OCC] == 0:
                acc += dest[rec16[t, R_CODE]] * tilt[ell, dir_cls[hop[s, k]]]
    else:
        for c in range(tilt.shape[1]):
            acc += rec[s, R_NVAC + c] * tilt[ell, c]
    if acc > 0.0:
        return start_rate(s, rec16, base, metal) * acc
    return 0.0


@njit(cache=True)
def count_neighbours(nbr, cls, occ, nocc, nvac):
    """Recompute nocc and nvac from scratch (used at set-up and by consistency checks)."""
    n_cls = nvac.shape[1]
    for s in range(nbr.shape[0]):
        nocc[s] = 0
        for c in range(n_cls):
            nvac[s, c] = 0
        for k in range(nbr.shape[1]):
            t = nbr[s, k]
            if t < 0:
                continue
            if occ[t]:
                nocc[s] += 1
            else:
                nvac[s, cls[s, k]] += 1


@njit(cache=True)
def fill_records(nbr, hop, dir_cls, n_cls, env_static, n_static, rec, rec16, shell2):
    """Set the code (nocc·(z2+1) + nocc2)·n_static + env_static and the vacant-neighbour counts of
    every record from the occupancies (O(N)); ``shell2`` (n, z2) int32, z2 = 0 for most hop laws."""
    z2 = shell2.shape[1]
    for s in range(nbr.shape[0]):
        nocc = 0
        for c in range(n_cls):
            rec[s, R_NVAC + c] = 0
        for k in range(nbr.shape[1]):
            t = nbr[s, k]
            if t < 0:
                continue
            if rec[t, R_OCC]:
                nocc += 1
            else:
                rec[s, R_NVAC + dir_cls[hop[s, k]]] += 1
        nocc2 = 0
        for k in range(z2):
            t = shell2[s, k]
            if t >= 0 and rec[t, R_OCC]:
                nocc2 += 1
        rec16[s, R_CODE] = (nocc * (z2 + 1) + nocc2) * n_static + env_static[s]
