"""Reading results for analysis: one run of a store as an ``xarray.Dataset``.

``open_run("high.zarr")`` gives the frames written so far with ``time`` (s) as the coordinate of
the ``frame`` dimension, ``layer_z_nm`` on ``layer`` and the phase names on ``phase``; every
variable keeps its ``units`` and ``description`` attributes, the dataset the run's provenance
(config, seed, version, plug-ins); ``ds.swap_dims(frame="time")`` indexes by time. The store is
checked first (:mod:`kmc.integrity`): a damaged
store raises :class:`kmc.integrity.StoreDamaged` instead of returning fill values as data.
"""

from __future__ import annotations

from pathlib import Path

import zarr

from kmc.integrity import check_run


def run_groups(store) -> list[str]:
    """The run groups of a store: ``[""]`` for a single run, ``points/<p>/replicas/<r>`` of a campaign."""
    root = zarr.open_group(str(store), mode="r")
    if "frames_written" in root.attrs:
        return [""]
    out = []
    if "points" in root:
        for p, point in sorted(root["points"].groups(), key=lambda kv: int(kv[0])):
            if "replicas" in point:
                for r, _ in sorted(point["replicas"].groups(), key=lambda kv: int(kv[0])):
                    out.append(f"points/{p}/replicas/{r}")
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
