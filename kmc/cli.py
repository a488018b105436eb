"""The ``mikmc`` command line: run, info, plugins, protocols."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    # one engine per process (per MPI rank): BLAS threads would only oversubscribe the cores
    os.environ.setdefault(_var, "1")

import click  # noqa: E402

from kmc.config import ConfigError  # noqa: E402


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _parse_set(values: tuple[str, ...]) -> dict:
    import tomllib

    out = {}
    for item in values:
        if "=" not in item:
            _fail(f"--set {item!r}: expected KEY=VALUE, e.g. hops.barrier_ev=0.6")
        key, raw = item.split("=", 1)
        try:
            out[key.strip()] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = raw
    return out


def _new_store_path(stem: str) -> Path:
    path = Path(f"{stem}.zarr")
    k = 1
    while path.exists():
        path = Path(f"{stem}-{k}.zarr")
        k += 1
    return path


@click.group()
@click.version_option(package_name="mikmc")
def main():
    """mikmc: magneto-ionic kinetic Monte Carlo of N³⁻ ions in CoFeN films."""


@main.command()
@click.argument("protocol", required=False)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Zarr store to write (default: a new one here).")
@click.option("--seed", type=int, help="Root seed (default: the protocol's run.seed).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a config key, e.g. hops.barrier_ev=0.6.")
@click.option("--overwrite", is_flag=True, help="Replace an existing store.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run(protocol, output, seed, sets, overwrite, quiet):
    """Run PROTOCOL (a TOML file or a bundled protocol name; default: the paper's High M state)."""
    import zarr

    from kmc import config as cfg
    from kmc.engine import Simulation

    try:
        conf = cfg.load(protocol, _parse_set(sets))
    except ConfigError as exc:
        _fail(str(exc))
    if seed is not None and seed < 0:
        _fail(f"--seed = {seed}: must be an integer >= 0")
    sim = Simulation(conf, seed=seed)
    if output is None:
        output = _new_store_path(f"{Path(conf.source).stem}_seed{sim.seed}")
    elif output.exists() and not overwrite:
        _fail(f"--output = '{output}': exists already; choose another path or pass --overwrite")
    store = sim.open_store(zarr.open_group(str(output), mode="w"))
    click.echo(f"mikmc: {conf.title} ({conf.source}), seed {sim.seed}, {sim.lattice.n_sites} N sites in "
               f"{sim.lattice.n_layers} layers, {sim.frames[-1].time_s / 60:.1f} min simulated -> {output}")
    if quiet:
        sim.run(store)
    else:
        _run_with_progress(sim, store)
    s = sim.stats
    click.echo(f"done: {s['events']:,} events in {s['wall_time_s']:.1f} s ({s['events_per_s']:.3g} events/s); "
               f"results in {output}")


def _run_with_progress(sim, store) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    total = sim.frames[-1].time_s
    t_wall = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[sim]}"),
                  TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), transient=False) as bar:
        task = bar.add_task("run", total=total, sim="", rate="")

        def update(s, i):
            wall = time.perf_counter() - t_wall
            bar.update(task, completed=s.time_s, description=f"[{s.segment.label}]",
                       sim=f"t = {s.time_s / 60:6.2f} / {total / 60:.2f} min",
                       rate=f"{s.ions.events / max(wall, 1e-9):.3g} events/s")

        sim.run(store, progress=update)


@main.command()
@click.argument("store", type=click.Path(exists=True, path_type=Path))
def info(store):
    """Summarise a results STORE (a run, or a campaign: its progress)."""
    from kmc.campaign_store import format_status, is_campaign_store, status
    from kmc.summary import describe

    try:
        click.echo(format_status(status(store), store) if is_campaign_store(store) else describe(store))
    except (ValueError, KeyError, FileNotFoundError) as exc:
        _fail(f"{store}: not a mikmc store ({exc})")


@main.command("plugins")
def list_plugins():
    """List installed plug-ins by group."""
    from kmc import plugins

    for group in plugins.GROUPS:
        click.echo(group)
        for name, target in sorted(plugins.available(group).items()):
            click.echo(f"  {name:20s} {target}")


@main.command()
def protocols():
    """List the bundled protocols."""
    import tomllib

    from kmc.config import bundled_protocols

    for name, path in bundled_protocols().items():
        data = tomllib.loads(path.read_text())
        click.echo(f"  {name:28s} {data.get('title', '')}")


@main.command()
@click.argument("campaign_file", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Campaign Zarr store (created, or resumed).")
@click.option("--status", "status_of", type=click.Path(exists=True, path_type=Path), metavar="STORE",
              help="Show the progress of a campaign STORE and exit.")
@click.option("--extend", is_flag=True, help="Allow added points/replicas in a changed campaign file.")
@click.option("--retry-failed", is_flag=True, help="Run failed replicas again (default: keep their error).")
@click.option("--mpi/--no-mpi", "use_mpi", default=None,
              help="Use MPI ranks (default: if started by mpiexec/mpirun/srun).")
@click.option("--quiet", is_flag=True, help="No line per finished replica.")
def campaign(campaign_file, output, status_of, extend, retry_failed, use_mpi, quiet):
    """Run CAMPAIGN_FILE (replicas x parameter grid) into one store; resumes an interrupted store.

    Run it as `mpiexec -n N mikmc campaign CAMPAIGN.toml -o OUT.zarr` or serially. See docs/campaigns.md.
    """
    from kmc import campaign_store as cs

    if status_of is not None:
        try:
            click.echo(cs.format_status(cs.status(status_of), status_of))
        except (cs.StoreMismatch, FileNotFoundError) as exc:
            _fail(str(exc))
        return
    if campaign_file is None or output is None:
        _fail("usage: mikmc campaign CAMPAIGN.toml -o OUT.zarr   (or: mikmc campaign --status OUT.zarr)")
    from kmc.campaign import load_campaign, run_campaign
    from kmc.scheduler import abort_world_on_error, mpi_world

    try:
        camp = load_campaign(campaign_file)
    except ConfigError as exc:
        _fail(f"{campaign_file}: {exc}")
    comm = mpi_world(use_mpi)
    with abort_world_on_error(comm):
        try:
            report = run_campaign(camp, output, comm=comm, extend=extend, retry_failed=retry_failed,
                                  log=None if quiet else click.echo)
        except cs.StoreMismatch as exc:
            _fail(str(exc))
    if report is not None:
        click.echo(f"done: {report.complete} replicas complete, {report.failed} failed, {report.skipped} done before; "
                   f"{report.wall_s:.1f} s; status: mikmc campaign --status {output}")


from kmc.cli_report import phases as _phases, report as _report  # noqa: E402

main.add_command(_phases)
main.add_command(_report)

from kmc.cli_calibrate import calibrate as _calibrate  # noqa: E402

main.add_command(_calibrate)


if __name__ == "__main__":
    main()
