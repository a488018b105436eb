"""Rejection-free (BKL / n-fold way) kinetic Monte Carlo of ions hopping into vacant sites.

One leaf of the sum tree per mobile site holds the total rate of every event that starts there:

    R_s = occ_s · k(code_s) · Σ_c nvac[s, c] · tilt[layer_s, c]      (hops into vacant neighbours)
        + [s in top layer] · (occ_s ? k_out : k_in)                   (exit to / entry from electrolyte)

and one more leaf, index n_sites, holds the total rate at which N released into the near-surface
electrolyte escapes into its bulk (``sc[SC_ESCAPE_HZ]``). ``electrolyte`` holds the ids of the
near-surface ions at [0, cnt[CNT_ELECTROLYTE]) and of the bulk ions at its far end.

``code_s = nocc_s · n_static + env_static_s`` indexes the hop plug-in's rate table (Hz):
``nocc_s`` is the number of occupied mobile neighbours (kept incrementally), ``env_static_s`` a
code of the site's fixed host environment (e.g. its number of Co neighbours). ``nvac[s, c]``
counts vacant neighbours by hop class c (z component), so the tilt of the local field enters as
a per-class factor. A hop changes the counts of the two sites' neighbours only, so each event
updates ≈ 2(z+1) leaves: O(z log N) per event.

Waiting times are exact: Δt = −ln(u)/R_total. A chunk ends at ``t_stop`` (the pending event is
dropped: by memorylessness this is exact for piecewise-constant rates), after ``max_events``,
or right after an exchange with the electrolyte (its rates then change; the caller refreshes
them). The field is refreshed inside the loop as ions move between layers (policy in
:mod:`kmc.core.field`).
"""

import numpy as np
from numba import njit

from kmc.core.field import F_VOLTAGE_V, fill_tilt_rows, full_field, update_gaps_of_layer
from kmc.core.rng import uniform, uniform_pos
from kmc.core.sumtree import tree_find, tree_sum_parents

# index of the mutable scalars in ``sc`` (float64) and counters in ``cnt`` (int64)
SC_TIME_S, SC_K_OUT_HZ, SC_K_IN_HZ, SC_ESCAPE_HZ = range(4)
CNT_EVENTS, CNT_ELECTROLYTE, CNT_HOPS, CNT_EXITS, CNT_ENTRIES, CNT_FIELD_REFRESH, CNT_BULK = range(7)
N_SC, N_CNT = 4, 7
# why a chunk returned
STOP_TIME, STOP_EVENTS, STOP_BOUNDARY, STOP_FROZEN = range(4)


