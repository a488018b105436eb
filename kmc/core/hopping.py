"""Rejection-free (BKL / n-fold way) kinetic Monte Carlo of ions hopping into vacant sites.

One leaf of the sum tree per mobile site holds the total hop rate of the ion there,

    R_s = occ_s · k(code_s) · Σ_c nvac[s, c] · tilt[layer_s, c]      (Hz)

and three more leaves hold the boundary channels as totals (indices n, n+1, n+2, n = n_sites):

    escape  k_esc · n_el        N in the near-surface electrolyte leaves for its bulk
    exit    k_out(n_el) · n_top_occupied        an ion of the top layer leaves the film
    entry   k_in(n_el)  · n_top_vacant          an electrolyte ion fills a vacant top site

(coupled to the site energy, the numbers of top sites become sums of per-site weights,
:mod:`kmc.core.surface`), so a change of the boundary rates costs O(log N), not O(top layer).
The boundary plug-in's rates as a function of the near-surface count n_el are read from tables ``bnd_out``/``bnd_in`` over a
window of n_el starting at ``cnt[CNT_WIN_LO]``; the loop returns to Python (STOP_WINDOW) only when
n_el leaves the window. The occupied top sites are the first ``cnt[CNT_TOP_OCC]`` entries of the
permutation ``top_perm`` (``top_pos`` is its inverse), so an exit or entry picks its site in O(1)
(O(top layer) when coupled).

``code_s = (nocc_s · (z2+1) + nocc2_s) · n_static + env_static_s`` indexes the hop plug-in's rate
table (Hz; nocc2 counts occupied sites of an optional second shell, z2 = 0 for most laws);
``nvac[s, c]`` counts vacant neighbours by hop class c (z component), so the local field enters
as a per-class tilt. A hop changes the counts of the two sites' neighbours only: ≈ 2(z+1) leaves
(2(z+z2)+1 with a second shell). A hop law with a metal-centred energy multiplies k by a factor
per metal around s (:mod:`kmc.core.metal_counts`); a hop then also steps the N counts of the
metals of s and t and re-evaluates the ions that share one with them. A hop law whose barrier depends on both ends (KRA form) gives a
destination factor per code, ``dest``: then each vacant neighbour t counts with dest[code_t] (see
:func:`~kmc.core.records.site_rate`), and a hop also changes the leaves of the ions next to every
vacant site whose code changed: ≈ 2(z+z2)·z more.

Time: ``sc[SC_NEXT_T]`` is the absolute time of the next event, drawn as t − ln(u)/R_total after
every event and whenever the rates change (NaN = to be drawn). A chunk that stops at ``t_stop``
before that time keeps it, so stopping to record a frame never changes the trajectory; a caller
that changes rates (voltage, boundary tables) sets it to NaN, which by memorylessness is exact.

State lives in two named tuples of :mod:`kmc.core.loop_state`: :data:`Static` (read-only tables of the lattice and hop law)
and :data:`State` (what events change). Field refresh policy: :mod:`kmc.core.field`.

Memory layout (what one event touches, for large films where every touch is a cache miss):
everything the rate of a site depends on is one record ``rec[s]`` (:mod:`kmc.core.records`);
the large arrays sit on huge pages (:mod:`kmc.core.memory`). Ion and site indices (``ion_at``,
``electrolyte``, ``top_perm``, ``top_pos``, ``nbr``) are int32.
The event loop and everything it calls are compiled as :data:`kmc.core.jit.kernel`, without
numba's reference counting, so they allocate nothing.
"""

import numpy as np

from kmc.core.field import F_VOLTAGE_V, fill_tilt_rows, full_field, update_gaps_of_layer
from kmc.core.jit import kernel
from kmc.core.loop_state import (CNT_BULK, CNT_ELECTROLYTE, CNT_ENTRIES, CNT_EVENTS, CNT_EXITS,
                                 CNT_FIELD_REFRESH, CNT_HOPS, CNT_TOP_OCC, CNT_WIN_LO, COUNTER_NAMES, N_CNT, N_SC,
                                 PREFETCH_MIN_SITES, SC_K_ESC_HZ, SC_NEXT_T, SC_TIME_S, STOP_EVENTS, STOP_FROZEN,
                                 STOP_TIME, STOP_WINDOW, State, Static)
from kmc.core.records import R_CODE, R_LAYER, R_OCC, site_rate, start_rate
from kmc.core.rng import uniform, uniform_pos
from kmc.core.site_updates import (_flip, _flip2, _flip_metals, _prefetch_around, _spread_to_sources, metal_state,
                                   set_leaves)
from kmc.core.sumtree import leaf_base, leaf_get, leaf_put, prefetch, tree_find, tree_sum_parents, tree_total
from kmc.core.surface import boundary_event, boundary_leaves, set_boundary_leaves, site_weights

#: what the engine (kmc.model.ions) uses, from here and from the modules the loop is split into
__all__ = ["CNT_BULK", "CNT_ELECTROLYTE", "CNT_ENTRIES", "CNT_EVENTS", "CNT_EXITS", "CNT_FIELD_REFRESH", "CNT_HOPS",
           "CNT_TOP_OCC", "CNT_WIN_LO", "COUNTER_NAMES", "N_CNT", "N_SC", "SC_K_ESC_HZ", "SC_NEXT_T", "SC_TIME_S",
           "STOP_EVENTS", "STOP_FROZEN", "STOP_TIME", "STOP_WINDOW", "State", "Static", "boundary_leaves",
           "rebuild_rates", "refresh_field", "run_chunk", "set_boundary_leaves", "site_weights"]


