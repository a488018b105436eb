"""Jitted inner loops (numba): the sum tree, the site records and the hop event loop, the metals'
N counts of a metal-centred energy, the EDL field, Metropolis spin sweeps and Néel–Brown reversals, the random stream, huge-page placement.
Arrays in, arrays out: no plug-in, no Python object is imported here.

May import: numpy and numba only (nothing else of ``kmc``).
"""
