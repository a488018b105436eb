"""Rejection-free (BKL / n-fold way) kinetic Monte Carlo of ions hopping into vacant sites.

One leaf of the sum tree per mobile site holds the total hop rate of the ion there,

    R_s = occ_s · k(code_s) · Σ_c nvac[s, c] · tilt[layer_s, c]      (Hz)

and three more leaves hold the boundary channels as totals (indices n, n+1, n+2, n = n_sites):

    escape  k_esc · n_el        N in the near-surface electrolyte leaves for its bulk
    exit    k_out(n_el) · n_top_occupied        an ion of the top layer leaves the film
    entry   k_in(n_el)  · n_top_vacant          an electrolyte ion fills a vacant top site

so a change of the boundary rates costs O(log N), not O(top layer). The boundary plug-in's rates
as a function of the near-surface count n_el are read from tables ``bnd_out``/``bnd_in`` over a
window of n_el starting at ``cnt[CNT_WIN_LO]``; the loop returns to Python (STOP_WINDOW) only when
n_el leaves the window. The occupied top sites are the first ``cnt[CNT_TOP_OCC]`` entries of the
permutation ``top_perm`` (``top_pos`` is its inverse), so an exit or entry picks its site in O(1).

``code_s = (nocc_s · (z2+1) + nocc2_s) · n_static + env_static_s`` indexes the hop plug-in's rate
table (Hz; nocc2 counts occupied sites of an optional second shell, z2 = 0 for most laws);
``nvac[s, c]`` counts vacant neighbours by hop class c (z component), so the local field enters
as a per-class tilt. A hop changes the counts of the two sites' neighbours only: ≈ 2(z+1) leaves
(2(z+z2)+1 with a second shell). A hop law whose barrier depends on both ends (KRA form) gives a
destination factor per code, ``dest``: then each vacant neighbour t counts with dest[code_t] (see
:func:`~kmc.core.records.site_rate`), and a hop also changes the leaves of the ions next to every
vacant site whose code changed: ≈ 2(z+z2)·z more.

Time: ``sc[SC_NEXT_T]`` is the absolute time of the next event, drawn as t − ln(u)/R_total after
every event and whenever the rates change (NaN = to be drawn). A chunk that stops at ``t_stop``
before that time keeps it, so stopping to record a frame never changes the trajectory; a caller
that changes rates (voltage, boundary tables) sets it to NaN, which by memorylessness is exact.

State lives in two named tuples: :data:`Static` (tables of the lattice and hop law, read only)
and :data:`State` (what events change). Field refresh policy: :mod:`kmc.core.field`.

Memory layout (what one event touches, for large films where every touch is a cache miss):
everything the rate of a site depends on is one record ``rec[s]`` (:mod:`kmc.core.records`);
the large arrays sit on huge pages (:mod:`kmc.core.memory`). Ion and site indices (``ion_at``,
``electrolyte``, ``top_perm``, ``top_pos``, ``nbr``) are int32.
The event loop and everything it calls are compiled as :data:`kmc.core.jit.kernel`, without
numba's reference counting, so they allocate nothing.
"""

from collections import namedtuple

import numpy as np
from numba import njit

from kmc.core.field import F_VOLTAGE_V, fill_tilt_rows, full_field, update_gaps_of_layer
from kmc.core.jit import kernel
from kmc.core.records import R_CODE, R_LAYER, R_NVAC, R_OCC, site_rate
from kmc.core.rng import uniform, uniform_pos
from kmc.core.sumtree import (_OFF, ARITY, leaf_base, leaf_get, leaf_put, node_mark, prefetch, tree_find, tree_set,
                              tree_sum_parents, tree_total, update_marked)

# index of the mutable scalars in ``sc`` (float64) and counters in ``cnt`` (int64)
SC_TIME_S, SC_NEXT_T, SC_K_ESC_HZ = range(3)
N_SC = 3
(CNT_EVENTS, CNT_ELECTROLYTE, CNT_HOPS, CNT_EXITS, CNT_ENTRIES, CNT_FIELD_REFRESH, CNT_BULK,
 CNT_TOP_OCC, CNT_WIN_LO) = range(9)
