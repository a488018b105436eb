"""Bundled protocols (TOML), installed as ``kmc.runs``; list them with ``mikmc protocols``."""
