"""Where the moment grown at zero field comes from: grown on the ferromagnetic network, or apart.

The paper reads ΔM_R/ΔM_S as the share of the newly formed moment that exchange with the moment
already there aligns, and explains its differences between the states by new grains that do or do
not touch an aligned layer. This module measures that in a run's stored snapshots. Walking them in
order from a first snapshot (the field switched off), the metal sites that became ferromagnetic
between two snapshots are grouped into pieces connected by bonds with J > 0 among themselves; a
piece has *grown on* the network when one of its sites has a J > 0 bond to a site ferromagnetic at
both snapshots, else it *nucleated apart*. Each site keeps the origin of its last gain, or is
*residual* (ferromagnetic at every snapshot of the walk). At the last snapshot the moment
(μB) and its projection on the field axis are summed per origin and per phase.

Phases change only at the spins' couplings to the ions, so with a snapshot at every coupling
(``run.snapshot_interval`` equal to ``magnet.coupling_interval_s``) the attribution is exact. Coarser
snapshots judge each piece by the states they hold only: a piece that nucleated apart and reached the
network before the next snapshot counts as grown on it, a site lost and regained between two
snapshots as residual.

Reads or changes only the magnet it is given (one rebuilt for the analysis: observation must not
perturb a trajectory).
"""

from __future__ import annotations

import numpy as np

from kmc.core.jit import njit
from kmc.model.ferro_network import restore_snapshot

#: origin codes of a metal site at the end of a walk
NONE, RESIDUAL, GROWN_ON, APART = 0, 1, 2, 3
ORIGINS = {RESIDUAL: "residual", GROWN_ON: "grown_on", APART: "apart"}


@njit(cache=True)
def grown_on_network(gained, old, nbr, jb):
    """For each metal site: True if it is in ``gained`` and connected to a site of ``old`` through
    bonds with J > 0 whose every other site is in ``gained`` (a multi-source breadth-first search
    from the gained sites that touch ``old``). ``gained``, ``old``: bool per site; ``nbr``: -1
    padded neighbour table; ``jb``: J of each bond (eV)."""
    n = nbr.shape[0]
    reached = np.zeros(n, dtype=np.bool_)
    queue = np.empty(n, dtype=np.int64)
    w = 0
    for i in range(n):
        if not gained[i]:
            continue
        for m in range(nbr.shape[1]):
            j = nbr[i, m]
            if j < 0:
                break
            if jb[i, m] > 0.0 and old[j]:
                reached[i] = True
                queue[w] = i
                w += 1
                break
    r = 0
    while r < w:
        i = queue[r]
        r += 1
        for m in range(nbr.shape[1]):
            j = nbr[i, m]
            if j < 0:
                break
            if jb[i, m] > 0.0 and gained[j] and not reached[j]:
                reached[j] = True
                queue[w] = j
                w += 1
    return reached


def walk(magnet, snapshots) -> np.ndarray:
    """Origin code of every metal site at the last of ``snapshots`` (an iterable of
    :func:`kmc.storage.snapshots.read_state` dicts, in time order; the magnet is left in the
    last). Sites not ferromagnetic at the end have :data:`NONE`."""
    origin = None
    ferro_prev = None
    for snap in snapshots:
        restore_snapshot(magnet, snap)
        ferro = magnet.is_ferro.copy()
        if origin is None:
            origin = np.where(ferro, RESIDUAL, NONE).astype(np.int8)
        else:
            gained = ferro & ~ferro_prev
            on = grown_on_network(gained, ferro & ferro_prev, magnet.nbr, magnet.jb)
            origin[gained] = np.where(on[gained], GROWN_ON, APART)
            origin[~ferro] = NONE
        ferro_prev = ferro
    if origin is None:
        raise ValueError("no snapshot to walk")
    return origin


def origin_summary(magnet, origin: np.ndarray, n_blocks: int = 10) -> dict:
    """Moment and alignment per origin, per phase and per depth block within each, in the magnet's
    current state.

    Returns ``{origin name: {"moment_mub", "projection_mub", "sites", "height_nm", "block_moment_mub",
    "block_projection_mub", "phases": {phase name: {"moment_mub", "projection_mub"}}}}``: the moment
    Σμ_i (μB) of the sites of that origin, its projection Σμ_i s_i·e on the field axis (μB), its
    moment-weighted mean height above the electrode (nm; NaN without moment), both sums in
    ``n_blocks`` equal depth blocks (bottom first), and the sums per ferromagnetic phase."""
    mu = magnet.mu
    proj = magnet.projection() * mu
    layer_z = np.asarray(magnet.lattice.layer_z, dtype=np.float64)
    height = (layer_z[magnet.layer] - layer_z.min()) / 10.0  # Å -> nm
    block = np.minimum(magnet.layer * n_blocks // max(magnet.n_layers, 1), n_blocks - 1)
    out = {}
    for code, name in ORIGINS.items():
        sel = origin == code
        phases = {}
        for p, pname in enumerate(magnet.tables.names):
            if not magnet.tables.ferromagnetic[p]:
                continue
            sp = sel & (magnet.phase == p)
            phases[pname] = {"moment_mub": float(mu[sp].sum()), "projection_mub": float(proj[sp].sum())}
        m = float(mu[sel].sum())
        out[name] = {"moment_mub": m, "projection_mub": float(proj[sel].sum()), "sites": int(sel.sum()),
                     "height_nm": float((mu * height)[sel].sum()) / m if m > 0 else float("nan"),
                     "block_moment_mub": np.bincount(block[sel], mu[sel], n_blocks).tolist(),
                     "block_projection_mub": np.bincount(block[sel], proj[sel], n_blocks).tolist(),
                     "phases": phases}
    return out
