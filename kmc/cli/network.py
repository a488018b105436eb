"""``mikmc network``: the ferromagnetic network of each run's snapshots and the order it keeps.

For every run of the stores (each replica of a campaign), the run is rebuilt from its recorded
configuration and seed (the lattice and its Co/Fe arrangement are those of the run), the phases of
chosen snapshots are recomputed from their stored N occupancy, and :mod:`kmc.model.ferro_network`
measures the network (moment per phase, spanning share) and the order its spanning part keeps
from an aligned start at zero field. The stored spins give the alignment the run itself had there.
``--set`` changes the magnetism for the analysis only (phase, exchange or magnet keys: e.g. a phase
made paramagnetic); the N occupancy is always the store's. Writes one JSON record per run and
snapshot; ``python -m kmc.publish.network_doc FILE`` turns it into the table of docs/paper.md.
"""

from __future__ import annotations

from pathlib import Path

import click

from kmc.cli.errors import fail


def _snapshot_label(sim, time_s: float) -> str:
    """Label of the segment a snapshot closes ('start' for t = 0)."""
    ends = sim.segment_starts[1:]
    for i, t_end in enumerate(ends):
        if abs(t_end - time_s) < 1e-6 * max(t_end, 1.0):
            return sim.config.segments[i].label or f"segment {i}"
    return "start" if time_s == 0 else f"t = {time_s:.0f} s"


def analyse_run(group, where: str, snapshots, temperatures, sweeps, point_fingerprint: str | None = None,
                overrides: dict | None = None) -> list[dict]:
    """Records (dicts) of one run group: per snapshot, the network and its order at each temperature.
    ``point_fingerprint``: that of the run's campaign point (all its replicas), as ``mikmc report`` gives it;
    ``overrides``: magnetic config keys changed for the analysis (``--set``)."""
    from kmc.cli.store_runs import rebuild_magnet
    from kmc.model.ferro_network import network_summary, order_retained, restore_snapshot, spanning_alignment
    from kmc.paper.protocols import identify_state
    from kmc.paper.result import fingerprint
    from kmc.storage.snapshots import read_state

    sim, magnet = rebuild_magnet(group, where, overrides)
    state, relax = identify_state(dict(group.attrs))
    out = []
    for k in snapshots:
        snap = read_state(group, k)
        restore_snapshot(magnet, snap)
        rec = {"store": where, "fingerprint": fingerprint([group]), "point_fingerprint": point_fingerprint,
               "overrides": overrides or {}, "state": state, "relax": relax,
               "snapshot": snap["index"], "time_s": snap["time_s"], "label": _snapshot_label(sim, snap["time_s"]),
               "temperature_run_k": sim.config.temperature_k, **network_summary(magnet),
               "stored_alignment": spanning_alignment(magnet), "order": []}
        for t in temperatures or [sim.config.temperature_k]:
            rec["order"].append(order_retained(magnet, t, sweeps, seed=int(snap["index"])))
        out.append(rec)
    return out


@click.command()
@click.argument("stores", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="JSON file to write.")
@click.option("--snapshot", "snapshots", type=int, multiple=True, default=(2, -1), show_default=True,
              help="Snapshot indices (negative: from the end); repeat the option for several. With the default "
                   "snapshot interval, snapshot k closes segment k (2: the paper's field-on relaxation).")
@click.option("--temperature", "temperatures", type=click.FloatRange(min=0, min_open=True), multiple=True,
              help="Temperature of the order test (K); repeat for several. Default: the run's.")
@click.option("--point", "points", type=int, multiple=True,
              help="Only these campaign points (repeat the option; default: every run).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Change a magnetic config key (phases., exchange., magnet.) for the analysis.")
@click.option("--sweeps", default="500,1000,2000,4000", show_default=True,
              help="Cumulative Metropolis sweeps at which the order is measured (comma-separated).")
def network(stores, output, snapshots, temperatures, points, sets, sweeps):
    """The ferromagnetic network of run STORES' snapshots and the order it keeps (kmc.model.ferro_network)."""
    from kmc.cli.run import _parse_set
    from kmc.cli.store_runs import write_records

    overrides = _parse_set(sets)
    try:
        counts = [float(s) for s in sweeps.split(",")]
    except ValueError:
        fail(f"--sweeps {sweeps!r}: give comma-separated numbers, e.g. 500,1000,2000")
    write_records(stores, points, output, lambda group, where, point_print: analyse_run(
        group, where, snapshots, list(temperatures), counts, point_print, overrides))