@kernel
def rebuild_rates(st, x):
    """Recompute every leaf (hops and boundary) and every parent of the tree (O(N))."""
    tree = x.tree  # element loops, not slices or np.arange: run_chunk allocates nothing (kernel)
    for i in range(tree.shape[0]):
        tree[i] = 0.0
    metal = metal_state(st, x)
    for s in range(st.nbr.shape[0]):
        leaf_put(tree, s, site_rate(s, x.rec, x.rec16, st.base, x.tilt, st.nbr, st.hop, st.dir_cls, st.dest, metal))
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



@kernel
def _after_layer_change(ell, ell_t, layer_n, layer_ref, tol_count, sites_per_layer, field_par, r_gap, fstate,
                        tilt, dz_classes, layer_ptr, layer_sites, buf, tree, rec, rec16, base, nbr, hop, dir_cls,
                        dest, seen, metal):
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
            set_leaves(buf, hi - lo, tree, rec, rec16, base, tilt, nbr, hop, dir_cls, dest, seen, metal)
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
    metal = metal_state(st, x)
    metal_on = st.phi.shape[0] > 0
    metal_of, metal_n, metal_shell = st.metal_of, x.metal_n, st.metal_shell
    near_top = st.near_top
    coupled = near_top.shape[0] > 0
    rec, rec16, ion_at, disp, tilt, tree = x.rec, x.rec16, x.ion_at, x.disp, x.tilt, x.tree
    sc, cnt, rng, buf, layer_n, top_pos, top_perm = x.sc, x.cnt, x.rng, x.buf, x.layer_n, x.top_pos, x.top_perm
    layer_ref, r_gap, fstate, field_par = x.layer_ref, x.r_gap, x.fstate, x.field_par
    sites_per_layer, dz_classes, layer_ptr, layer_sites = st.sites_per_layer, st.dz_classes, st.layer_ptr, st.layer_sites
    tol_count = st.tol_count
    n = rec.shape[0]
    n_cls = tilt.shape[1]
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
            ok = boundary_event(st, x, s)
            if top_before != cnt[CNT_TOP_OCC] and field_par[F_VOLTAGE_V] != 0.0:
                if _after_layer_change(top, top, layer_n, layer_ref, tol_count, sites_per_layer, field_par, r_gap,
                                       fstate, tilt, dz_classes, layer_ptr, layer_sites, buf, tree, rec, rec16,
                                       base, nbr, hop, dir_cls, dest, x.seen, metal):
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
        u = uniform(rng) * leaf_get(tree, s) / start_rate(s, rec16, base, metal)
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
        m = 1
        if metal_on:  # a metal-centred energy: the metals' N counts and the factors of the sites sharing them
            m = _flip_metals(s, False, metal_of, metal_n, metal_shell, rec, buf, m)
            m = _flip_metals(t, True, metal_of, metal_n, metal_shell, rec, buf, m)
        ion_at[t] = ion
        ion_at[s] = -1
        for d in range(3):
            disp[ion, d] += dir_vec[h, d]
        buf[0] = s  # s (now vacant, rate 0) and the occupied neighbours of s and t: every changed leaf
        m = _flip(s, False, nbr, hop, dir_cls, n_cls, stride1, top, rec, rec16, top_pos, top_perm, cnt, buf, m)
        m = _flip(t, True, nbr, hop, dir_cls, n_cls, stride1, top, rec, rec16, top_pos, top_perm, cnt, buf, m)
        if z2:  # a hop law with a second shell (loop-invariant branch)
            m = _flip2(s, False, shell2, n_static, rec, rec16, buf, m)
            m = _flip2(t, True, shell2, n_static, rec, rec16, buf, m)
        if kra:  # destination factors: the sources around every vacant site whose code changed
            m = _spread_to_sources(s, nbr, shell2, rec, buf, m)
            m = _spread_to_sources(t, nbr, shell2, rec, buf, m)
        set_leaves(buf, m, tree, rec, rec16, base, tilt, nbr, hop, dir_cls, dest, x.seen, metal)  # before the layer logic, which reuses buf
        cnt[CNT_HOPS] += 1
        ell_t = rec16[t, R_LAYER]
        # exit/entry totals change with the top layer's occupancy, and when coupled to the site
        # energy, with the code of any top site
        surface = (coupled and (near_top[s] or near_top[t])) or (ell_t != ell and (ell == top or ell_t == top))
        if ell_t != ell:
            layer_n[ell] -= 1
            layer_n[ell_t] += 1
            if field_par[F_VOLTAGE_V] != 0.0 and _after_layer_change(
                    ell, ell_t, layer_n, layer_ref, tol_count, sites_per_layer, field_par, r_gap, fstate, tilt,
                    dz_classes, layer_ptr, layer_sites, buf, tree, rec, rec16, base, nbr, hop, dir_cls, dest, x.seen,
                    metal):
                refresh_field(st, x)  # every leaf rebuilt, the boundary leaves too
                continue
        if surface:
            boundary_leaves(st, x)
    sc[SC_TIME_S], sc[SC_NEXT_T] = t_now, t_next
    return STOP_EVENTS

