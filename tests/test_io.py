"""kmc.io: stores as xarray datasets, checked before they are read."""

import numpy as np
import pytest
import zarr

from kmc.storage.integrity import StoreDamaged
from kmc.io import open_run, run_groups


def test_a_run_opens_with_time_as_the_frame_coordinate_and_units(short_run):
    ds = open_run(short_run)
    group = zarr.open_group(str(short_run), mode="r")
    n = group.attrs["frames_written"]
    assert ds.sizes["frame"] == n and "time" in ds.coords and ds["time"].attrs["units"] == "s"
    assert np.array_equal(ds["time"].values, group["time"][:n])
    assert np.all(np.diff(ds["time"].values) > 0)
    assert ds["magnetization"].attrs["units"] == "emu/cm^3"
    assert list(ds["phase"].values) == list(group["phase_fraction"].attrs["phase_names"])
    assert ds.sizes["layer"] == len(ds["layer_z_nm"]) and ds.attrs["seed"] == group.attrs["seed"]
    assert float(ds.swap_dims(frame="time")["n_film"].sel(time=ds["time"].values[-1])) == group["n_film"][n - 1]
    assert run_groups(short_run) == [""]


def test_a_damaged_store_is_refused(short_run, tmp_path):
    import shutil

    copy = tmp_path / "copy.zarr"
    shutil.copytree(short_run, copy)
    chunk = next((copy / "n_film").rglob("c/*"))
    chunk.unlink()
    with pytest.raises(StoreDamaged) as err:
        open_run(copy)
    assert "n_film" in str(err.value)
