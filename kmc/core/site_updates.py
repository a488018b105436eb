"""What one site flip (an ion arriving or leaving) changes: the neighbours' records, the top layer's
list, and the leaves of the sum tree, each re-evaluated once (:func:`set_leaves`). Used by hops
(:mod:`kmc.core.hopping`) and by exits and entries (:mod:`kmc.core.surface`)."""

from numba import njit

from kmc.core.jit import kernel
from kmc.core.loop_state import CNT_TOP_OCC
from kmc.core.records import R_CODE, R_LAYER, R_NVAC, R_OCC, site_rate
from kmc.core.sumtree import _OFF, ARITY, leaf_base, leaf_put, node_mark, prefetch, update_marked


@njit(cache=True, inline="always")
def set_leaves(buf, n, tree, rec, rec16, base, tilt, nbr, hop, dir_cls, dest, seen, metal):
    """Re-evaluate the hop leaves of the sites ``buf[:n]`` (duplicates allowed; ``buf`` is scratch,
    overwritten), then their ancestors, each once (:func:`update_marked`). With destination factors
    the list holds each site several times and a leaf costs z reads, so each is evaluated once
    (``seen``: (n_sites,) uint8 scratch, all 0 between calls; empty without destination factors).
    ``metal``: the tables of a metal-centred energy (:func:`metal_state`)."""
    lb = leaf_base(tree)
    kra = dest.shape[0] > 0
    if kra:
        for i in range(n):
            s = buf[i]
            if seen[s] == 0:
                seen[s] = 1
                leaf_put(tree, s, site_rate(s, rec, rec16, base, tilt, nbr, hop, dir_cls, dest, metal))
    w = 0
    for i in range(n):
        s = buf[i]
        if kra:
            seen[s] = 0
        else:
            leaf_put(tree, s, site_rate(s, rec, rec16, base, tilt, nbr, hop, dir_cls, dest, metal))
        p = (lb + s - 1) // ARITY
        if node_mark(tree, p):
            buf[w] = p  # w <= i: buf[i] is already read
            w += 1
    update_marked(tree, buf, w)


@njit(cache=True, inline="always")
def metal_state(st, x):
    """(metal_of, metal_species, metal_n, phi): what :func:`kmc.core.records.site_rate` reads of a
    metal-centred energy (:mod:`kmc.core.metal_counts`; ``phi`` empty without one)."""
    return (st.metal_of, st.metal_species, x.metal_n, st.phi)


@kernel
def _set_around(st, x, m):
    """set_leaves for the first m sites of the scratch buffer (tuple-taking form, for rare paths)."""
    set_leaves(x.buf, m, x.tree, x.rec, x.rec16, st.base, x.tilt, st.nbr, st.hop, st.dir_cls, st.dest, x.seen,
               metal_state(st, x))



@njit(cache=True, inline="always")
def _flip(s, filled, nbr, hop, dir_cls, n_cls, stride1, top, rec, rec16, top_pos, top_perm, cnt, buf, m):
    """Update the neighbours' records (code, vacant counts) and the top layer's list after site s
    became occupied or vacant (its own occupancy is set by the caller). The occupied neighbours,
    whose rates change (a vacant site's rate stays 0), are appended to ``buf`` from position m;
    returns the new length. The second shell, if the hop law reads one, is :func:`_flip2`'s."""
    d = 1 if filled else -1
    dcode = d * stride1
    for k in range(nbr.shape[1]):
        u = nbr[s, k]
        if u < 0:
            continue
        rec16[u, R_CODE] += dcode
        rec[u, R_NVAC + n_cls - 1 - dir_cls[hop[s, k]]] -= d
        if rec[u, R_OCC]:
            buf[m] = u
            m += 1
    if rec16[s, R_LAYER] == top:  # keep occupied top sites first in top_perm
        i = top_pos[s]
        j = cnt[CNT_TOP_OCC] if filled else cnt[CNT_TOP_OCC] - 1
        other = top_perm[j]
        top_perm[j] = s
        top_perm[i] = other
        top_pos[s] = j
        top_pos[other] = i
        cnt[CNT_TOP_OCC] += d
    return m


@njit(cache=True, inline="always")
def _flip2(s, filled, shell2, n_static, rec, rec16, buf, m):
    """The second-shell part of :func:`_flip`: the codes of the sites of ``shell2[s]`` step by
    ±n_static; the occupied ones are appended to ``buf`` from m. Returns the new length."""
    d = n_static if filled else -n_static
    for k in range(shell2.shape[1]):
        u = shell2[s, k]
        if u < 0:
            continue
        rec16[u, R_CODE] += d
        if rec[u, R_OCC]:
            buf[m] = u
            m += 1
    return m


@njit(cache=True, inline="always")
def _flip_metals(s, filled, metal_of, metal_n, metal_shell, rec, buf, m):
    """Site s became occupied (``filled``) or vacant: step the N counts of its metals and append the
    occupied sites of ``metal_shell[s]`` (whose factor changed) to ``buf`` from m. Returns the new
    length. The hop neighbours of s, which share metals with it too, are :func:`_flip`'s."""
    d = 1 if filled else -1
    for a in range(metal_of.shape[1]):
        mt = metal_of[s, a]
        if mt >= 0:
            metal_n[mt] += d
    for k in range(metal_shell.shape[1]):
        u = metal_shell[s, k]
        if u >= 0 and rec[u, R_OCC]:
            buf[m] = u
            m += 1
    return m


@njit(cache=True, inline="always")
def _spread_to_sources(a, nbr, shell2, rec, buf, m):
    """With destination factors: after site a flipped, the codes of its hop neighbours and of
    ``shell2[a]`` changed; the occupied neighbours of those that are vacant hop into them, so
    their rates changed too. Appends them to ``buf`` from m; returns the new length."""
    for j in range(nbr.shape[1] + shell2.shape[1]):
        u = nbr[a, j] if j < nbr.shape[1] else shell2[a, j - nbr.shape[1]]
        if u < 0 or rec[u, R_OCC]:
            continue
        for k in range(nbr.shape[1]):
            v = nbr[u, k]
            if v >= 0 and rec[v, R_OCC]:
                buf[m] = v
                m += 1
    return m


@njit(cache=True, inline="always")
def _prefetch_around(a, nbr, rec, tree, lb):
    """Prefetch the records, leaves, parents and grandparents of a's neighbours (the lines an
    event at a will update), so that their cache misses overlap."""
    w = rec.shape[1]
    for k in range(nbr.shape[1]):
        u = nbr[a, k]
        if u >= 0:
            prefetch(rec, u * w)
            prefetch(tree, _OFF + lb + u)
            p1 = (lb + u - 1) // ARITY  # parent and grandparent: recomputed after the update
            prefetch(tree, _OFF + p1)
            prefetch(tree, _OFF + (p1 - 1) // ARITY)

