"""The engine: :class:`~kmc.engine.simulation.Simulation` builds a run from its
:class:`~kmc.config.RunConfig` and steps the ions and their coupled processes frame by frame
through the protocol, observers measuring into a :class:`~kmc.storage.store.RunStore`;
:mod:`~kmc.engine.checkpoint` saves and resumes it exactly.

May import: :mod:`kmc.config`, :mod:`kmc.model`, :mod:`kmc.storage`, :mod:`kmc.plugins`,
:mod:`kmc.lattices`. No physics lives here; no CLI, no campaign.
"""

from kmc.engine.simulation import IonObserver, Observer, Process, Simulation, derive_seeds

__all__ = ["IonObserver", "Observer", "Process", "Simulation", "derive_seeds"]
