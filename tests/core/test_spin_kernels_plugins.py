"""Spin kernels take the exchange plug-in's ΔE as a numba dispatcher: any number of plug-ins, in any
number of processes, must work one after the other (numba's on-disk cache cannot hold such kernels)."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import numpy as np
    from numba import njit
    from kmc.core import spins as core
    from kmc.core.rng import new_state

    @njit
    def delta_e_{tag}(i, new, spins, nbr, jb, hz, ks, axis):
        return {scale} * (spins[i, 2] - new[2])

    s = np.zeros((4, 3)); s[:, 2] = 1.0
    nbr = np.full((4, 1), -1, np.int64); jb = np.zeros((4, 1))
    acc = core.sweep_vector(s, np.arange(4), nbr, jb, np.zeros(4), np.zeros(4), np.array([0.0, 0.0, 1.0]),
                            0.5, 0.025, 100, new_state(1), delta_e_{tag})
    assert 0 <= acc <= 100 and np.allclose((s ** 2).sum(axis=1), 1.0)
    print("ok", acc)
""")


def test_two_plugin_dispatchers_in_separate_processes(tmp_path):
    # before the kernels were uncached, the second process died with
    # "ReferenceError: underlying object has vanished" while re-saving the cache index
    for tag, scale in (("first", 1.0), ("second", -2.0), ("first", 1.0)):
        script = tmp_path / f"plugin_{tag}.py"
        script.write_text(SCRIPT.format(tag=tag, scale=scale))
        res = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr[-2000:]
        assert res.stdout.startswith("ok")
