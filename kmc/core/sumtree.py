"""Eight-ary sum tree over per-site rates: O(log₈ N) update and selection, one cache line per level.

Node k (0 = root) has children 8k+1 … 8k+8 and parent (k−1)//8; the P = 8^d ≥ n leaves are nodes
B … B+P−1 with B = (P−1)/7, and node k is stored at ``tree[k + 7]``, so the eight children of a
node fill one aligned 64-byte cache line. A descent reads one line per level (7 levels for 10⁶
sites, against 20 scattered reads in a binary tree), and a leaf update rewrites one parent per
level from its eight children. Parents are always recomputed from their children (never updated
by differences), so no rounding drift accumulates. ``tree_total`` is the sum of every leaf.
"""

import numpy as np
from numba import njit

ARITY = 8
_OFF = 7  # storage offset: node k lives at tree[k + _OFF]


def new_tree(n_leaves: int) -> np.ndarray:
    p = 1
    while p < max(n_leaves, 1):
        p *= ARITY
    return np.zeros(_OFF + (ARITY * p - 1) // (ARITY - 1))


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


@njit(cache=True)
def tree_set(tree, i, value):
    """Set leaf i and recompute its ancestors."""
    k = leaf_base(tree) + i
    tree[_OFF + k] = value
    while k > 0:
        k = (k - 1) // ARITY
        node_update(tree, k)


@njit(cache=True)
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


@njit(cache=True)
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
