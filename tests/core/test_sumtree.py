import numpy as np
import pytest

from kmc.core.sumtree import new_tree, tree_find, tree_rebuild, tree_set, tree_total


def test_sums_and_updates_match_numpy():
    rng = np.random.default_rng(3)
    leaves = rng.random(37)
    tree = new_tree(37)
    tree_rebuild(tree, leaves)
    assert np.isclose(tree_total(tree), leaves.sum())
    for _ in range(100):
        i = int(rng.integers(37))
        leaves[i] = rng.random() * (rng.random() > 0.3)
        tree_set(tree, i, leaves[i])
    assert np.isclose(tree_total(tree), leaves.sum(), rtol=1e-14)


def test_find_returns_leaf_of_prefix_sum():
    leaves = np.array([0.5, 0.0, 2.0, 1.0, 0.0, 0.25])
    tree = new_tree(len(leaves))
    tree_rebuild(tree, leaves)
    edges = np.concatenate([[0], np.cumsum(leaves)])
    for u in np.linspace(0, leaves.sum(), 200, endpoint=False):
        i = tree_find(tree, u)
        assert edges[i] <= u < edges[i + 1]
        assert leaves[i] > 0


def test_selection_frequencies_are_proportional_to_rates():
    rng = np.random.default_rng(5)
    leaves = rng.random(10)
    tree = new_tree(10)
    tree_rebuild(tree, leaves)
    n = 200_000
    picks = np.array([tree_find(tree, u) for u in rng.random(n) * tree_total(tree)])
    counts = np.bincount(picks, minlength=10)
    expected = n * leaves / leaves.sum()
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 33.7  # 99.99 % quantile of chi² with 9 degrees of freedom


def test_marked_batch_update_equals_full_recompute_bit_for_bit():
    """set leaves, mark their parents once (duplicates in any order), update_marked: the same tree
    as recomputing every parent (so event order of leaf updates never changes the trajectory)."""
    from numba import njit

    from kmc.core.sumtree import ARITY, leaf_base, leaf_put, node_mark, tree_sum_parents, update_marked

    @njit
    def batch(tree, sites, values, buf):
        lb = leaf_base(tree)
        w = 0
        for i in range(sites.shape[0]):
            leaf_put(tree, sites[i], values[i])
            if node_mark(tree, (lb + sites[i] - 1) // ARITY):
                buf[w] = (lb + sites[i] - 1) // ARITY
                w += 1
        update_marked(tree, buf, w)

    rng = np.random.default_rng(7)
    n = 5000
    leaves = rng.random(n)
    tree = new_tree(n)
    tree_rebuild(tree, leaves)
    buf = np.empty(64, dtype=np.int64)
    for _ in range(200):
        sites = rng.integers(0, n, 30)  # duplicates and random order
        values = rng.random(30) * (rng.random(30) > 0.2)
        batch(tree, sites, values, buf)
        leaves[sites] = values  # last write wins, as in the tree
        ref = tree.copy()
        tree_sum_parents(ref)
        assert np.array_equal(tree, ref)  # no NaN marks left, every ancestor exact
    assert tree_total(tree) == pytest.approx(leaves.sum(), rel=1e-12)
