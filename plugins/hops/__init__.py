"""Hop-rate plug-ins (entry-point group ``mikmc.hops``)."""
