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
    """The one line a user error gets (exit status 2)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _write_traceback() -> Path | None:
    """Save the current exception's traceback to a file in the temp directory; its path (or None)."""
    import tempfile
    import traceback

    path = Path(tempfile.gettempdir()) / f"mikmc-error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    try:
        path.write_text(f"mikmc {' '.join(sys.argv[1:])}\n\n{traceback.format_exc()}")
    except OSError:
        return None
    return path


class _Commands(click.Group):
    """The ``mikmc`` group: every error reaches the user as one line, never as a traceback.

    A bad input (ConfigError, an unreadable or unwritable file) exits 2; anything unexpected exits 1
    with the path of a file holding the traceback (``--debug`` or MIKMC_DEBUG=1 shows it instead).
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the one place that turns errors into lines
            if ctx.params.get("debug") or os.environ.get("MIKMC_DEBUG"):
                raise
            if isinstance(exc, ConfigError):
                _fail(str(exc))
            if isinstance(exc, OSError) and exc.strerror:
                _fail(f"{exc.filename or ''}{': ' if exc.filename else ''}{exc.strerror}")
            where = _write_traceback()
            click.echo(f"error: internal error, {type(exc).__name__}: {exc}"
                       + (f" (traceback in {where}; --debug shows it)" if where else ""), err=True)
            sys.exit(1)


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


@click.group(cls=_Commands)
@click.version_option(package_name="mikmc")
@click.option("--debug", is_flag=True, help="Show the full traceback of an internal error.")
def main(debug):
    """mikmc: magneto-ionic kinetic Monte Carlo of N³⁻ ions in CoFeN films."""


@main.command()
@click.argument("protocol", required=False)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Zarr store to write (default: a new one here).")
@click.option("--seed", type=int, help="Root seed (default: the protocol's run.seed).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a config key, e.g. hops.barrier_ev=0.6.")
@click.option("--overwrite", is_flag=True, help="Replace an existing mikmc store (only once the new run is set up).")
@click.option("--quiet", is_flag=True, help="No progress bar or progress lines.")
@click.option("--log-every", type=click.FloatRange(0.1), default=5.0, show_default=True, metavar="SECONDS",
              help="Wall time between progress lines when the output is not a terminal.")
@click.option("--no-size-limit", is_flag=True, help="Run even if the film's estimated memory or event count "
              "is above the limits.")
@click.option("--checkpoint-interval", type=click.FloatRange(0), default=60.0, show_default=True, metavar="SECONDS",
              help="Wall time between checkpoints in the store, for --resume (0: none).")
@click.option("--resume", type=click.Path(path_type=Path), metavar="OUT",
              help="Continue the killed run in store OUT from its last checkpoint.")
def run(protocol, output, seed, sets, overwrite, quiet, log_every, no_size_limit, checkpoint_interval, resume):
    """Run PROTOCOL (a TOML file or a bundled protocol name; default: the paper's High M state).

    The whole config is checked before anything is written; an existing store is replaced only
    with --overwrite, only if it is a mikmc store, and only once the new run has been set up.
    """
    from kmc import config as cfg
    from kmc.config import limits
    from kmc.cli import output_path
    from kmc.engine.simulation import Simulation

    if resume is not None:
        if protocol or sets or seed is not None or output is not None or overwrite:
            _fail("--resume continues the run recorded in its store: no PROTOCOL, --set, --seed, -o or --overwrite")
        return _resume(resume, quiet, log_every, checkpoint_interval)
    conf = cfg.load(protocol, _parse_set(sets))
    if seed is not None and seed < 0:
        _fail(f"--seed = {seed}: must be an integer >= 0")
    estimate = None if no_size_limit else limits.check(conf)
    if output is not None:
        output_path.check_target(output, overwrite)
    sim = Simulation(conf, seed=seed)
    if output is None:
        output = _new_store_path(f"{Path(conf.source).stem}_seed{sim.seed}")
        output_path.check_target(output, overwrite=False)
    from kmc.engine.checkpoint import Checkpointer

    store = Checkpointer(sim, _open_output(sim, output), checkpoint_interval)
    cost = f", ≈ {estimate.events:.1g} events expected" if estimate is not None else ""
    click.echo(f"mikmc: {conf.title} ({conf.source}), seed {sim.seed}, {sim.lattice.n_sites} N sites in "
               f"{sim.lattice.n_layers} layers, {sim.frames[-1].time_s / 60:.1f} min simulated{cost} -> {output}")
    _run_to_end(sim, store, output, quiet, log_every)


def _open_output(sim, output: Path):
    """The run's store at ``output``; an existing mikmc store there is replaced only once the new
    one has been created beside it (kmc.cli.output_path)."""
    import shutil

    import zarr

    from kmc.cli import output_path
    replacing = output.exists()
    target = output_path.staging_path(output) if replacing else output
    output_path.make_writable_dir(target)
    try:
        store = sim.open_store(zarr.open_group(str(target), mode="w"))
        if replacing:
            output_path.swap_into_place(target, output)
            store = sim.open_store(zarr.open_group(str(output), mode="w"))
    except BaseException:
        if target.exists():  # the directory this run created; an old store is still at `output`
            shutil.rmtree(target, ignore_errors=True)
        raise
    return store


def _run_to_end(sim, store, output: Path, quiet: bool, log_every: float) -> None:
    """Run the rest of the protocol with progress, then the one-line summary."""
    from kmc.cli import progress
    with progress.for_output(sim.frames[-1].time_s, quiet, log_every) as report:
        sim.run(store, progress=report)
    s = sim.stats
    click.echo(f"done: {s['events']:,} events in {s['wall_time_s']:.1f} s ({s['events_per_s']:.3g} events/s); "
               f"results in {output}")


def _resume(out: Path, quiet: bool, log_every: float, checkpoint_interval: float) -> None:
    """``mikmc run --resume OUT``: finish a killed run from its last checkpoint (kmc.engine.checkpoint)."""
    from kmc.engine.simulation import checkpoint
    try:
        sim, store = checkpoint.resume(out, checkpoint_interval)
    except checkpoint.ResumeError as exc:
        _fail(str(exc))
    click.echo(f"mikmc: resuming {out} after frame {sim.frame_index} of {len(sim.frames) - 1} "
               f"(t = {sim.time_s / 60:.2f} / {sim.frames[-1].time_s / 60:.1f} min simulated)")
    _run_to_end(sim, store, out, quiet, log_every)


@main.command()
@click.argument("store", type=click.Path(exists=True, path_type=Path))
def info(store):
    """Summarise a results STORE (a run, or a campaign: its progress)."""
    from kmc.campaigns.campaign_store import format_status, is_campaign_store, status
    from kmc.storage.integrity import StoreDamaged
    from kmc.analysis.summary import describe

    try:
        click.echo(format_status(status(store), store) if is_campaign_store(store) else describe(store))
    except StoreDamaged as exc:
        _fail(str(exc))
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
    from kmc.campaigns import campaign_store as cs
    if status_of is not None:
        try:
            click.echo(cs.format_status(cs.status(status_of), status_of))
        except (cs.StoreMismatch, FileNotFoundError) as exc:
            _fail(str(exc))
        return
    if campaign_file is None or output is None:
        _fail("usage: mikmc campaign CAMPAIGN.toml -o OUT.zarr   (or: mikmc campaign --status OUT.zarr)")
    from kmc.campaigns.campaign import load_campaign, run_campaign
    from kmc.campaigns.scheduler import abort_world_on_error, mpi_world

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
        if report.failed and not report.complete and not cs.status(output)["complete"]:
            first = next(iter(report.errors.values()))
            click.echo(f"error: every replica failed; the first: {first}", err=True)
            sys.exit(1)


from kmc.cli.report import export as _export, phases as _phases, report as _report  # noqa: E402

main.add_command(_phases)
main.add_command(_report)
main.add_command(_export)

from kmc.cli.calibrate import calibrate as _calibrate  # noqa: E402

main.add_command(_calibrate)

from kmc.cli.barriers import barriers as _barriers  # noqa: E402

main.add_command(_barriers)


if __name__ == "__main__":
    main()
