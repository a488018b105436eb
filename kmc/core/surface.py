"""The surface channels of the ion system: escape of near-surface electrolyte N into the bulk
electrolyte, exit of an ion from the top layer, entry of an electrolyte ion into a vacant top site.
Their totals are the sum-tree leaves n, n+1, n+2 (:func:`set_boundary_leaves`); an event of one
of them is :func:`boundary_event`."""

import numpy as np

from kmc.core.jit import kernel
from kmc.core.loop_state import (CNT_BULK, CNT_ELECTROLYTE, CNT_ENTRIES, CNT_EXITS, CNT_TOP_OCC, CNT_WIN_LO,
                                 SC_K_ESC_HZ)
from kmc.core.records import R_OCC
from kmc.core.rng import uniform
from kmc.core.site_updates import _flip, _flip2, _set_around, _spread_to_sources
from kmc.core.sumtree import tree_set


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
def boundary_event(st, x, leaf):
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

