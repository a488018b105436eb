"""Spin sweep kernels are compiled once per machine: one cached module per ΔE function (kmc.core.kernels)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from numba import njit

from kmc.core import kernels
from kmc.core.spins import heisenberg_delta_e, ising_delta_e

# the ΔE of tests/core/test_spin_kernels_plugins.py, here importable (module level in a file)
PLUGIN = textwrap.dedent("""
    from numba import njit

    @njit(cache=True)
    def delta_e_first(i, new, spins, nbr, jb, hz, ks, axis):
        return 1.0 * (spins[i, 2] - new[2])
""")

SCRIPT = textwrap.dedent("""
    import json
    import numpy as np
    from numba.core import event

    compiled = []

    class Listener(event.Listener):  # 'numba:compile' fires for compilations, not for cache loads
        def on_start(self, ev):
            f = ev.data["dispatcher"].py_func
            compiled.append(f"{f.__module__}.{f.__qualname__}")

        def on_end(self, ev):
            pass

    event.register("numba:compile", Listener())

    import kc_plugin
    from kmc.core import spins as core
    from kmc.core.kernels import sweep_kernels
    from kmc.core.rng import new_state

    n = 4
    nbr = np.zeros((n, 1), np.int32); jb = np.ones((n, 1)); hz = np.zeros(n); axis = np.array([0.0, 0.0, 1.0])
    out = {}
    s = np.ones(n, np.int8)
    core.sweep_ising(s, np.arange(n), nbr, jb, hz, 0.025, 50, new_state(1), core.ising_delta_e, True)
    for name, de in (("heisenberg", core.heisenberg_delta_e), ("plugin", kc_plugin.delta_e_first)):
        v = np.zeros((n, 3)); v[:, 2] = 1.0
        core.sweep_vector(v, np.arange(n), nbr, jb, hz, np.zeros(n), axis, 0.5, 0.025, 50, new_state(2), de, True)
        assert np.allclose((v ** 2).sum(axis=1), 1.0)
    for name, de, kernel in (("ising", core.ising_delta_e, "sweep_ising"),
                             ("heisenberg", core.heisenberg_delta_e, "sweep_vector"),
                             ("plugin", kc_plugin.delta_e_first, "sweep_vector")):
        mod = sweep_kernels(de)
        stats = getattr(mod, kernel).stats
        out[name] = {"file": mod.__file__, "hits": sum(stats.cache_hits.values()),
                     "misses": sum(stats.cache_misses.values())}
    out["compiled"] = compiled
    print(json.dumps(out))
""")


def _run(tmp_path, env):
    res = subprocess.run([sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "UncachedKernelsWarning" not in res.stderr, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_second_process_compiles_no_spin_kernel(tmp_path):
    (tmp_path / "kc_plugin.py").write_text(PLUGIN)
    cache = tmp_path / "kernels"
    env = dict(os.environ, MIKMC_KERNEL_CACHE=str(cache), NUMBA_CACHE_DIR=str(tmp_path / "numba"),
               PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    env.pop("NUMBA_DISABLE_JIT", None)
    first = _run(tmp_path, env)
    second = _run(tmp_path, env)
    plugins = ("ising", "heisenberg", "plugin")
    for name in plugins:
        assert first[name]["misses"] == 1 and first[name]["hits"] == 0, first
        assert second[name]["misses"] == 0 and second[name]["hits"] == 1, second
        assert second[name]["file"] == first[name]["file"]
    assert any(c.startswith("mikmc_kernels_") for c in first["compiled"]), first["compiled"]
    assert second["compiled"] == [], second["compiled"]  # nothing at all compiled again
    files = {first[name]["file"] for name in plugins}
    assert len(files) == 3, "each ΔE function has its own kernel module"
    assert all(os.path.dirname(f) == str(cache) for f in files)
    assert "ising_delta_e" in first["ising"]["file"] and "kc_plugin__delta_e_first" in first["plugin"]["file"]


def test_identity_and_module_per_function(tmp_path, monkeypatch):
    monkeypatch.setenv(kernels.ENV_VAR, str(tmp_path / "k"))
    assert kernels.kernel_cache_dir() == tmp_path / "k"
    assert kernels.identity(ising_delta_e) == ("kmc.core.spins", "ising_delta_e")
    a = kernels.module_source("kmc.core.spins", "ising_delta_e")
    b = kernels.module_source("kmc.core.spins", "heisenberg_delta_e")
    assert a != b and "CACHE = True" in a and "import_module('kmc.core.spins').heisenberg_delta_e" in b
    assert kernels.module_path(tmp_path, "kmc.core.spins", "ising_delta_e", a) != \
        kernels.module_path(tmp_path, "kmc.core.spins", "heisenberg_delta_e", b)
    # the loops come from the template: only the header differs
    template = kernels.TEMPLATE.read_text()
    assert template.split("# <<< mikmc-kernel-header")[1] == a.split("# <<< mikmc-kernel-header")[1]
    assert kernels.sweep_kernels(heisenberg_delta_e) is kernels.sweep_kernels(heisenberg_delta_e)


def test_unimportable_delta_e_falls_back_with_one_warning():
    def make():
        @njit
        def local_delta_e(i, spins, nbr, jb, hz):
            return 0.0
        return local_delta_e

    de = make()
    assert "inside a function" in kernels.identity(de)
    with pytest.warns(kernels.UncachedKernelsWarning, match="compiled in every process"):
        mod = kernels.sweep_kernels(de)
    assert mod.delta_e is de and not mod.CACHE
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kernels.sweep_kernels(de) is mod
