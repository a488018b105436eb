"""``mikmc regrowth``: where the moment grown after the field was switched off comes from.

For every run of the stores, the run is rebuilt from its recorded configuration and seed, and its
snapshots from the field's switch-off to the end are walked in order (:mod:`kmc.model.regrowth`):
each metal site that turned ferromagnetic is counted as grown on the network or nucleated apart,
and at the end the moment and its alignment are summed per origin and phase. One JSON record per
run; ``python -m kmc.publish.regrowth_doc FILE`` turns them into the table of docs/paper.md.
"""

from __future__ import annotations

from pathlib import Path

import click


def field_off_time(segments) -> float:
    """Start (s) of the first zero-field segment that follows a segment under field; ValueError if
    the protocol never switches its field off."""
    for prev, seg in zip(segments, segments[1:]):
        if prev["field_oe"] != 0 and seg["field_oe"] == 0:
            return float(seg["start_s"])
    raise ValueError("the protocol never switches its field off: there is no regrowth at zero field to trace "
                     "(in a campaign, choose the zero-field points with --point)")


def analyse_run(group, where: str, point_fingerprint: str | None = None, overrides: dict | None = None) -> dict:
    """The record of one run group: origins of the moment at its last snapshot, from the field-off one.
    ``overrides``: magnetic config keys changed for the analysis (``--set``); the stored spins evolved
    under the run's own magnetism, so only the origins, phases and heights then mean what they say."""
    import numpy as np

    from kmc.cli.store_runs import rebuild_magnet
    from kmc.model.regrowth import origin_summary, walk
    from kmc.paper.protocols import identify_state
    from kmc.paper.result import fingerprint
    from kmc.storage.snapshots import read_state, snapshot_at

    attrs = dict(group.attrs)
    sim, magnet = rebuild_magnet(group, where, overrides)
    t_off = field_off_time(attrs["segments"])
    first = snapshot_at(group, t_off)
    taken = int(group["snapshots"].attrs["taken"])
    times = np.asarray(group["snapshots/time"][first:taken], dtype=np.float64)
    if abs(times[0] - t_off) > 1e-6 * max(t_off, 1.0):
        raise ValueError(f"no snapshot at the field's switch-off (t = {t_off:g} s; the last before it at "
                         f"{times[0]:g} s)")
    origin = walk(magnet, (read_state(group, k) for k in range(first, taken)))
    state, relax = identify_state(attrs)
    gap = float(np.diff(times).max()) if len(times) > 1 else 0.0
    return {"store": where, "fingerprint": fingerprint([group]), "point_fingerprint": point_fingerprint,
            "overrides": overrides or {},
            "seed": attrs.get("seed"), "spawn_key": attrs.get("spawn_key"),
            "state": state, "relax": relax, "field_off_s": t_off, "end_s": float(times[-1]),
            "snapshots": int(len(times)), "largest_gap_s": gap,
            "coupling_interval_s": float(magnet.coupling_interval_s),
            "thickness_nm": float(sim.lattice.thickness_nm),
            "exact": bool(gap <= magnet.coupling_interval_s * (1 + 1e-9)),
            "ms_emu_cm3": magnet.saturation_emu_cm3(), "mr_emu_cm3": magnet.magnetization_emu_cm3(),
            "origins": origin_summary(magnet, origin)}


@click.command()
@click.argument("stores", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="JSON file to write.")
@click.option("--point", "points", type=int, multiple=True,
              help="Only these campaign points (repeat the option; default: every run).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Change a magnetic config key (phases., exchange., magnet.) for the analysis: which sites are "
                   "ferromagnetic and their moments (the stored spins keep their run's alignment).")
def regrowth(stores, output, points, sets):
    """Where the moment of run STORES grown after the field's switch-off comes from (kmc.model.regrowth)."""
    from kmc.cli.run import _parse_set
    from kmc.cli.store_runs import write_records

    overrides = _parse_set(sets)
    write_records(stores, points, output,
                  lambda group, where, point_print: [analyse_run(group, where, point_print, overrides)])
