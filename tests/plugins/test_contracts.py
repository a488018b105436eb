"""Plug-in API version at load time, and the contract checkers of kmc.testing on good and broken plug-ins."""

import sys
import types
from importlib.metadata import EntryPoint

import numpy as np
import pytest
from numba import njit

from kmc import plugins
from kmc.core.spins import ising_delta_e
from kmc.plugins.boundary.closed import Closed
from kmc.plugins.boundary.solubility import SolubilityLimited
from kmc.plugins.exchange.heisenberg import Heisenberg
from kmc.plugins.exchange.ising import Ising
from kmc.plugins.hops.arrhenius import ArrheniusHop
from kmc.plugins.hops.tables import HopTables
from kmc.testing import check_boundary_plugin, check_exchange_plugin, check_hop_plugin


# --- mikmc's own plug-ins pass -------------------------------------------------------------------
@pytest.mark.parametrize("group", plugins.GROUPS)
def test_every_installed_plugin_states_the_api_version(group):
    for name in plugins.available(group):
        assert plugins.load(group, name).api_version == plugins.API_VERSION


@pytest.mark.parametrize("hop", [ArrheniusHop, ArrheniusHop(nn_bond_ev=0.05, co_shift_ev=-0.03)])
def test_bundled_hop_law_passes(hop):
    check_hop_plugin(hop)


@pytest.mark.parametrize("cls", [SolubilityLimited, Closed])
def test_bundled_boundaries_pass(cls):
    check_boundary_plugin(cls)


@pytest.mark.parametrize("cls", [Ising, Heisenberg])
def test_bundled_exchange_models_pass(cls):
    check_exchange_plugin(cls)


# --- load(): one-line PluginError for bad registrations -----------------------------------------
class _NoVersion:
    name = "noversion"

    def build(self, lattice, temperature_k):
        return None


class _FutureVersion(_NoVersion):
    name = "future"
    api_version = 2


class _NoBuild:
    name = "nobuild"
    api_version = 1


def _not_a_class():
    return None


@pytest.fixture
def fake_eps(monkeypatch):
    mod = types.ModuleType("mikmc_broken_fixture")
    for obj in (_NoVersion, _FutureVersion, _NoBuild, _not_a_class):
        setattr(mod, obj.__name__, obj)
    monkeypatch.setitem(sys.modules, "mikmc_broken_fixture", mod)
    eps = [EntryPoint(name=n, value=f"mikmc_broken_fixture:{a}", group="mikmc.hops")
           for n, a in (("noversion", "_NoVersion"), ("future", "_FutureVersion"),
                        ("nobuild", "_NoBuild"), ("func", "_not_a_class"), ("gone", "_Missing"))]
    real = plugins.entry_points
    monkeypatch.setattr(plugins, "entry_points",
                        lambda group: [e for e in eps if e.group == group] or real(group=group))


@pytest.mark.parametrize("name, message", [
    ("noversion", "hops plug-in 'noversion' (mikmc_broken_fixture:_NoVersion) declares no api_version"),
    ("future", "has api_version 2, this mikmc supports 1"),
    ("nobuild", "has no build() method"),
    ("func", "is a function, not a class"),
    ("gone", "failed to load"),
    ("missing", "unknown hops plug-in 'missing'; installed: func, future, gone, nobuild, noversion"),
])
def test_load_rejects_broken_registrations(fake_eps, name, message):
    with pytest.raises(plugins.PluginError) as info:
        plugins.load("mikmc.hops", name)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_config_reports_bad_api_version_in_one_line(fake_eps):
    from kmc import config
    with pytest.raises(config.ConfigError, match="hops.name = 'future': .*api_version 2"):
        config.load("quick", {"hops.name": "future"})


# --- the checkers catch broken plug-ins ---------------------------------------------------------
class _Tweaked(ArrheniusHop):
    """The Arrhenius law with one thing broken by ``mutate(tables) -> tables``."""

    name = "tweaked"

    def __init__(self, mutate, **kw):
        super().__init__(**kw)
        self.mutate = mutate

    def build(self, lattice, temperature_k):
        return self.mutate(super().build(lattice, temperature_k))


