"""``mikmc run``: one protocol into one store, and ``--resume`` of a killed run.

- :func:`run`: the command; checks the whole config, then opens the store and runs with progress.
- :func:`_open_output` / :func:`_run_to_end` / :func:`_resume`: the store, the run, the resumed run.
"""

from __future__ import annotations

from pathlib import Path

import click

from kmc.cli.errors import fail, failing


def _parse_set(values: tuple[str, ...]) -> dict:
    import tomllib

    out = {}
    for item in values:
        if "=" not in item:
            fail(f"--set {item!r}: expected KEY=VALUE, e.g. hops.barrier_ev=0.6")
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


@click.command()
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
            fail("--resume continues the run recorded in its store: no PROTOCOL, --set, --seed, -o or --overwrite")
        return _resume(resume, quiet, log_every, checkpoint_interval)
    conf = cfg.load(protocol, _parse_set(sets))
    if seed is not None and seed < 0:
        fail(f"--seed = {seed}: must be an integer >= 0")
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
    from kmc.engine import checkpoint
    with failing(checkpoint.ResumeError):
        sim, store = checkpoint.resume(out, checkpoint_interval)
    click.echo(f"mikmc: resuming {out} after frame {sim.frame_index} of {len(sim.frames) - 1} "
               f"(t = {sim.time_s / 60:.2f} / {sim.frames[-1].time_s / 60:.1f} min simulated)")
    _run_to_end(sim, store, out, quiet, log_every)