@njit(cache=True)
def set_leaves(buf, n, tree, occ, nocc, nvac, layer, env_static, n_static, base, tilt, top, sc,
               propagate=True):
    """Re-evaluate the tree leaves of the sites ``buf[:n]`` (duplicates allowed; ``buf`` is scratch:
    it is sorted and overwritten), then, with ``propagate``, their ancestors level by level, each
    shared ancestor once.

    Leaf s holds the total rate (Hz) of all events that start at s (formula in the module doc).
    The formula is written out here, in the one loop every rate update goes through: passing the
    state arrays to a per-site helper costs reference counting that dominates the event time.
    """
    for i in range(1, n):  # insertion sort: n is small, or the input already sorted
        x = buf[i]
        j = i - 1
        while j >= 0 and buf[j] > x:
            buf[j + 1] = buf[j]
            j -= 1
        buf[j + 1] = x
    p = tree.shape[0] // 2
    n_cls = nvac.shape[1]
    w = 0
    last = -1
    for i in range(n):
        s = buf[i]
        if s == last:
            continue
        last = s
        ell = layer[s]
        r = 0.0
        if occ[s]:
            acc = 0.0
            for c in range(n_cls):
                acc += nvac[s, c] * tilt[ell, c]
            if acc > 0.0:
                r = base[nocc[s] * n_static + env_static[s]] * acc
            if ell == top:
                r += sc[SC_K_OUT_HZ]
        elif ell == top:
            r += sc[SC_K_IN_HZ]
        tree[p + s] = r
        buf[w] = (p + s) // 2
        w += 1
    while propagate and w > 0:
        nw = 0
        last = -1
        for i in range(w):
            k = buf[i]
            if k == last:
                continue
            last = k
            tree[k] = tree[2 * k] + tree[2 * k + 1]
            if k > 1:
                buf[nw] = k // 2
                nw += 1
        w = nw


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
def rebuild_rates(tree, occ, nocc, nvac, layer, env_static, n_static, base, tilt, top, sc):
    """Recompute every leaf and every parent of the tree."""
    tree[:] = 0.0
    set_leaves(np.arange(occ.shape[0]), occ.shape[0], tree, occ, nocc, nvac, layer, env_static,
               n_static, base, tilt, top, sc, False)
    tree[tree.shape[0] // 2 + occ.shape[0]] = sc[SC_ESCAPE_HZ]
    tree_sum_parents(tree)


@njit(cache=True)
def refresh_top(tree, occ, nocc, nvac, layer, env_static, n_static, base, tilt, top, sc, top_sites):
    """Re-evaluate the leaves of the top layer after the boundary rates changed."""
    set_leaves(top_sites.copy(), top_sites.shape[0], tree, occ, nocc, nvac, layer, env_static, n_static,
               base, tilt, top, sc)


@njit(cache=True)
def _flip(s, filled, nbr, cls, nocc, nvac):
    """Update neighbour counts after site s became occupied (filled=True) or vacant."""
    n_cls = nvac.shape[1]
    d = 1 if filled else -1
    for k in range(nbr.shape[1]):
        u = nbr[s, k]
        if u < 0:
            continue
        nocc[u] += d
        nvac[u, n_cls - 1 - cls[s, k]] -= d


@njit(cache=True)
def _gather_around(s, t, nbr, buf):
    """Put s, t (if >= 0) and their neighbours into buf; returns how many."""
    m = 0
    for a in (s, t):
        if a < 0:
            continue
        buf[m] = a
        m += 1
        for k in range(nbr.shape[1]):
            u = nbr[a, k]
            if u >= 0:
                buf[m] = u
                m += 1
    return m


@njit(cache=True)
def run_chunk(nbr, cls, vec, layer, layer_ptr, layer_sites, env_static, n_static, base, dz_classes,
              sites_per_layer, field_par, occ, nocc, nvac, ion_at, disp, electrolyte, layer_n,
              layer_ref, r_gap, fstate, tilt, tree, sc, cnt, rng, t_stop, max_events, tol_count):
    """Advance the ion system until ``t_stop`` (s), ``max_events`` or a boundary exchange.

    Returns one of STOP_TIME, STOP_EVENTS, STOP_BOUNDARY, STOP_FROZEN (no event possible:
    time jumps to t_stop).
    """
    top = layer_n.shape[0] - 1
    z = nbr.shape[1]
    buf = np.empty(max(2 * z + 2, 3 * int(sites_per_layer.max()) + 1), dtype=np.int64)
    n_events = 0
    while n_events < max_events:
        total = tree[1]
        if total <= 0.0:
            sc[SC_TIME_S] = t_stop
            return STOP_FROZEN
        dt = -np.log(uniform_pos(rng)) / total
        if sc[SC_TIME_S] + dt >= t_stop:
            sc[SC_TIME_S] = t_stop
            return STOP_TIME
        s = tree_find(tree, uniform(rng) * total)
        if s < 0:  # landed on an empty leaf through rounding: redraw the site, not the time
            continue
        sc[SC_TIME_S] += dt
        n_events += 1
        cnt[CNT_EVENTS] += 1
        if s == occ.shape[0]:  # a near-surface electrolyte ion escapes into the bulk electrolyte
            n_near = cnt[CNT_ELECTROLYTE]
            i = min(int(uniform(rng) * n_near), n_near - 1)
            ion = electrolyte[i]
            electrolyte[i] = electrolyte[n_near - 1]
            cnt[CNT_ELECTROLYTE] = n_near - 1
            electrolyte[electrolyte.shape[0] - 1 - cnt[CNT_BULK]] = ion
            cnt[CNT_BULK] += 1
            return STOP_BOUNDARY
        ell = layer[s]
        r_s = tree[tree.shape[0] // 2 + s]
        u = uniform(rng) * r_s

        bnd = 0.0
        if ell == top:
            bnd = sc[SC_K_OUT_HZ] if occ[s] else sc[SC_K_IN_HZ]
        if u < bnd:
            if occ[s]:  # exit into the electrolyte
                occ[s] = 0
                electrolyte[cnt[CNT_ELECTROLYTE]] = ion_at[s]
                cnt[CNT_ELECTROLYTE] += 1
                ion_at[s] = -1
                _flip(s, False, nbr, cls, nocc, nvac)
                layer_n[ell] -= 1
                cnt[CNT_EXITS] += 1
            else:  # entry from the electrolyte (last out, first back)
                cnt[CNT_ELECTROLYTE] -= 1
                ion_at[s] = electrolyte[cnt[CNT_ELECTROLYTE]]
                occ[s] = 1
                _flip(s, True, nbr, cls, nocc, nvac)
                layer_n[ell] += 1
                cnt[CNT_ENTRIES] += 1
            m = _gather_around(s, -1, nbr, buf)
            set_leaves(buf, m, tree, occ, nocc, nvac, layer, env_static, n_static, base, tilt, top, sc)
            return STOP_BOUNDARY

        # a hop: pick the vacant neighbour with weight tilt[ell, class]
        u = (u - bnd) / base[nocc[s] * n_static + env_static[s]]
        k_pick = -1
        for k in range(nbr.shape[1]):
            t = nbr[s, k]
            if t >= 0 and occ[t] == 0:
                k_pick = k
                u -= tilt[ell, cls[s, k]]
                if u < 0.0:
                    break
        t = nbr[s, k_pick]
        occ[s] = 0
        occ[t] = 1
        ion = ion_at[s]
        ion_at[t] = ion
        ion_at[s] = -1
        for d in range(3):
            disp[ion, d] += vec[s, k_pick, d]
        _flip(s, False, nbr, cls, nocc, nvac)
        _flip(t, True, nbr, cls, nocc, nvac)
        cnt[CNT_HOPS] += 1
        ell_t = layer[t]
        if ell_t != ell:
            layer_n[ell] -= 1
            layer_n[ell_t] += 1
            if field_par[F_VOLTAGE_V] != 0.0:
                full = False
                for m in (ell, ell_t):
                    if abs(layer_n[m] - layer_ref[m]) > tol_count and not full:
                        layer_ref[m] = layer_n[m]
                        if update_gaps_of_layer(m, layer_n, sites_per_layer, field_par, r_gap, fstate):
                            refresh_field(occ, nocc, nvac, layer, env_static, n_static, base, dz_classes,
                                          sites_per_layer, field_par, layer_n, layer_ref, r_gap, fstate,
                                          tilt, tree, sc, cnt)
                            full = True
                        else:
                            fill_tilt_rows(tilt, m - 1, m + 1, r_gap, fstate, dz_classes, field_par)
                            lo = layer_ptr[max(m - 1, 0)]
                            hi = layer_ptr[min(m + 2, layer_ptr.shape[0] - 1)]
                            buf[: hi - lo] = layer_sites[lo:hi]
                            set_leaves(buf, hi - lo, tree, occ, nocc, nvac, layer, env_static,
                                       n_static, base, tilt, top, sc)
                if full:
                    continue
        m = _gather_around(s, t, nbr, buf)
        set_leaves(buf, m, tree, occ, nocc, nvac, layer, env_static, n_static, base, tilt, top, sc)
    return STOP_EVENTS


@njit(cache=True)
def refresh_field(occ, nocc, nvac, layer, env_static, n_static, base, dz_classes, sites_per_layer,
                  field_par, layer_n, layer_ref, r_gap, fstate, tilt, tree, sc, cnt):
    """Recompute the field from the current N profile and rebuild every rate (O(N))."""
    full_field(layer_n, sites_per_layer, field_par, r_gap, fstate)
    fill_tilt_rows(tilt, 0, tilt.shape[0] - 1, r_gap, fstate, dz_classes, field_par)
    layer_ref[:] = layer_n
    rebuild_rates(tree, occ, nocc, nvac, layer, env_static, n_static, base, tilt,
                  layer_n.shape[0] - 1, sc)
    cnt[CNT_FIELD_REFRESH] += 1
