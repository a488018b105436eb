"""A run's store is the same, value for value, as the committed reference written before the
package was reorganised (issue: the house): moving modules must not change what `mikmc run` does.

The reference holds a sha256 of every array's values (and dtype, shape) and the run's resolved
configuration. A deliberate change of the physics or of the store layout changes it: rewrite it
with ``python tests/test_store_reference.py`` and say why in the commit.
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import zarr
from click.testing import CliRunner

from kmc.cli import main

REFERENCE = Path(__file__).parent / "data" / "reduced_high_m_store.json"
#: run attributes that must not change (version, wall times and source path may)
ATTRS = ("config", "film", "segments", "plugins", "seed", "spawn_key", "title", "n_frames", "frames_written",
         "schema_version", "complete")


def fingerprint(path) -> dict:
    """{array path: 'dtype shape sha256'} of every array in the store, plus the attributes ATTRS."""
    root = zarr.open_group(str(path), mode="r")
    out = {"attrs": json.loads(json.dumps({k: root.attrs.get(k) for k in ATTRS}, sort_keys=True, default=str))}
    out["attrs"]["config"].pop("description", None)  # prose (it names source files, which may move)

    def walk(group, prefix):
        for name, arr in sorted(group.arrays()):
            v = np.ascontiguousarray(arr[...])
            out[prefix + name] = f"{v.dtype.str} {v.shape} {hashlib.sha256(v.tobytes()).hexdigest()}"
        for name, sub in sorted(group.groups()):
            walk(sub, f"{prefix}{name}/")

    walk(root, "")
    return out


def run_reduced_high_m(tmp: Path) -> dict:
    out = tmp / "r.zarr"
    res = CliRunner().invoke(main, ["run", "paper/reduced_high_m", "-o", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    return fingerprint(out)


def test_run_store_equals_the_reference_written_before_the_reorganisation(tmp_path):
    ref = json.loads(REFERENCE.read_text())
    now = run_reduced_high_m(tmp_path)
    assert sorted(now) == sorted(ref), "arrays added or missing"
    changed = [k for k in ref if now[k] != ref[k]]
    assert not changed, f"changed: {changed}"
    assert len(ref) > 20  # the whole store: ions, magnetism, profiles, snapshots


if __name__ == "__main__":  # rewrite the reference (only for a deliberate change; say why)
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        REFERENCE.write_text(json.dumps(run_reduced_high_m(Path(d)), indent=1, sort_keys=True) + "\n")
    print(f"wrote {REFERENCE}", file=sys.stderr)
