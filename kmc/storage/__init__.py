"""Results on disk: one run's Zarr store (:mod:`~kmc.storage.store`: frames, buffered writes,
checksums), its integrity check (:mod:`~kmc.storage.integrity`) and atomic snapshots
(:mod:`~kmc.storage.snapshots`). Layout: docs/store.md.

May import: zarr, numpy and nothing else of ``kmc`` (every stage above writes or reads through it).
"""