N_CNT = 9
#: names of the first counters, as ``IonSystem.counters()`` reports them
COUNTER_NAMES = ("events", "n_surface_electrolyte", "hops", "exits", "entries", "field_refreshes", "escapes")
# why a chunk returned
STOP_TIME, STOP_EVENTS, STOP_WINDOW, STOP_FROZEN = range(4)
#: films from this many sites on prefetch the lines an event will touch (smaller ones fit in cache)
PREFETCH_MIN_SITES = 1 << 15


#: read-only tables: neighbours (int32), direction ids of the hops and their class and vector (Å),
#: layers, the hop law (``shell2`` (n, z2) int32, ``stride1`` = (z2+1)·n_static: the code step of
#: one occupied hop neighbour; ``dest`` (n_codes,) destination factors, empty for most laws)
Static = namedtuple("Static", ["nbr", "hop", "dir_cls", "dir_vec", "layer", "layer_ptr", "layer_sites",
                               "env_static", "base", "dz_classes", "sites_per_layer", "top_sites", "n_static",
                               "tol_count", "shell2", "stride1", "dest"])
#: what events change (arrays, mutated in place)
State = namedtuple("State", ["rec", "rec16", "ion_at", "disp", "electrolyte", "layer_n", "layer_ref",
                             "r_gap", "fstate", "tilt", "field_par", "tree", "sc", "cnt", "rng", "top_perm",
                             "top_pos", "bnd_out", "bnd_in", "buf", "seen"])


@njit(cache=True, inline="always")
def set_leaves(buf, n, tree, rec, rec16, base, tilt, nbr, hop, dir_cls, dest, seen):
    """Re-evaluate the hop leaves of the sites ``buf[:n]`` (duplicates allowed; ``buf`` is scratch,
    overwritten), then their ancestors, each once (:func:`update_marked`). With destination factors
    the list holds each site several times and a leaf costs z reads, so each is evaluated once
    (``seen``: (n_sites,) uint8 scratch, all 0 between calls; empty without destination factors)."""
    lb = leaf_base(tree)
    kra = dest.shape[0] > 0
    if kra:
        for i in range(n):
            s = buf[i]
            if seen[s] == 0:
                seen[s] = 1
                leaf_put(tree, s, site_rate(s, rec, rec16, base, tilt, nbr, hop, dir_cls, dest))
    w = 0
    for i in range(n):
        s = buf[i]
        if kra:
            seen[s] = 0
        else:
            leaf_put(tree, s, site_rate(s, rec, rec16, base, tilt, nbr, hop, dir_cls, dest))
        p = (lb + s - 1) // ARITY
        if node_mark(tree, p):
            buf[w] = p  # w <= i: buf[i] is already read
            w += 1
    update_marked(tree, buf, w)


@kernel
def _set_around(st, x, m):
    """set_leaves for the first m sites of the scratch buffer (tuple-taking form, for rare paths)."""
    set_leaves(x.buf, m, x.tree, x.rec, x.rec16, st.base, x.tilt, st.nbr, st.hop, st.dir_cls, st.dest, x.seen)


@kernel
def set_boundary_leaves(n, n_top, tree, cnt, sc, bnd_out, bnd_in):
    """Set the escape, exit and entry leaves (n, n+1, n+2) from n_el and the top layer's
    occupancy. Returns False (leaves untouched) if n_el is outside the boundary tables' window."""
    n_el = cnt[CNT_ELECTROLYTE]
    i = n_el - cnt[CNT_WIN_LO]
    if i < 0 or i >= bnd_out.shape[0]:
        return False
    n_occ = cnt[CNT_TOP_OCC]
    tree_set(tree, n, sc[SC_K_ESC_HZ] * n_el)
    tree_set(tree, n + 1, bnd_out[i] * n_occ)
    tree_set(tree, n + 2, bnd_in[i] * (n_top - n_occ))
    return True


