"""Plug-ins (installed as ``kmc.plugins``), found through ``importlib.metadata`` entry points.

mikmc's own plug-ins register exactly as a user's package would, in pyproject.toml:

    [project.entry-points."mikmc.hops"]
    arrhenius = "kmc.plugins.hops.arrhenius:ArrheniusHop"

Groups: hop laws (``hops/``), electrolyte boundaries (``boundary/``), phases (``phases/``) and
exchange models (``exchange/``); each builds a read-only table type of its ``tables.py`` once per run.

May import: :mod:`kmc.core` (jitted energy functions), :mod:`kmc.units`, :mod:`kmc.barriers`
(the barrier data file and LCE fit of the ``table``/``lce`` hop laws), :mod:`kmc.data` (the bundled
formation energies of the ``metal_energy`` option) and :mod:`kmc.config` (only
``ConfigError``, inside functions). Never the engine, stores or CLI.
"""

from __future__ import annotations

from importlib.metadata import entry_points

GROUPS = ("mikmc.lattices", "mikmc.hops", "mikmc.boundaries", "mikmc.phases", "mikmc.exchange")

#: The plug-in contract this mikmc implements; every plug-in class states ``api_version = 1``.
API_VERSION = 1


class PluginError(LookupError):
    """A plug-in name that is not installed, or a plug-in that cannot be loaded."""


def available(group: str) -> dict[str, str]:
    """Installed plug-ins of a group: name -> "module:attr"."""
    return {ep.name: ep.value for ep in entry_points(group=group)}


def load(group: str, name: str):
    """The class registered under ``name`` in entry-point ``group``."""
    eps = {ep.name: ep for ep in entry_points(group=group)}
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none installed"
        raise PluginError(f"unknown {group.split('.')[-1]} plug-in {name!r}; installed: {known}")
    try:
        obj = eps[name].load()
    except Exception as exc:  # a broken third-party package must not crash with a traceback
        raise PluginError(f"plug-in {name!r} ({eps[name].value}) failed to load: {exc}") from exc
    check_class(obj, f"{group.split('.')[-1]} plug-in {name!r} ({eps[name].value})")
    return obj


def check_class(obj, label: str) -> None:
    """Raise PluginError (one line, naming ``label``) unless ``obj`` is a plug-in class of this API."""
    if not isinstance(obj, type):
        raise PluginError(f"{label} is a {type(obj).__name__}, not a class")
    if not callable(getattr(obj, "build", None)):
        raise PluginError(f"{label} has no build() method")
    version = getattr(obj, "api_version", None)
    if version is None:
        raise PluginError(f"{label} declares no api_version; add `api_version = {API_VERSION}` "
                          f"to the class once it follows the contract in docs/plugins.md")
    if version != API_VERSION:
        raise PluginError(f"{label} has api_version {version!r}, this mikmc supports {API_VERSION}; "
                          "upgrade the plug-in package or mikmc")


def distribution_of(group: str, name: str) -> tuple[str, str]:
    """(distribution name, version) that provides a plug-in, for provenance."""
    for ep in entry_points(group=group):
        if ep.name == name and ep.dist is not None:
            return ep.dist.name, ep.dist.version
    return "unknown", "unknown"