def _replace(t, **kw):
    return HopTables(**{**{k: getattr(t, k) for k in ("base_rate_hz", "env_static", "n_static", "charge_e", "shell2")}, **kw})


def _with_rate(value):
    def mutate(t):
        r = t.base_rate_hz.copy()
        r[1] = value
        return _replace(t, base_rate_hz=r)
    return mutate


@pytest.mark.parametrize("mutate, message", [
    (lambda t: _replace(t, base_rate_hz=t.base_rate_hz[:-1]), "base_rate_hz has shape"),
    (lambda t: _replace(t, env_static=t.env_static[:-1]), "env_static has shape"),
    (lambda t: _replace(t, env_static=t.env_static.astype(np.int32)), "env_static must be an int64 ndarray"),
    (lambda t: _replace(t, base_rate_hz=t.base_rate_hz.astype(np.float32)), "base_rate_hz must be a float64"),
    (_with_rate(np.nan), "base_rate_hz must be finite and >= 0 (Hz)"),
    (_with_rate(-1.0), "base_rate_hz must be finite and >= 0 (Hz)"),
    (_with_rate(1e20), "rates must be in Hz"),
    (lambda t: _replace(t, base_rate_hz=np.zeros_like(t.base_rate_hz)), "no ion can ever hop"),
    (lambda t: _replace(t, charge_e=float("nan")), "charge_e must be finite"),
])
def test_hop_checker_catches(mutate, message):
    with pytest.raises(AssertionError) as info:
        check_hop_plugin(_Tweaked(mutate))
    assert "hops plug-in 'tweaked'" in str(info.value) and message in str(info.value)


def test_hop_checker_catches_broken_detailed_balance():
    class Asymmetric(ArrheniusHop):
        name = "asym"

        def energy_ev(self, lattice, occ):  # claims no bond energy while the barrier has one
            return 0.0

    with pytest.raises(AssertionError, match="detailed balance broken for the hop"):
        check_hop_plugin(Asymmetric(nn_bond_ev=0.05))


def test_hop_checker_catches_missing_api_version():
    class Old:
        name = "old"

        def build(self, lattice, temperature_k):
            return None

    with pytest.raises(AssertionError, match="declares no api_version"):
        check_hop_plugin(Old)


def test_boundary_checker_catches_negative_and_nan_rates():
    class Leaky(Closed):
        name = "leaky"

        def rates(self, voltage_v, prev_voltage_v, t_since_switch_s, n_electrolyte):
            return (-1.0 if voltage_v < 0 else 0.0), 0.0

    with pytest.raises(AssertionError, match=r"rates\(-25.0, 0.0, 0.0, 0\) gave k_out_hz = -1.0"):
        check_boundary_plugin(Leaky)

    class Overfull(Closed):
        name = "overfull"

        def rates(self, voltage_v, prev_voltage_v, t_since_switch_s, n_electrolyte):
            return 0.0, (float("nan") if n_electrolyte > 5 else 0.0)

    with pytest.raises(AssertionError, match=r"rates\(0.0, 0.0, 0.0, 10\) gave k_in_hz = nan; must be a finite"):
        check_boundary_plugin(Overfull)

    class NoHold(Closed):
        name = "nohold"

        def hold_s(self, *args):
            return 0.0

    with pytest.raises(AssertionError, match="must be > 0 s"):
        check_boundary_plugin(NoHold)


@njit
def _wrong_sign_delta_e(i, spins, nbr, jb, hz):
    return -ising_delta_e(i, spins, nbr, jb, hz)


def test_exchange_checker_catches_wrong_delta_e_and_python_delta_e():
    from dataclasses import replace

    class WrongSign(Ising):
        name = "wrongsign"

        def build(self, lattice, phases, temperature_k):
            return replace(super().build(lattice, phases, temperature_k), delta_e=_wrong_sign_delta_e)

    with pytest.raises(AssertionError, match="delta_e of a move at site .* the energy changes by"):
        check_exchange_plugin(WrongSign)

    class PurePython(Ising):
        name = "purepython"

        def build(self, lattice, phases, temperature_k):
            return replace(super().build(lattice, phases, temperature_k), delta_e=lambda *a: 0.0)

    with pytest.raises(AssertionError, match="delta_e must be a numba @njit function"):
        check_exchange_plugin(PurePython)
