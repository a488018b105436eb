"""Binary sum tree over per-site rates: O(log N) update and O(log N) selection.

``tree`` has length 2P with P a power of two >= n_leaves; leaf i sits at P + i, node k holds
tree[2k] + tree[2k+1], tree[1] is the total rate. Parents are recomputed from their children
(never updated by differences), so no rounding drift accumulates.
"""

import numpy as np
from numba import njit


def new_tree(n_leaves: int) -> np.ndarray:
    p = 1
    while p < max(n_leaves, 1):
        p *= 2
    return np.zeros(2 * p)


@njit
def tree_set(tree, i, value):
    p = tree.shape[0] // 2
    k = p + i
    tree[k] = value
    k //= 2
    while k >= 1:
        tree[k] = tree[2 * k] + tree[2 * k + 1]
        k //= 2


@njit
def tree_sum_parents(tree):
    """Recompute every internal node from the leaves (O(N)), after leaves were written directly."""
    for k in range(tree.shape[0] // 2 - 1, 0, -1):
        tree[k] = tree[2 * k] + tree[2 * k + 1]


@njit
def tree_rebuild(tree, leaves):
    p = tree.shape[0] // 2
    tree[p:] = 0.0
    tree[p:p + leaves.shape[0]] = leaves
    tree_sum_parents(tree)


@njit
def tree_find(tree, u):
    """Leaf index i such that the prefix sum of leaves < i is <= u < that plus leaf i.

    ``u`` is in [0, tree[1]). Returns -1 if rounding led to an empty leaf (the caller redraws).
    """
    p = tree.shape[0] // 2
    k = 1
    while k < p:
        left = tree[2 * k]
        if u < left:
            k = 2 * k
        else:
            u -= left
            k = 2 * k + 1
    if tree[k] <= 0.0:
        return -1
    return k - p
