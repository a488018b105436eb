"""The ferromagnetic network of a state, and how much order it holds at a temperature.

In the simulated cells every finite exchange-connected cluster is superparamagnetic (its Néel–Brown
barrier is far below kT·ln(f₀t), docs/magnetism.md), so a remanence can only be held by clusters
that span the periodic cell. Whether such a network holds a direction then depends on its own
thermal order: a network of diluted, weakly coupled moments near or above its ordering temperature
keeps little magnetisation at zero field however large it is. Two measures, on a
:class:`kmc.model.magnet.Magnet` whose phases are those of the state:

* :func:`network_summary`: ferromagnetic sites, the moment's share per phase, the clusters and the
  share of the moment in clusters that span the cell;
* :func:`order_retained`: all spins set along the field axis, zero field, then Metropolis sweeps at a
  temperature with the run's exchange plug-in: |M|/M_S and the projection M·e/M_S of the spanning
  network after each of a list of sweep counts, and |M|/M_S per depth block at the last. An ordered
  ferromagnet keeps its thermal M(T)/M_S; a network at or above its ordering temperature loses it.

Both read or change only the magnet they are given (a magnet rebuilt for the analysis, never the
one of a running simulation: observation must not perturb a trajectory).
"""

from __future__ import annotations

import numpy as np

from kmc.core.rng import new_state
from kmc.units import K_B_EV


def restore_snapshot(magnet, snap: dict) -> None:
    """Put a stored snapshot (kmc.storage.snapshots.read_state or read_snapshot) into ``magnet``: phases
    recomputed from its N occupancy, which must equal the stored phases (ValueError otherwise), and its
    spins."""
    magnet.update_phases(snap["occupancy"])
    if not np.array_equal(magnet.phase, snap["phase"]):
        raise ValueError(f"snapshot {snap['index']}: the phases recomputed from its N occupancy differ from "
                         "the stored ones (another phase plug-in or mikmc version?)")
    magnet.spins[:] = snap["spin"] if magnet.model.vector else snap["spin"].astype(np.int8)


def spanning_sites(magnet) -> np.ndarray:
    """Metal sites of the clusters that span the periodic cell (int64, sorted)."""
    n_clusters = len(magnet.ptr) - 1
    parts = [magnet.members[magnet.ptr[c]:magnet.ptr[c + 1]] for c in range(n_clusters) if magnet.wraps[c]]
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def network_summary(magnet) -> dict:
    """Ferromagnetic sites and moment shares of the magnet's current phases.

    Returns a dict: ``ferro_sites`` (ferromagnetic sites with a moment), ``metal_sites``,
    ``ms_emu_cm3`` (M_S, :meth:`Magnet.saturation_emu_cm3`), ``moment_share`` (phase name -> share
    of M_S, ferromagnetic phases only), ``clusters`` (with a moment), ``largest_share`` (of M_S, the
    largest cluster) and ``spanning_share`` (of M_S, in clusters that span the cell); shares are 0
    without moment."""
    mu = magnet.mu
    total = float(mu.sum())
    names = magnet.tables.names
    ferro = magnet.tables.ferromagnetic
    share = {names[p]: (float(mu[magnet.phase == p].sum()) / total if total > 0 else 0.0)
             for p in range(len(names)) if ferro[p]}
    sizes = [float(mu[magnet.members[magnet.ptr[c]:magnet.ptr[c + 1]]].sum()) for c in range(len(magnet.ptr) - 1)]
    span = float(mu[spanning_sites(magnet)].sum())
    return {"ferro_sites": int((mu[magnet.active] > 0).sum()), "metal_sites": int(magnet.n_host),
            "ms_emu_cm3": magnet.saturation_emu_cm3(), "moment_share": share,
            "clusters": sum(1 for m in sizes if m > 0),
            "largest_share": max(sizes, default=0.0) / total if total > 0 else 0.0,
            "spanning_share": span / total if total > 0 else 0.0}


def spanning_alignment(magnet) -> float:
    """M·e/M_S of the spanning network in the magnet's current spins; NaN if nothing spans the cell."""
    sites = spanning_sites(magnet)
    mu = float(magnet.mu[sites].sum())
    proj = magnet.spins[sites] @ magnet.axis if magnet.model.vector else magnet.spins[sites].astype(np.float64)
    return float(proj @ magnet.mu[sites]) / mu if mu > 0 else float("nan")


def moment_vector(magnet, sites: np.ndarray) -> np.ndarray:
    """Σ μ_i s_i over ``sites`` (μB), as a 3-vector (Ising spins along the axis)."""
    mu = magnet.mu[sites]
    if magnet.model.vector:
        return (magnet.spins[sites] * mu[:, None]).sum(axis=0)
    return magnet.axis * float((magnet.spins[sites].astype(np.float64) * mu).sum())


def order_retained(magnet, temperature_k: float, sweeps=(500, 1000, 2000, 4000), n_blocks: int = 10,
                   seed: int = 0) -> dict:
    """Order the spanning network keeps after Metropolis sweeps at ``temperature_k`` (K), zero field,
    from every ferromagnetic spin along the field axis.

    ``sweeps``: increasing cumulative sweep counts at which to measure (one attempt per ferromagnetic
    site each). Returns ``sweeps``, ``order`` (|M|/M_S of the spanning network after each),
    ``alignment`` (M·e/M_S, the part still along the axis), ``block_order`` (|M|/M_S per depth block of
    the film at the last count, bottom first; NaN where a block has no spanning moment) and
    ``spanning_share``. Order and alignment are NaN when no cluster spans the cell. The magnet's
    spins, field, temperature and random stream are changed."""
    counts = [float(s) for s in sweeps]
    if not counts or any(b <= a for a, b in zip(counts, counts[1:])) or counts[0] <= 0:
        raise ValueError(f"sweeps must be increasing positive counts, got {list(sweeps)}")
    if not temperature_k > 0:
        raise ValueError(f"temperature_k must be > 0 K, got {temperature_k}")
    sites = spanning_sites(magnet)
    mu_total = float(magnet.mu[sites].sum())
    magnet.rng = new_state(seed)
    magnet.set_field(0.0)
    magnet.kt_ev = K_B_EV * float(temperature_k)
    magnet.spins[magnet.active] = magnet.axis if magnet.model.vector else 1
    order, alignment, done = [], [], 0.0
    for n in counts:
        magnet.relax(n - done)
        done = n
        m = moment_vector(magnet, sites)
        order.append(float(np.linalg.norm(m)) / mu_total if mu_total > 0 else float("nan"))
        alignment.append(float(m @ magnet.axis) / mu_total if mu_total > 0 else float("nan"))
    block = np.minimum(magnet.layer[sites] * n_blocks // max(magnet.n_layers, 1), n_blocks - 1)
    block_order = []
    for b in range(n_blocks):
        in_b = sites[block == b]
        mu_b = float(magnet.mu[in_b].sum())
        block_order.append(float(np.linalg.norm(moment_vector(magnet, in_b))) / mu_b if mu_b > 0 else float("nan"))
    return {"temperature_k": float(temperature_k), "sweeps": counts, "order": order, "alignment": alignment,
            "block_order": block_order,
            "spanning_share": mu_total / float(magnet.mu.sum()) if mu_total > 0 else 0.0}
