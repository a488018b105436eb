"""The calibration store: one Zarr group holding the file it was made from and the result, and the
campaign stores of every evaluation (:mod:`kmc.calibration.evaluate`)::

    OUT.zarr/                              attrs: mikmc_calibration (file, fingerprint), result
      evaluations/<base>/<fingerprint16>/  a campaign store (kmc.campaigns.campaign_store) of one point:
                                           the base protocol + [set] + the parameter values
"""

from __future__ import annotations

import json
from pathlib import Path

from kmc.calibration.spec import Calibration
from kmc.campaigns.campaign import _canonical_json, _sha256

ATTR = "mikmc_calibration"


def prepare_store(cal: Calibration, store_path) -> None:
    """Create the calibration store, or check that an existing store is one. Rank 0 only."""
    import zarr

    from kmc import __version__
    path = Path(store_path)
    if path.exists():
        try:
            root = zarr.open_group(str(path), mode="r+")
        except Exception as exc:
            raise ValueError(f"{path}: exists and is not a readable Zarr group ({exc})") from None
        if ATTR not in root.attrs:
            raise ValueError(f"{path}: exists and is not a mikmc calibration store; choose another -o path")
    else:
        root = zarr.open_group(str(path), mode="w")
    root.attrs.update({ATTR: {"title": cal.title, "source": cal.source,
                              "bases": {k: str(v) for k, v in cal.bases.items()},
                              "fingerprint": _sha256(cal.canonical()), "mikmc_version": __version__,
                              "calibration": _jsonable(cal.canonical())}})


def _jsonable(obj):
    return json.loads(_canonical_json(obj))


def save_result(store_path, result) -> None:
    """Record a result (its ``to_dict()``) as the store's ``result`` attribute. Rank 0 only."""
    import zarr

    zarr.open_group(str(store_path), mode="r+").attrs.update({"result": _jsonable(result.to_dict())})
