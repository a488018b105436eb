"""The runs of one or more stores, each with its campaign point's fingerprint, and the analysis
commands' common loop over them (``mikmc network``, ``mikmc regrowth``): one JSON file of records."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kmc.cli.errors import fail


#: what an analysis's ``--set`` may change: the magnetism only (the ions are what the store holds)
MAGNETIC_SECTIONS = ("phases", "exchange", "magnet")


def check_magnetic(overrides: dict | None) -> None:
    """ValueError unless every key of ``overrides`` is in a magnetic section (:data:`MAGNETIC_SECTIONS`)."""
    for key in overrides or {}:
        if key.split(".")[0] not in MAGNETIC_SECTIONS:
            raise ValueError(f"--set {key}: only the magnetism can be changed ({', '.join(MAGNETIC_SECTIONS)}); "
                             "the N occupancy is the store's")


def rebuild_magnet(group, where: str, overrides: dict | None = None):
    """(sim, magnet) of a run group rebuilt from its recorded configuration and seed, for an analysis of
    its snapshots; ``overrides``: magnetic keys changed for the analysis (:func:`check_magnetic`).
    ValueError if the run has no snapshot or no magnetism."""
    from kmc.engine.checkpoint import rebuild

    check_magnetic(overrides)
    if "snapshots" not in group or not int(group["snapshots"].attrs.get("taken", 0)):
        raise ValueError("the run has no snapshot to analyse (written with run.snapshot_interval = \"off\"?)")
    sim = rebuild(dict(group.attrs), where, overrides)
    if not sim.processes:
        raise ValueError("the run has no magnetism (no phases/exchange plug-in)")
    return sim, sim.processes[0]


def each_run(stores, points=()):
    """Yield (where, group, point_fingerprint) for every run of ``stores`` (each replica of a campaign;
    only campaign points in ``points`` if given). ``where`` names the run (store path, plus
    ``/points/<p>/replicas/<r>`` in a campaign); the fingerprint is that of the run's campaign point
    (all its replicas, as ``mikmc report`` gives it), None for a single run. Exits with a one-line
    error on a path that is not a mikmc store."""
    import zarr

    from kmc.cli.output_path import is_mikmc_store
    from kmc.io import run_groups
    from kmc.paper.result import fingerprint

    for store in stores:
        if not is_mikmc_store(Path(store)):
            fail(f"{store}: not a mikmc store (no mikmc run or campaign metadata in {store}/zarr.json)")
        root = zarr.open_group(str(store), mode="r")
        by_point: dict[str, list[str]] = {}
        for r in run_groups(store):  # "" for a single run, else points/<p>/replicas/<r>
            by_point.setdefault(r.rsplit("/replicas/", 1)[0], []).append(r)
        prints = {p: fingerprint([root[r] for r in rs]) if p else None for p, rs in by_point.items()}
        for point, runs in by_point.items():
            if points and not (point and int(point.split("/")[1]) in points):
                continue
            for run in runs:
                yield f"{store}{'/' + run if run else ''}", (root[run] if run else root), prints[point]


def write_records(stores, points, output: Path, analyse) -> None:
    """Write ``{"records": [...]}`` to ``output``: ``analyse(group, where, point_fingerprint)`` returns
    the records (a list) of one run. A KeyError or ValueError it raises ends the command with one
    line naming the run (exit 2) before anything is written; a progress line per run on stderr."""
    from kmc.paper.result import _clean

    records = []
    runs = list(each_run(stores, points))
    for i, (where, group, point_print) in enumerate(runs):
        try:
            records += analyse(group, where, point_print)
        except (KeyError, ValueError) as exc:
            msg = str(exc.args[0] if exc.args else exc)
            fail(msg if msg.startswith(f"{where}: ") else f"{where}: {msg}")
        click.echo(f"[{i + 1}/{len(runs)}] {where}", err=True)
    output.write_text(json.dumps(_clean({"records": records}), indent=1) + "\n")
    click.echo(f"{output}: {len(records)} records")
