"""The surface channels of the ion system: escape of near-surface electrolyte N into the bulk
electrolyte, exit of an ion from the top layer, entry of an electrolyte ion into a vacant top site.
Their totals are the sum-tree leaves n, n+1, n+2 (:func:`set_boundary_leaves`); an event of one
of them is :func:`boundary_event`.

The boundary plug-in gives k_out, k_in (Hz per top site) as functions of the near-surface count.
Uncoupled, every top site exits and enters at those rates. Coupled to the site energy (the
plug-in's ``site_energy_coupling``), site s exits at k_out·w_out[code_s] and a vacant t is entered
at k_in·w_in[code_t], with the hop law's own factors relative to an isolated site (code 0):

    w_out = base[code] / base[0],      w_in = dest[code] / dest[0]  (1 without destination factors)

so a hop law whose rates factorise as base[code_s]·dest[code_t] and satisfy detailed balance with a
site energy e(code) (every law of this package) does so across the surface too: exit and entry
of one ion change the film's energy by ∓e, and k_out(s)/k_in(s) carries exp(e/kT). With a
metal-centred energy (:mod:`kmc.core.metal_counts`) the exit weight carries its factor too,
w_out = base[code]·Π φ / base[0]. The weights are held as integers (:func:`site_weights`), so
their sums over the top layer are exact and do not depend on the order of the updates; the sums
are recomputed (O(top layer)) after every event that can change the rate of a top site
(``near_top``)."""

import math

import numpy as np

from kmc.core.jit import kernel
from kmc.core.loop_state import (CNT_BULK, CNT_ELECTROLYTE, CNT_ENTRIES, CNT_EXITS, CNT_TOP_OCC, CNT_WIN_LO,
                                 SC_K_ESC_HZ)
from kmc.core.records import R_CODE, R_OCC
from kmc.core.rng import uniform
from kmc.core.metal_counts import metal_factor
from kmc.core.site_updates import _flip, _flip2, _flip_metals, _set_around, _spread_to_sources, metal_state
from kmc.core.sumtree import tree_set

#: the integer weights are scaled so that a whole top layer of the largest one stays below 2**62
_WEIGHT_BITS = 62


