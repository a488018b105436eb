"""``mikmc calibrate``: fit model parameters to targets by running campaigns; resumable."""

from __future__ import annotations

from pathlib import Path

import click

from kmc.cli.errors import fail, failing


@click.command()
@click.argument("calibration_file", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Calibration Zarr store (created, or resumed). "
              "Default: <calibration file stem>.zarr")
@click.option("--write-config", type=click.Path(path_type=Path), help="Write the calibrated protocol(s) here (TOML).")
@click.option("--max-evaluations", type=click.IntRange(1), help="Stop after this many parameter vectors "
              "(overrides the file's max_evaluations; finished ones reused from the store count).")
@click.option("--max-core-hours", type=click.FloatRange(0, min_open=True), help="method = \"surrogate\": stop "
              "before this many core-hours of replicas (overrides the file's max_core_hours; reused ones count).")
@click.option("--replicas", type=click.IntRange(1), help="Replicas per evaluation (overrides the file; the full "
              "level of a surrogate fit).")
@click.option("--mpi/--no-mpi", "use_mpi", default=None, help="Use MPI ranks (default: if started by mpiexec/mpirun/srun).")
@click.option("--quiet", is_flag=True, help="Only the final table.")
def calibrate(calibration_file, output, write_config, max_evaluations, max_core_hours, replicas, use_mpi, quiet):
    """Fit the parameters of CALIBRATION_FILE to its targets (Table 1 by default); resumable.

    Every evaluation runs campaigns into OUT.zarr; rerunning the same command reuses them.
    Run it as `mpiexec -n N mikmc calibrate CAL.toml -o OUT.zarr` or serially. See docs/calibration.md.
    """
    import dataclasses

    from kmc.calibration import calibrate as kc
    from kmc.calibration.parse import load_calibration
    from kmc.calibration.write_config import write_configs
    from kmc.config import ConfigError
    from kmc.campaigns.scheduler import abort_world_on_error, mpi_world

    with failing(ConfigError, prefix=f"{calibration_file}: "):
        cal = load_calibration(calibration_file)
    if replicas is not None:
        cal = dataclasses.replace(cal, replicas=replicas)
    if max_core_hours is not None and cal.method != "surrogate":
        fail(f'{calibration_file}: --max-core-hours needs method = "surrogate" (this file: {cal.method})')
    if write_config is not None and cal.method == "sensitivity":
        fail(f'{calibration_file}: method = "sensitivity" fits nothing; there is no calibrated protocol to write')
    output = output or Path(Path(calibration_file).stem + ".zarr")
    comm = mpi_world(use_mpi)
    rank = 0 if comm is None else comm.Get_rank()
    with abort_world_on_error(comm):
        try:
            result = kc.calibrate(cal, output, comm=comm, max_evaluations=max_evaluations,
                                  log=(lambda m: None) if quiet else click.echo,
                                  **({"max_core_hours": max_core_hours} if max_core_hours else {}))
        except ValueError as exc:
            if comm is not None:
                comm.Abort(2)
            fail(str(exc))
    if rank != 0:
        return
    click.echo("")
    click.echo(result.table())
    if write_config is not None:
        for path in write_configs(result, write_config):
            click.echo(f"written: {path}")
    click.echo(f"store: {output}")
