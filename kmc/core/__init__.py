"""Jitted inner loops. Arrays in, arrays out: no plug-in, no Python object is imported here."""