def site_weights(base, dest, n_top: int, metal_max: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(w_out, w_in, unit): the exit and entry weight of every environment code as int64, and the
    value (float64, 2) of one unit of each; w = round(f / unit) for f = base/base[0] and
    dest/dest[0] (all 1 without destination factors). ``metal_max``: the largest factor of a
    metal-centred energy (the units then leave room for it). Raises ValueError for a non-positive
    or non-finite reference rate or factor."""
    base = np.asarray(base, dtype=np.float64)
    dest = np.ones_like(base) if dest is None or len(dest) == 0 else np.asarray(dest, dtype=np.float64)
    out = []
    for name, g, room in (("exit", base, metal_max), ("entry", dest, 1.0)):
        with np.errstate(divide="ignore", invalid="ignore"):
            f = g / g[0]
        if not (g[0] > 0 and np.all(np.isfinite(f)) and np.all(f >= 0)):
            raise ValueError(f"site-energy coupling: the {name} factors relative to code 0 must be finite and "
                             f">= 0 (is the hop law's rate of an isolated site > 0?)")
        k = _WEIGHT_BITS - math.ceil(math.log2(max(n_top, 1) * f.max() * room))
        out.append((np.round(np.ldexp(f, k)).astype(np.int64), math.ldexp(1.0, -k)))
    return out[0][0], out[1][0], np.array([out[0][1], out[1][1]])


@kernel
def set_boundary_leaves(n, tree, cnt, sc, bnd_out, bnd_in, w_occ, w_vac):
    """Set the escape, exit and entry leaves (n, n+1, n+2) from n_el and the weights of the
    occupied and vacant top sites (their numbers when uncoupled). Returns False (leaves
    untouched) if n_el is outside the boundary tables' window."""
    n_el = cnt[CNT_ELECTROLYTE]
    i = n_el - cnt[CNT_WIN_LO]
    if i < 0 or i >= bnd_out.shape[0]:
        return False
    tree_set(tree, n, sc[SC_K_ESC_HZ] * n_el)
    tree_set(tree, n + 1, bnd_out[i] * w_occ)
    tree_set(tree, n + 2, bnd_in[i] * w_vac)
    return True


@kernel
def _weight(s, rec16, w, metal_w, exit_w, metal):
    """The integer weight of site s: w[code_s], or for an exit (``exit_w``) with a metal-centred energy
    (``metal_w`` (n_codes,) float64, f/unit not rounded) round(metal_w[code_s] · Π φ)."""
    if exit_w and metal_w.shape[0]:
        return np.int64(metal_w[rec16[s, R_CODE]] * metal_factor(s, metal[0], metal[1], metal[2], metal[3]) + 0.5)
    return w[rec16[s, R_CODE]]


@kernel
def _weight_sum(perm, lo, hi, rec16, w, metal_w, exit_w, metal):
    """Σ of :func:`_weight` over the sites perm[lo:hi] (int64, exact)."""
    acc = 0
    for i in range(lo, hi):
        acc += _weight(perm[i], rec16, w, metal_w, exit_w, metal)
    return acc


@kernel
def boundary_leaves(st, x):
    """:func:`set_boundary_leaves` of a run's (Static, State)."""
    n_occ = x.cnt[CNT_TOP_OCC]
    n_top = st.top_sites.shape[0]
    if st.top_w_out.shape[0]:
        metal = metal_state(st, x)
        w_occ = _weight_sum(x.top_perm, 0, n_occ, x.rec16, st.top_w_out, st.top_metal_w, True, metal) * st.top_w_unit[0]
        w_vac = _weight_sum(x.top_perm, n_occ, n_top, x.rec16, st.top_w_in, st.top_metal_w, False, metal) * st.top_w_unit[1]
        return set_boundary_leaves(st.nbr.shape[0], x.tree, x.cnt, x.sc, x.bnd_out, x.bnd_in, w_occ, w_vac)
    return set_boundary_leaves(st.nbr.shape[0], x.tree, x.cnt, x.sc, x.bnd_out, x.bnd_in, n_occ, n_top - n_occ)


@kernel
def _pick(perm, lo, hi, rec16, w, metal_w, exit_w, metal, u):
    """A site of perm[lo:hi], uniformly (w empty) or with probability weight/Σ weights
    (:func:`_weight`); u in [0, 1)."""
    if w.shape[0] == 0:
        return np.int64(perm[lo + min(int(u * (hi - lo)), hi - lo - 1)])
    total = _weight_sum(perm, lo, hi, rec16, w, metal_w, exit_w, metal)
    r = min(int(u * total), total - 1)
    for i in range(lo, hi):
        r -= _weight(perm[i], rec16, w, metal_w, exit_w, metal)
        if r < 0:
            return np.int64(perm[i])
    return np.int64(perm[hi - 1])



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
    if not filled:  # exit of an ion from an occupied top site (uniformly when uncoupled)
        s = _pick(x.top_perm, 0, n_occ, x.rec16, st.top_w_out, st.top_metal_w, True, metal_state(st, x),
                  uniform(x.rng))
        rec[s, R_OCC] = 0
        el[cnt[CNT_ELECTROLYTE]] = x.ion_at[s]
        cnt[CNT_ELECTROLYTE] += 1
        x.ion_at[s] = -1
        cnt[CNT_EXITS] += 1
    else:  # entry into a vacant top site (uniformly when uncoupled)
        s = _pick(x.top_perm, n_occ, st.top_sites.shape[0], x.rec16, st.top_w_in, st.top_metal_w, False,
                  metal_state(st, x), uniform(x.rng))
        cnt[CNT_ELECTROLYTE] -= 1
        x.ion_at[s] = el[cnt[CNT_ELECTROLYTE]]
        rec[s, R_OCC] = 1
        cnt[CNT_ENTRIES] += 1
    x.buf[0] = s
    m = 1
    if st.phi.shape[0]:
        m = _flip_metals(s, filled, st.metal_of, x.metal_n, st.metal_shell, rec, x.buf, m)
    m = _flip(s, filled, st.nbr, st.hop, st.dir_cls, n_cls, st.stride1, top, rec, x.rec16, x.top_pos, x.top_perm,
              cnt, x.buf, m)
    if st.shell2.shape[1]:
        m = _flip2(s, filled, st.shell2, st.n_static, rec, x.rec16, x.buf, m)
    if st.dest.shape[0]:
        m = _spread_to_sources(s, st.nbr, st.shell2, rec, x.buf, m)
    x.layer_n[st.layer[s]] += 1 if filled else -1
    _set_around(st, x, m)
    return boundary_leaves(st, x)

