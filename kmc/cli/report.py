"""Post-processing of stores.

- :func:`phases`: ``mikmc phases``, phase identification per depth slice (written into the store).
- :func:`report`: ``mikmc report``, Table 1, figures and energy accounting of runs.
- :func:`export`: ``mikmc export``, a snapshot as an atomistic structure (any ASE format).
"""

from __future__ import annotations

from pathlib import Path

import click

from kmc.cli.errors import fail, failing


@click.command()
@click.argument("store", type=click.Path(exists=True, path_type=Path))
@click.option("--frame", type=int, default=-1, show_default=True, help="Frame among those written (negative: from the end).")
@click.option("--slices", type=click.IntRange(1, 1000), default=5, show_default=True, help="Depth slices.")
@click.option("--tolerance", type=float, default=0.03, show_default=True, help="Spacing match tolerance (Å).")
@click.option("--allow-incomplete", is_flag=True, help="Analyse an unfinished run's frames (not written to the store).")
@click.option("--no-write", is_flag=True, help="Only print; do not write the 'phases' group.")
def phases(store, frame, slices, tolerance, allow_incomplete, no_write):
    """Phase identification of STORE: per depth slice and for the film (kinetic, thermodynamic, spacings).

    Writes the result into STORE under the group 'phases' when the store is complete and writable.
    """
    import zarr

    from kmc.storage.integrity import StoreDamaged, open_verified
    from kmc.analysis.phase_id import IncompleteStore, identify, write_to_store

    try:
        group = open_verified(store, check=False)  # identify checks the run
        res = identify(group, frame=frame, n_slices=slices, tol=tolerance, allow_incomplete=allow_incomplete)
    except IncompleteStore as exc:
        fail(f"{store}: {exc}")
    except StoreDamaged as exc:
        fail(str(exc))
    except (ValueError, KeyError, FileNotFoundError) as exc:
        fail(f"{store}: cannot identify phases ({exc})")
    click.echo(res.table())
    if "snapshots" in group and int(group["snapshots"].attrs.get("taken", 0)):
        from kmc.analysis.diffraction import format_report, slice_report
        from kmc.storage.snapshots import read_snapshot

        snap = read_snapshot(group, -1)
        click.echo("\n" + format_report(slice_report(snap, n_slices=slices), f"Diffraction of the simulated "
                   f"structure (snapshot {snap['index']}, t = {snap['time_s'] / 60:.2f} min), intensity / I(200):"))
    if no_write:
        return
    if not res.complete:
        click.echo(f"\nnot written: {store} is incomplete", err=True)
        return
    try:
        write_to_store(zarr.open_group(str(store), mode="r+"), res)
    except (PermissionError, OSError, ValueError) as exc:
        click.echo(f"\nnot written: {store} is not writable ({exc})", err=True)
        return
    click.echo(f"\nwritten to {store}/phases")


@click.command()
@click.argument("stores", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("report"), show_default=True,
              help="Directory for report.md and figures.")
def report(stores, output):
    """Table 1 (ΔM_S, ΔM_R, ΔM_R/ΔM_S vs the paper), figures and energy accounting of run STORES."""
    from kmc.cli.output_path import is_mikmc_store
    from kmc.paper.report import build_report

    for store in stores:
        if not is_mikmc_store(store):
            fail(f"{store}: not a mikmc store (no mikmc run or campaign metadata in {store}/zarr.json)")
    with failing(ValueError, KeyError, FileNotFoundError):  # kmc.storage.integrity.StoreDamaged names the file
        path = build_report(stores, output)
    click.echo(path.read_text().split("## Figures")[0].rstrip())
    click.echo(f"\nreport: {path}")


@click.command()
@click.argument("store", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="File to write; the format follows its extension (extxyz for .xyz), or --format.")
@click.option("--run", "run", default=None, help="Run group of a campaign store, e.g. points/0/replicas/1.")
@click.option("--snapshot", type=int, default=None, help="Snapshot index (negative: from the end; default: the last).")
@click.option("--time", "time_s", type=str, default=None, help='Last snapshot at or before this time, e.g. "16 min".')
@click.option("--format", "fmt", default=None, help="Any format ase.io.write knows (default: from the extension; extxyz).")
@click.option("--vacancies", is_flag=True, help="Write vacant N sites as X atoms (occupancy 0).")
def export(store, output, run, snapshot, time_s, fmt, vacancies):
    """Write a snapshot of STORE as an atomistic structure (extxyz, cif, vasp, … any ASE format)."""
    import ase.io

    from kmc.io import to_atoms
    from kmc.config.protocol import parse_duration_s

    if snapshot is not None and time_s is not None:
        fail("--snapshot and --time are exclusive")
    with failing(ValueError, prefix=f"--time = {time_s!r}: "):
        t = None if time_s is None else parse_duration_s(time_s)
    try:
        atoms = to_atoms(store, -1 if snapshot is None else snapshot, run, t, vacancies)
    except KeyError as exc:
        fail(f"{store}: {exc.args[0] if exc.args else exc}")
    if fmt is None and output.suffix in ("", ".xyz", ".extxyz"):
        fmt = "extxyz"
    try:
        ase.io.write(str(output), atoms, format=fmt)
    except (ValueError, KeyError, TypeError) as exc:
        fail(f"--format {fmt or output.suffix}: ase.io.write cannot write this snapshot ({exc})")
    click.echo(f"{output}: snapshot {atoms.info['snapshot']} (t = {atoms.info['time_s'] / 60:.2f} min, frame "
               f"{atoms.info['frame']}), {len(atoms)} atoms ({atoms.get_chemical_formula()})")
