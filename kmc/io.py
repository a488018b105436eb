"""Reading results for analysis: one run of a store as an ``xarray.Dataset``.

``open_run("high.zarr")`` gives the frames written so far with ``time`` (s) as the coordinate of
the ``frame`` dimension, ``layer_z_nm`` on ``layer`` and the phase names on ``phase``; every
variable keeps its ``units`` and ``description`` attributes, the dataset the run's provenance
(config, seed, version, plug-ins); ``ds.swap_dims(frame="time")`` indexes by time. The store is
checked first (:mod:`kmc.storage.integrity`): a damaged
store raises :class:`kmc.storage.integrity.StoreDamaged` instead of returning fill values as data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import zarr

from kmc.storage.integrity import check_run, child_groups


def run_groups(store) -> list[str]:
    """The run groups of a store: ``[""]`` for a single run, ``points/<p>/replicas/<r>`` of a campaign
    (in numeric order; unreadable group metadata raises :class:`kmc.storage.integrity.StoreDamaged`)."""
    root = zarr.open_group(str(store), mode="r")
    if "frames_written" in root.attrs:
        return [""]
    if "points" not in root:
        return []
    out = []
    for p, point in sorted(child_groups(root["points"]), key=lambda kv: int(kv[0])):
        replicas = child_groups(point["replicas"]) if "replicas" in point else []
        out += [f"points/{p}/replicas/{r}" for r, _ in sorted(replicas, key=lambda kv: int(kv[0]))]
    return out


def open_run(store, run: str | None = None, verify: bool = True):
    """One run of ``store`` as an ``xarray.Dataset`` (``run``: a group of a campaign store, e.g.
    ``"points/0/replicas/2"``; None for a single-run store)."""
    import xarray as xr

    path = str(Path(store))
    group = zarr.open_group(path, mode="r", path=run or "")
    if verify:
        check_run(group, where=f"{path}{'/' + run if run else ''}")
    n = int(group.attrs.get("frames_written", 0))
    ds = xr.open_zarr(path, group=run or None, consolidated=False).isel(frame=slice(0, n))
    ds = ds.set_coords("time")
    if "n_profile" in ds and "layer_z_nm" in ds["n_profile"].attrs:
        ds = ds.assign_coords(layer_z_nm=("layer", list(ds["n_profile"].attrs["layer_z_nm"])))
    if "phase_fraction" in ds and "phase_names" in ds["phase_fraction"].attrs:
        ds = ds.assign_coords(phase=list(ds["phase_fraction"].attrs["phase_names"]))
    return ds


def to_atoms(store, snapshot: int = -1, run: str | None = None, time_s: float | None = None,
             vacancies: bool = False):
    """Snapshot ``snapshot`` (or the last one at or before ``time_s``, s) of a run as ``ase.Atoms``.

    Metal atoms carry their species; N atoms stand on the occupied N sites. Per-atom arrays:
    ``occupancy`` (1 for every atom; 0 for vacant N sites, which appear as X only with
    ``vacancies=True``), ``phase`` (the metal site's phase code, -1 on N sites; names in
    ``atoms.info["phase_names"]``) and ``spin`` (unit vector, or ±1 along x for Ising spins; 0 on
    paramagnetic and N sites). N released into the electrolyte is not represented. ``atoms.info``
    holds the time (s), frame and snapshot index.
    """
    from ase import Atoms

    from kmc.storage.snapshots import read_snapshot, snapshot_at

    group = zarr.open_group(str(store), mode="r", path=run or "")
    k = snapshot_at(group, time_s) if time_s is not None else snapshot
    snap = read_snapshot(group, k)
    occ = snap["occupancy"].astype(bool)
    keep = np.ones_like(occ) if vacancies else occ
    n_keep, n_host = int(keep.sum()), len(snap["host_xyz"])
    symbols = [snap["host_symbols"][s] for s in snap["host_species"]]
    symbols += [snap["mobile_symbol"] if o else "X" for o in occ[keep]]
    atoms = Atoms(symbols=symbols, positions=np.vstack([snap["host_xyz"], snap["mobile_xyz"][keep]]).astype(float),
                  cell=snap["cell"], pbc=snap["pbc"])
    spin = snap["spin"] if snap["spin"].ndim == 2 else np.outer(snap["spin"], [1.0, 0.0, 0.0])
    atoms.set_array("occupancy", np.concatenate([np.ones(n_host, dtype=np.int8), occ[keep].astype(np.int8)]))
    atoms.set_array("phase", np.concatenate([snap["phase"].astype(np.int16), -np.ones(n_keep, dtype=np.int16)]))
    atoms.set_array("spin", np.vstack([spin, np.zeros((n_keep, 3))]))
    atoms.info.update({"time_s": snap["time_s"], "frame": snap["frame"], "snapshot": snap["index"],
                       "phase_names": ",".join(snap["phase_names"])})
    return atoms


def to_structure(store, snapshot: int = -1, run: str | None = None, time_s: float | None = None):
    """The same snapshot as a ``pymatgen.core.Structure`` (vacancies omitted, per-site properties kept)."""
    from pymatgen.io.ase import AseAtomsAdaptor

    return AseAtomsAdaptor.get_structure(to_atoms(store, snapshot, run, time_s))
