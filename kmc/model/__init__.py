"""The physical systems of one run: the N ions on their lattice (:mod:`~kmc.model.ions`, driving the
jitted KMC core) and the spins of the metal they leave behind (:mod:`~kmc.model.magnet`), with the
helpers that copy their state for checkpoints (:mod:`~kmc.model.state`), and the measures of the
ferromagnetic network a state holds (:mod:`~kmc.model.ferro_network`) and of where its regrown
moment came from (:mod:`~kmc.model.regrowth`).

May import: :mod:`kmc.core`, :mod:`kmc.plugins`, :mod:`kmc.lattices`, :mod:`kmc.storage` (frame
field declarations), :mod:`kmc.units`. Knows nothing of configs, protocols, stores on disk or CLIs.
"""
