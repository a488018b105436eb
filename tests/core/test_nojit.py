"""The jitted core and its pure-Python reading (NUMBA_DISABLE_JIT=1) follow the same trajectory."""

import json
import os
import subprocess
import sys

SCRIPT = """
import json, numpy as np
from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.plugins.boundary.solubility import SolubilityLimited
from kmc.testing import make_ions
lat = RocksaltFilm(thickness_nm=2.0, cells_xy=(2, 2)).build(3)
ions = make_ions(lat, barrier_ev=0.75, nn_bond_ev=0.012, co_shift_ev=-0.01, seed=5,
                 boundary=SolubilityLimited())
ions.set_voltage(-25.0)
ions.advance(1e9, max_events=400)
print(json.dumps({"occ": ions.occ.tolist(), "counters": ions.counters(), "t": ions.time_s}))
"""


def run(disable_jit: bool) -> dict:
    env = dict(os.environ, NUMBA_DISABLE_JIT="1" if disable_jit else "0")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", SCRIPT], env=env, capture_output=True,
                         text=True, check=True, cwd=os.path.dirname(sys.executable))
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_python_and_jitted_core_agree():
    jit, py = run(False), run(True)
    assert jit["counters"] == py["counters"]
    assert jit["occ"] == py["occ"]
    assert abs(jit["t"] - py["t"]) <= 1e-12 * jit["t"]
