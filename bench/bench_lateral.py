"""Cost of the bundled High M protocol against the film's lateral size (issue 13: which default?).

Run:  python bench/bench_lateral.py [--cells 3 6 12] [--protocol paper/high_m_3min]
Each size runs ``mikmc run`` in a fresh process and reads events and wall time from the store's
``performance`` attribute; printed as a table, nothing asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zarr


def run(protocol: str, cells: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.zarr"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kmc.cli", "run", protocol, "-o", str(out), "--quiet",
                        "--seed", str(seed), "--set", f"lattice.cells_xy=[{cells},{cells}]"],
                       check=True, cwd=tmp, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        attrs = dict(zarr.open_group(str(out), mode="r").attrs)
    perf = attrs["performance"]
    return {"cells": cells, "sites": attrs["film"]["n_mobile_sites"], "events": perf["events"],
            "run_s": perf["wall_time_s"], "process_s": wall, "events_per_s": perf["events_per_s"],
            "ion_s": perf.get("ion_wall_time_s", float("nan")), "spin_s": perf.get("process_wall_time_s", float("nan"))}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, nargs="+", default=[3, 6, 12])
    ap.add_argument("--protocol", default="paper/high_m_3min")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    print(f"{args.protocol}, seed {args.seed}")
    print(f"{'cells':>7s} {'N sites':>9s} {'events':>12s} {'run (s)':>8s} {'process (s)':>11s} {'events/s':>10s} "
          f"{'ions (s)':>9s} {'spins (s)':>9s}")
    for c in args.cells:
        r = run(args.protocol, c, args.seed)
        print(f"{c:>3d}x{c:<3d} {r['sites']:9d} {r['events']:12,d} {r['run_s']:8.1f} {r['process_s']:11.1f} "
              f"{r['events_per_s']:10.3g} {r['ion_s']:9.1f} {r['spin_s']:9.1f}", flush=True)