@kernel
def boundary_leaves(st, x):
    """:func:`set_boundary_leaves` of a run's (Static, State)."""
    return set_boundary_leaves(st.nbr.shape[0], st.top_sites.shape[0], x.tree, x.cnt, x.sc, x.bnd_out, x.bnd_in)


@kernel
def rebuild_rates(st, x):
    """Recompute every leaf (hops and boundary) and every parent of the tree (O(N))."""
    tree = x.tree  # element loops, not slices or np.arange: run_chunk allocates nothing (kernel)
    for i in range(tree.shape[0]):
        tree[i] = 0.0
    for s in range(st.nbr.shape[0]):
        leaf_put(tree, s, site_rate(s, x.rec, x.rec16, st.base, x.tilt, st.nbr, st.hop, st.dir_cls, st.dest))
    tree_sum_parents(x.tree)
    return boundary_leaves(st, x)


@kernel
def refresh_field(st, x):
    """Recompute the field from the current N profile and rebuild every rate (O(N))."""
    full_field(x.layer_n, st.sites_per_layer, x.field_par, x.r_gap, x.fstate)
    fill_tilt_rows(x.tilt, 0, x.tilt.shape[0] - 1, x.r_gap, x.fstate, st.dz_classes, x.field_par)
    for i in range(x.layer_n.shape[0]):
        x.layer_ref[i] = x.layer_n[i]
    x.cnt[CNT_FIELD_REFRESH] += 1
    return rebuild_rates(st, x)


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


@kernel
def _boundary_event(st, x, leaf):
    """Escape (leaf n), exit (n+1) or entry (n+2). Returns False if n_el left the table window."""
    n = st.nbr.shape[0]
    cnt, rec, el = x.cnt, x.rec, x.electrolyte
    if leaf == n:  # a near-surface electrolyte ion escapes into the bulk electrolyte
        n_near = cnt[CNT_ELECTROLYTE]
        i = min(int(uniform(x.rng) * n_near), n_near - 1)
        ion = el[i]
        el[i] = el[n_near - 1]
        cnt[CNT_ELECTROLYTE] = n_near - 1
        el[el.shape[0] - 1 - cnt[CNT_BULK]] = ion
        cnt[CNT_BULK] += 1
        return boundary_leaves(st, x)
    n_occ = cnt[CNT_TOP_OCC]
    top = x.layer_n.shape[0] - 1
    n_cls = x.tilt.shape[1]
    filled = leaf != n + 1
    if not filled:  # exit of an ion from an occupied top site, chosen uniformly
        s = np.int64(x.top_perm[min(int(uniform(x.rng) * n_occ), n_occ - 1)])
        rec[s, R_OCC] = 0
        el[cnt[CNT_ELECTROLYTE]] = x.ion_at[s]
        cnt[CNT_ELECTROLYTE] += 1
        x.ion_at[s] = -1
        cnt[CNT_EXITS] += 1
    else:  # entry into a vacant top site, chosen uniformly (last out, first back)
        n_vac = st.top_sites.shape[0] - n_occ
        s = np.int64(x.top_perm[n_occ + min(int(uniform(x.rng) * n_vac), n_vac - 1)])
        cnt[CNT_ELECTROLYTE] -= 1
        x.ion_at[s] = el[cnt[CNT_ELECTROLYTE]]
        rec[s, R_OCC] = 1
        cnt[CNT_ENTRIES] += 1
    x.buf[0] = s
    m = _flip(s, filled, st.nbr, st.hop, st.dir_cls, n_cls, st.stride1, top, rec, x.rec16, x.top_pos, x.top_perm,
              cnt, x.buf, 1)
    if st.shell2.shape[1]:
        m = _flip2(s, filled, st.shell2, st.n_static, rec, x.rec16, x.buf, m)
    if st.dest.shape[0]:
        m = _spread_to_sources(s, st.nbr, st.shell2, rec, x.buf, m)
    x.layer_n[st.layer[s]] += 1 if filled else -1
    _set_around(st, x, m)
    return boundary_leaves(st, x)


