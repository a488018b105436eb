"""Hop barriers from atomistic data: environments, NEB with any ASE calculator, the data file, the LCE fit.

Engine-independent (no numba, no run state): ``mikmc barriers`` (kmc/cli/barriers.py) and the
``table`` / ``lce`` hop plug-ins (plugins/hops/) use it. See docs/barriers.md.

* :mod:`kmc.barriers.environments` — the local environment of an N hop on the rocksalt N sublattice,
  its symmetry, enumeration up to symmetry and sampling from a run's snapshots.
* :mod:`kmc.barriers.neb` — build the two end states of one hop in an ASE supercell and run a
  climbing-image NEB with any ASE calculator.
* :mod:`kmc.barriers.datafile` — read, check and append the barrier data file (CSV or JSON).
* :mod:`kmc.barriers.fit` — local cluster expansion of the barrier, ridge least squares with
  cross-validation.
* :mod:`kmc.barriers.campaign` — the ``mikmc barriers run`` campaign: config, tasks, resume, MPI.

May import: :mod:`kmc.config` (config checks), :mod:`kmc.campaigns` (the MPI scheduler),
:mod:`kmc.storage` (a run's snapshots, to sample environments from).
"""
