"""Electrolyte-boundary plug-ins (entry-point group ``mikmc.boundaries``)."""
