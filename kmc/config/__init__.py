"""Configuration: a protocol file (TOML) or dict becomes a checked :class:`RunConfig` — the plug-ins
it names, the run settings, the protocol's segments (:mod:`~kmc.config.protocol`) — plus size
limits of a run (:mod:`~kmc.config.limits`) and the similarity scaling of a protocol to a thinner
film (:mod:`~kmc.config.reduced`). The loader is :mod:`kmc.config.loader`; its public names are
re-exported here (``from kmc.config import load, ConfigError``).

May import: :mod:`kmc.model` (parameter classes of the field and the magnet), :mod:`kmc.plugins`,
:mod:`kmc.units`. Builds no run and writes nothing.
"""

from kmc.config.loader import (DEFAULT_PROTOCOL, MAX_FRAMES, MISSING, PLAIN_SECTIONS, PLUGIN_SECTIONS, RUN_KEYS,
                               SEGMENT_KEYS, TOP_KEYS, ConfigError, PluginSpec, RunConfig, apply_overrides,
                               bundled_files, bundled_protocols, check_keys, check_number, find_bundled,
                               find_protocol, from_dict, load, plugin_defaults, read_toml)

__all__ = ["DEFAULT_PROTOCOL", "MAX_FRAMES", "MISSING", "PLAIN_SECTIONS", "PLUGIN_SECTIONS", "RUN_KEYS",
           "SEGMENT_KEYS", "TOP_KEYS", "ConfigError", "PluginSpec", "RunConfig", "apply_overrides", "bundled_files",
           "bundled_protocols", "check_keys", "check_number", "find_bundled", "find_protocol", "from_dict", "load",
           "plugin_defaults", "read_toml"]
