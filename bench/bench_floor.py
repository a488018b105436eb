"""The floor of this machine: a bare n-fold-way kernel next to the engine, in the same process.

The engine's speed targets (issue #13) are absolute events/s, but this VM's speed varies up to 2x
between sessions. This script measures, in one run, the engine (:class:`kmc.model.ions.IonSystem`)
and a bare kernel of the same algorithm that does nothing else: fcc box, 10 % vacancies, one hop
rate, an eight-ary sum tree over sites, a vacant-neighbour count per site, no layers, no field, no
boundary, no displacements. What the engine costs beyond the bare kernel is its features; what the
bare kernel costs is the machine. Both are compiled as :data:`kmc.core.jit.kernel`.

A third column runs the same bare model with another exact selection, composition over rate classes
(Slepoy, Thompson & Plimpton, J. Chem. Phys. 128, 205101 (2008), the method of SPPARKS): an ion's
rate is its number g of vacant neighbours, so the ions of each g form one list, a class is drawn
with probability g·(its size)/total and a member uniformly; no tree. It asks whether the loss of
speed at 10⁶ sites belongs to the sum tree or to any exact selection on this machine.

Run:  python bench/bench_floor.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench_kmc import events_per_s  # this directory
from kmc.core.jit import kernel
from kmc.core.rng import new_state, uniform, uniform_pos
from kmc.core.sumtree import (ARITY, leaf_base, leaf_get, leaf_put, new_tree, node_mark, tree_find, tree_rebuild,
                              tree_total, update_marked)
from kmc.lattices.cubic import CubicTestLattice
from kmc.model.ions import FieldModel, IonSystem
from kmc.plugins.boundary.closed import Closed
from kmc.plugins.hops.arrhenius import ArrheniusHop


@kernel
def _hop(nbr, occ, nvac, s, k):
    """Move the ion at s to its k-th neighbour d (vacant); update the vacant-neighbour counts; return d."""
    d = np.int64(nbr[s, k])
    occ[s] = 0
    occ[d] = 1
    for k in range(nbr.shape[1]):
        nvac[nbr[s, k]] += 1
        nvac[nbr[d, k]] -= 1
    return d


@kernel
def _bare_chunk(nbr, occ, nvac, tree, buf, rng, n_events):
    """n_events hops of the bare kernel (rate of an ion: its number of vacant neighbours, Hz)."""
    z = nbr.shape[1]
    lb = leaf_base(tree)
    t = 0.0
    for _ in range(n_events):
        total = tree_total(tree)
        t -= np.log(uniform_pos(rng)) / total
        s = tree_find(tree, uniform(rng) * total)
        while s < 0:
            s = tree_find(tree, uniform(rng) * total)
        u = uniform(rng) * leaf_get(tree, s)
        k_pick = -1
        for k in range(z):
            if occ[nbr[s, k]] == 0:
                k_pick = k
                u -= 1.0
                if u < 0.0:
                    break
        d = _hop(nbr, occ, nvac, s, k_pick)
        m = 0
        for a in (s, d):
            buf[m] = a
            m += 1
            for k in range(z):
                v = nbr[a, k]
                if occ[v]:
                    buf[m] = v
                    m += 1
        w = 0
        for i in range(m):
            v = buf[i]
            leaf_put(tree, v, float(occ[v] * nvac[v]))
            p = (lb + v - 1) // ARITY
            if node_mark(tree, p):
                buf[w] = p
                w += 1
        update_marked(tree, buf, w)
    return t


@kernel
def _reclass(v, cls, occ, nvac, members, count, pos):
    """Move site v to the list of its present rate class occ·nvac (class 0: in no list)."""
    new = occ[v] * nvac[v]
    old = cls[v]
    if new == old:
        return
    if old > 0:
        last = members[old, count[old] - 1]
        members[old, pos[v]] = last
        pos[last] = pos[v]
        count[old] -= 1
    if new > 0:
        members[new, count[new]] = v
        pos[v] = count[new]
        count[new] += 1
    cls[v] = new


@kernel
def _cr_chunk(nbr, occ, nvac, cls, members, count, pos, rng, n_events):
    """n_events hops of the bare model, selected by composition over the rate classes g = 1..z."""
    z = nbr.shape[1]
    t = 0.0
    for _ in range(n_events):
        total = 0.0
        for g in range(1, z + 1):
            total += g * count[g]
        t -= np.log(uniform_pos(rng)) / total
        u = uniform(rng) * total
        g_pick = 0
        for g in range(1, z + 1):
            if count[g] > 0:
                g_pick = g
                if u < g * count[g]:
                    break
                u -= g * count[g]
        k = min(int(u / g_pick), count[g_pick] - 1)
        s = np.int64(members[g_pick, k])
        m = int(uniform(rng) * g_pick)
        k_pick = -1
        for k in range(z):
            if occ[nbr[s, k]] == 0:
                k_pick = k
                if m == 0:
                    break
                m -= 1
        d = _hop(nbr, occ, nvac, s, k_pick)
        for a in (s, d):
            _reclass(a, cls, occ, nvac, members, count, pos)
            for k in range(z):
                _reclass(np.int64(nbr[a, k]), cls, occ, nvac, members, count, pos)
    return t


def cr_events_per_s(nbr: np.ndarray, occ: np.ndarray, n_events: int) -> float:
    occ = occ.copy()
    z = nbr.shape[1]
    nvac = (occ[nbr] == 0).sum(axis=1).astype(np.int8)
    cls = np.zeros(len(occ), dtype=np.int8)
    members = np.zeros((z + 1, len(occ)), dtype=np.int32)
    count = np.zeros(z + 1, dtype=np.int64)
    pos = np.zeros(len(occ), dtype=np.int32)
    for v in range(len(occ)):  # Python once per size: fine for a benchmark
        _reclass(v, cls, occ, nvac, members, count, pos)
    rng = new_state(0)
    _cr_chunk(nbr, occ, nvac, cls, members, count, pos, rng, 1000)  # compile / warm up
    t0 = time.perf_counter()
    _cr_chunk(nbr, occ, nvac, cls, members, count, pos, rng, n_events)
    rate = n_events / (time.perf_counter() - t0)
    # the bookkeeping is still exact: every ion in the list of its rate class, once
    assert np.array_equal(cls, occ * (occ[nbr] == 0).sum(axis=1))
    assert all(np.array_equal(np.sort(members[g, :count[g]]), np.flatnonzero(cls == g)) for g in range(1, z + 1))
    assert all(np.all(pos[members[g, :count[g]]] == np.arange(count[g])) for g in range(1, z + 1))
    return rate


def bare_events_per_s(nbr: np.ndarray, occ: np.ndarray, n_events: int) -> float:
    occ = occ.copy()
    nvac = (occ[nbr] == 0).sum(axis=1).astype(np.int8)
    tree = new_tree(len(occ))
    tree_rebuild(tree, (occ * nvac).astype(np.float64))
    rng = new_state(0)
    buf = np.empty(2 * nbr.shape[1] + 2, dtype=np.int64)
    _bare_chunk(nbr, occ, nvac, tree, buf, rng, 1000)  # compile / warm up
    t0 = time.perf_counter()
    _bare_chunk(nbr, occ, nvac, tree, buf, rng, n_events)
    return n_events / (time.perf_counter() - t0)


def engine_events_per_s(lat, occ: np.ndarray, n_events: int) -> float:
    ions = IonSystem(lat, ArrheniusHop().build(lat, 300.0), Closed().build(lat, 300.0), 300.0, FieldModel(), 1,
                     occupancy=occ)
    return events_per_s(ions, n_events)


def main(sizes, n_events=1_000_000, rounds=3):
    print(f"{'sites':>10s} {'bare ev/s':>11s} {'engine ev/s':>12s} {'engine/bare':>12s} {'bare CR ev/s':>13s}"
          f"   (best of {rounds} each)")
    out = {}
    for cells in sizes:
        lat = CubicTestLattice("fcc", (cells, cells, cells), 4.24, periodic_z=True).build(0)
        occ = (np.random.default_rng(0).random(lat.n_sites) > 0.1).astype(np.int8)
        nbr = np.ascontiguousarray(lat.hop_nbr, dtype=np.int32)
        bare = max(bare_events_per_s(nbr, occ, n_events) for _ in range(rounds))
        eng = max(engine_events_per_s(lat, occ, n_events) for _ in range(rounds))
        cr = max(cr_events_per_s(nbr, occ, n_events) for _ in range(rounds))
        out[lat.n_sites] = (bare, eng, cr)
        print(f"{lat.n_sites:10d} {bare:11.3g} {eng:12.3g} {eng / bare:12.2f} {cr:13.3g}")
    small, large = min(out), max(out)
    for i, name in enumerate(("bare", "engine", "bare CR")):
        print(f"{name}: rate at {large:,} sites / rate at {small:,} sites = {out[large][i] / out[small][i]:.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="two small sizes")
    args = ap.parse_args()
    main([3, 8] if args.quick else [4, 8, 16, 32, 63])
