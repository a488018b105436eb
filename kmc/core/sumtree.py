"""Eight-ary sum tree over per-site rates: O(log₈ N) update and selection, one cache line per level.

Node k (0 = root) has children 8k+1 … 8k+8 and parent (k−1)//8; the P = 8^d ≥ n leaves are nodes
B … B+P−1 with B = (P−1)/7, and node k is stored at ``tree[k + 7]``, so the eight children of a
node fill one aligned 64-byte cache line. A descent reads one line per level (7 levels for 10⁶
sites, against 20 scattered reads in a binary tree), and a leaf update rewrites one parent per
level from its eight children. Parents are always recomputed from their children (never updated
by differences), so no rounding drift accumulates. ``tree_total`` is the sum of every leaf.

Batched updates (many leaves per event): write the leaves, mark each parent once with
:func:`node_mark` (a NaN in the node itself, which is about to be recomputed: no extra array and
no extra cache line), then :func:`update_marked` recomputes the marked nodes level by level. Every
leaf sits on the same level (the tree is complete), so a node is always recomputed after all its
changed children, whatever the order of the leaves; the result equals :func:`tree_sum_parents`.
"""

import numpy as np
from llvmlite import ir
from numba import config, njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from kmc.core.jit import kernel

ARITY = 8
_OFF = 7  # storage offset: node k lives at tree[k + _OFF]


def new_tree(n_leaves: int) -> np.ndarray:
    p = 1
    while p < max(n_leaves, 1):
        p *= ARITY
    return np.zeros(_OFF + (ARITY * p - 1) // (ARITY - 1))


def _prefetch_py(arr, i):
    """Pure-Python stand-in (NUMBA_DISABLE_JIT=1): a hint only, nothing to do."""


@intrinsic
def _prefetch_intrinsic(typingctx, arr, i):
    """Emit ``llvm.prefetch`` (read, keep in all cache levels) for element i of a C-contiguous array
    (i: flat index). A hint: no effect on results, never faults."""
    if not isinstance(arr, types.Array) or not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        aryty, idxty = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = builder.gep(ary.data, [context.cast(builder, args[1], idxty, types.intp)])
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, cgutils.voidptr_t), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(arr, i), codegen


#: ``prefetch(arr, flat_index)``: ask for the cache line of an element ahead of its use, so the
#: misses of one event overlap instead of following each other (large films: memory latency)
prefetch = _prefetch_py if config.DISABLE_JIT else _prefetch_intrinsic


@njit(cache=True, inline="always")
def leaf_base(tree):
    """Node index of leaf 0."""
    p = ((ARITY - 1) * (tree.shape[0] - _OFF) + 1) // ARITY
    return (p - 1) // (ARITY - 1)


@njit(cache=True, inline="always")
def tree_total(tree):
    """Sum of all leaves (the root)."""
    return tree[_OFF]


@njit(cache=True, inline="always")
def leaf_get(tree, i):
    return tree[_OFF + leaf_base(tree) + i]


@njit(cache=True, inline="always")
def leaf_put(tree, i, value):
    """Write leaf i without touching its ancestors (follow with node updates or tree_sum_parents)."""
    tree[_OFF + leaf_base(tree) + i] = value


@njit(cache=True, inline="always")
def node_update(tree, k):
    """Recompute node k (an internal node) from its children."""
    c = _OFF + ARITY * k + 1
    tree[_OFF + k] = (tree[c] + tree[c + 1] + tree[c + 2] + tree[c + 3]) + \
        (tree[c + 4] + tree[c + 5] + tree[c + 6] + tree[c + 7])


@njit(cache=True, inline="always")
def node_mark(tree, k):
    """Mark node k as to be recomputed; True the first time (until it is recomputed)."""
    v = tree[_OFF + k]
    if v != v:
        return False
    tree[_OFF + k] = np.nan
    return True


@njit(cache=True, inline="always")
def update_marked(tree, nodes, w):
    """Recompute the marked nodes ``nodes[:w]`` (all on one level, each listed once) and then their
    ancestors, each once, level by level up to the root. ``nodes`` is overwritten (scratch)."""
    while w > 0:
        nw = 0
        for i in range(w):
            k = nodes[i]
            node_update(tree, k)
            if k > 0:
                p = (k - 1) // ARITY
                if node_mark(tree, p):
                    nodes[nw] = p
                    nw += 1
        w = nw


@kernel
def tree_set(tree, i, value):
    """Set leaf i and recompute its ancestors."""
    k = leaf_base(tree) + i
    tree[_OFF + k] = value
    while k > 0:
        k = (k - 1) // ARITY
        node_update(tree, k)


@kernel
def tree_sum_parents(tree):
    """Recompute every internal node from the leaves (O(N)), after leaves were written directly."""
    for k in range(leaf_base(tree) - 1, -1, -1):
        node_update(tree, k)


@njit(cache=True)
def tree_rebuild(tree, leaves):
    base = leaf_base(tree)
    tree[_OFF + base:] = 0.0
    tree[_OFF + base:_OFF + base + leaves.shape[0]] = leaves
    tree_sum_parents(tree)


@njit(cache=True, inline="always")
def tree_find(tree, u):
    """Leaf index i such that the prefix sum of leaves < i is <= u < that plus leaf i.

    ``u`` is in [0, tree_total). Returns -1 if rounding led to an empty leaf (the caller redraws).
    """
    base = leaf_base(tree)
    k = 0
    while k < base:
        c = ARITY * k + 1
        j = 0
        while j < ARITY - 1:
            w = tree[_OFF + c + j]
            if u < w:
                break
            u -= w
            j += 1
        k = c + j
    if tree[_OFF + k] <= 0.0:
        return -1
    return k - base