@kernel
def _after_layer_change(ell, ell_t, layer_n, layer_ref, tol_count, sites_per_layer, field_par, r_gap, fstate,
                        tilt, dz_classes, layer_ptr, layer_sites, buf, tree, rec, rec16, base, nbr, hop, dir_cls,
                        dest, seen):
    """Field refresh policy after an ion moved from layer ell to ell_t (its local part). Returns
    True if the total resistance drifted beyond tolerance: the caller then rebuilds every rate."""
    top = layer_n.shape[0] - 1
    for m in (ell, ell_t):
        if abs(layer_n[m] - layer_ref[m]) > tol_count:
            layer_ref[m] = layer_n[m]
            if update_gaps_of_layer(m, layer_n, sites_per_layer, field_par, r_gap, fstate):
                return True
            fill_tilt_rows(tilt, m - 1, m + 1, r_gap, fstate, dz_classes, field_par)
            lo, hi = layer_ptr[max(m - 1, 0)], layer_ptr[min(m + 1, top) + 1]
            for i in range(hi - lo):
                buf[i] = layer_sites[lo + i]
            set_leaves(buf, hi - lo, tree, rec, rec16, base, tilt, nbr, hop, dir_cls, dest, seen)
    return False


@kernel
def run_chunk(st, x, t_stop, max_events):
    """Advance the ion system until ``t_stop`` (s), ``max_events``, or until n_el leaves the window
    of the boundary tables. Returns STOP_TIME, STOP_EVENTS, STOP_WINDOW or STOP_FROZEN (no event
    possible: time jumps to t_stop)."""
    nbr, hop, dir_cls, dir_vec, base = st.nbr, st.hop, st.dir_cls, st.dir_vec, st.base
    stride1, n_static, shell2, dest = st.stride1, st.n_static, st.shell2, st.dest
    kra = dest.shape[0] > 0
    z2 = shell2.shape[1]
    rec, rec16, ion_at, disp, tilt, tree = x.rec, x.rec16, x.ion_at, x.disp, x.tilt, x.tree
    sc, cnt, rng, buf, layer_n, top_pos, top_perm = x.sc, x.cnt, x.rng, x.buf, x.layer_n, x.top_pos, x.top_perm
    layer_ref, r_gap, fstate, field_par = x.layer_ref, x.r_gap, x.fstate, x.field_par
    sites_per_layer, dz_classes, layer_ptr, layer_sites = st.sites_per_layer, st.dz_classes, st.layer_ptr, st.layer_sites
    tol_count = st.tol_count
    n = rec.shape[0]
    n_cls = tilt.shape[1]
    n_top = st.top_sites.shape[0]
    top = layer_n.shape[0] - 1
    lb = leaf_base(tree)
    big = n >= PREFETCH_MIN_SITES
    n_events = 0
    t_now, t_next = sc[SC_TIME_S], sc[SC_NEXT_T]  # kept in registers, written back on return
    while n_events < max_events:
        total = tree_total(tree)
        if t_next != t_next:  # NaN: draw the time of the next event
            if total <= 0.0:
                sc[SC_TIME_S], sc[SC_NEXT_T] = t_stop, np.nan
                return STOP_FROZEN
            t_next = t_now - np.log(uniform_pos(rng)) / total
        if t_next >= t_stop:
            sc[SC_TIME_S], sc[SC_NEXT_T] = t_stop, t_next
            return STOP_TIME
        t_now = t_next
        t_next = np.nan
        s = tree_find(tree, uniform(rng) * total)
        while s < 0:  # landed on an empty leaf through rounding: redraw the event, not the time
            s = tree_find(tree, uniform(rng) * total)
        n_events += 1
        cnt[CNT_EVENTS] += 1
        if s >= n:
            top_before = cnt[CNT_TOP_OCC]
            ok = _boundary_event(st, x, s)
            if top_before != cnt[CNT_TOP_OCC] and field_par[F_VOLTAGE_V] != 0.0:
                if _after_layer_change(top, top, layer_n, layer_ref, tol_count, sites_per_layer, field_par, r_gap,
                                       fstate, tilt, dz_classes, layer_ptr, layer_sites, buf, tree, rec, rec16,
                                       base, nbr, hop, dir_cls, dest, x.seen):
                    refresh_field(st, x)
            if not ok:
                sc[SC_TIME_S], sc[SC_NEXT_T] = t_now, t_next
                return STOP_WINDOW
            continue

        # a hop: pick the vacant neighbour with weight tilt[ell, class]
        ion = ion_at[s]
        if big:
            prefetch(disp, 3 * ion)
            _prefetch_around(s, nbr, rec, tree, lb)
        ell = rec16[s, R_LAYER]
        u = uniform(rng) * leaf_get(tree, s) / base[rec16[s, R_CODE]]
        k_pick = -1
        for k in range(nbr.shape[1]):
            t = nbr[s, k]
            if t >= 0 and rec[t, R_OCC] == 0:
                k_pick = k
                u -= tilt[ell, dir_cls[hop[s, k]]] * (dest[rec16[t, R_CODE]] if kra else 1.0)
                if u < 0.0:
                    break
        t = np.int64(nbr[s, k_pick])
        if big:
            _prefetch_around(t, nbr, rec, tree, lb)
        h = hop[s, k_pick]
        rec[s, R_OCC] = 0
        rec[t, R_OCC] = 1
        ion_at[t] = ion
        ion_at[s] = -1
        for d in range(3):
            disp[ion, d] += dir_vec[h, d]
        buf[0] = s  # s (now vacant, rate 0) and the occupied neighbours of s and t: every changed leaf
        m = _flip(s, False, nbr, hop, dir_cls, n_cls, stride1, top, rec, rec16, top_pos, top_perm, cnt, buf, 1)
        m = _flip(t, True, nbr, hop, dir_cls, n_cls, stride1, top, rec, rec16, top_pos, top_perm, cnt, buf, m)
        if z2:  # a hop law with a second shell (loop-invariant branch)
            m = _flip2(s, False, shell2, n_static, rec, rec16, buf, m)
            m = _flip2(t, True, shell2, n_static, rec, rec16, buf, m)
        if kra:  # destination factors: the sources around every vacant site whose code changed
            m = _spread_to_sources(s, nbr, shell2, rec, buf, m)
            m = _spread_to_sources(t, nbr, shell2, rec, buf, m)
        set_leaves(buf, m, tree, rec, rec16, base, tilt, nbr, hop, dir_cls, dest, x.seen)  # before the layer logic, which reuses buf
        cnt[CNT_HOPS] += 1
        ell_t = rec16[t, R_LAYER]
        if ell_t != ell:
            layer_n[ell] -= 1
            layer_n[ell_t] += 1
            if field_par[F_VOLTAGE_V] != 0.0 and _after_layer_change(
                    ell, ell_t, layer_n, layer_ref, tol_count, sites_per_layer, field_par, r_gap, fstate, tilt,
                    dz_classes, layer_ptr, layer_sites, buf, tree, rec, rec16, base, nbr, hop, dir_cls, dest, x.seen):
                refresh_field(st, x)  # every leaf rebuilt, the boundary leaves too
                continue
            if ell == top or ell_t == top:  # the top layer's occupancy changed: exit/entry totals
                set_boundary_leaves(n, n_top, tree, cnt, sc, x.bnd_out, x.bnd_in)
    sc[SC_TIME_S], sc[SC_NEXT_T] = t_now, t_next
    return STOP_EVENTS
