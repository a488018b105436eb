"""``mikmc campaign``: replicas x parameter grid into one store, resumable; ``--status`` shows its progress."""

from __future__ import annotations

from pathlib import Path

import click

from kmc.cli.errors import fail, failing
from kmc.config import ConfigError


@click.command()
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
        with failing(cs.StoreMismatch, FileNotFoundError):
            click.echo(cs.format_status(cs.status(status_of), status_of))
        return
    if campaign_file is None or output is None:
        fail("usage: mikmc campaign CAMPAIGN.toml -o OUT.zarr   (or: mikmc campaign --status OUT.zarr)")
    from kmc.campaigns.campaign import load_campaign
    from kmc.campaigns.runner import run_campaign
    from kmc.campaigns.scheduler import abort_world_on_error, mpi_world

    with failing(ConfigError, prefix=f"{campaign_file}: "):
        camp = load_campaign(campaign_file)
    comm = mpi_world(use_mpi)
    with abort_world_on_error(comm), failing(cs.StoreMismatch):
        report = run_campaign(camp, output, comm=comm, extend=extend, retry_failed=retry_failed,
                              log=None if quiet else click.echo)
    if report is not None:
        click.echo(f"done: {report.complete} replicas complete, {report.failed} failed, {report.skipped} done before; "
                   f"{report.wall_s:.1f} s; status: mikmc campaign --status {output}")
        if report.failed and not report.complete and not cs.status(output)["complete"]:
            fail(f"every replica failed; the first: {next(iter(report.errors.values()))}", status=1)
