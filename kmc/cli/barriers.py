"""``mikmc barriers``: NEB barriers with any ASE calculator -> data file -> fitted hop plug-in (docs/barriers.md).

- ``barriers run``: one NEB per environment of a config, appended to a data file; resumable.
- ``barriers envs``: the environments (NEB tasks) of a config, and which a data file holds.
- ``barriers fit``: the local cluster expansion of a data file, for the lce hop plug-in.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from kmc.cli.errors import fail, failing

def _no_nan(obj):
    """JSON has no NaN: null instead."""
    if isinstance(obj, dict):
        return {k: _no_nan(v) for k, v in obj.items()}
    return None if isinstance(obj, float) and math.isnan(obj) else obj


@click.group()
def barriers():
    """Hop barriers from NEB with any ASE calculator, and the LCE fit the table/lce hop plug-ins use."""


@barriers.command("run")
@click.argument("config_file")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Data file to write or resume (.csv or .json). Default: <config stem>.csv")
@click.option("--limit", type=click.IntRange(1), help="Run at most N of the pending NEBs now (the rest on a rerun).")
@click.option("--mpi/--no-mpi", "use_mpi", default=None,
              help="Use MPI ranks (default: if started by mpiexec/mpirun/srun).")
@click.option("--quiet", is_flag=True, help="Only the final line.")
def run(config_file, output, limit, use_mpi, quiet):
    """One climbing-image NEB per environment of CONFIG_FILE (a TOML file or a bundled name: emt_nin).

    Results are appended to the data file as each NEB finishes; rerunning the command resumes.
    Run it as `mpiexec -n N mikmc barriers run CONFIG -o DATA.csv` or serially.
    """
    from kmc.barriers.campaign import load_config, run_campaign
    from kmc.config import ConfigError
    from kmc.campaigns.scheduler import abort_world_on_error, mpi_world

    config = load_config(config_file)
    output = output or Path(Path(config.source).stem + ".csv")
    comm = mpi_world(use_mpi)
    with abort_world_on_error(comm):
        try:
            report = run_campaign(config, output, comm=comm, limit=limit, log=(lambda m: None) if quiet else click.echo)
        except ConfigError as exc:  # raised on every rank alike (rank 0 decides, kmc.barriers.campaign)
            if comm is None or comm.Get_rank() == 0:
                fail(str(exc))
            sys.exit(2)  # the other ranks: the same exit, without the line
    if report is None:
        return
    left = report.total - report.done_before - report.completed
    click.echo(f"done: {report.completed} NEBs in {report.wall_s:.1f} s, {report.failed} failed, "
               f"{report.done_before} done before, {left} left; data in {output}")
    if report.failed and not report.completed:
        fail(f"every NEB failed; the first: {next(iter(report.errors.values()))}", status=1)


@barriers.command("envs")
@click.argument("config_file")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Data file: mark the environments it holds.")
def envs(config_file, output):
    """List the environments (NEB tasks) of CONFIG_FILE, up to symmetry."""
    from kmc.barriers import datafile
    from kmc.barriers.campaign import load_config

    config = load_config(config_file)
    done = set()
    if output is not None and output.exists():
        with failing(ValueError):
            done = datafile.read(output, allow_empty=True).tasks()
    items = config.environments()
    click.echo(f"{config.title}\n{len(items)} environments ({len(done & {e.key for e in items})} in "
               f"{output if output else 'no data file'}):")
    click.echo(f"  {'n_occ':>5s} {'n_co':>4s}  {'task (shell-metals)':20s}")
    for e in items:
        click.echo(f"  {e.n_occ:5d} {e.n_co:4d}  {e.key}{'  done' if e.key in done else ''}")


@barriers.command("fit")
@click.argument("data_file")
@click.option("--form", type=click.Choice(["kra", "barrier"]), default="kra", show_default=True,
              help="kra: detailed balance by construction; barrier: every cluster of the hop.")
@click.option("--max-order", type=click.IntRange(1, 4), default=2, show_default=True,
              help="Sites per cluster, at most.")
@click.option("--alpha", default="cv", show_default=True,
              help="Ridge parameter (dimensionless), or cv: chosen by cross-validation.")
@click.option("--folds", type=click.IntRange(2), default=5, show_default=True, help="k of k-fold cross-validation.")
@click.option("--json", "json_out", type=click.Path(path_type=Path), help="Also write the fit (ECIs, errors) as JSON.")
def fit(data_file, form, max_order, alpha, folds, json_out):
    """Fit the local cluster expansion the lce hop plug-in uses to DATA_FILE; print CV error and ECIs."""
    from kmc.barriers import datafile
    from kmc.barriers.fit import fit_lce

    if alpha != "cv":
        try:
            alpha = float(alpha)
        except ValueError:
            fail(f"--alpha {alpha!r}: a number >= 0 or cv")
    with failing(ValueError):
        data = datafile.read(data_file)
        rows = data.usable()
        result = fit_lce(rows, form=form, max_order=max_order, alpha=alpha, folds=folds)
    skipped = len(data.rows) - len(rows)
    click.echo(f"{data_file}: {len(rows)} barriers" + (f" ({skipped} unconverged skipped)" if skipped else ""))
    click.echo(result.table())
    n_occ = sorted({r.n_occ for r in rows})
    n_co = sorted({r.n_co for r in rows})
    click.echo(f"barriers by code (eV), averaged over arrangements; data spans n_occ {n_occ[0]}..{n_occ[-1]}, "
               f"n_co {n_co[0]}..{n_co[-1]}:")
    click.echo("  n_occ " + "".join(f"{'n_co=' + str(c):>9s}" for c in range(max(n_co) + 1)))
    for n in range(max(n_occ), -1, -1):
        click.echo(f"  {n:5d} " + "".join(f"{result.barrier_ev(n, c):9.3f}" for c in range(max(n_co) + 1)))
    args = "" if (form, max_order, alpha) == ("kra", 2, "cv") else (
        f", form = \"{form}\", max_order = {max_order}" + ("" if alpha == "cv" else f", alpha = {alpha}"))
    click.echo(f"use it: hops = {{ name = \"lce\", path = \"{data_file}\"{args} }}")
    if json_out is not None:
        json_out.write_text(json.dumps(_no_nan(result.as_dict()), indent=1) + "\n")
        click.echo(f"written: {json_out}")
