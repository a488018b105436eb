"""Post-processing of stores, independent of the paper: diffusion statistics
(:mod:`~kmc.analysis.diffusion`), a run's summary (:mod:`~kmc.analysis.summary`), replica
statistics (:mod:`~kmc.analysis.stats`), phase identification against pymatgen references
(:mod:`~kmc.analysis.phase_id`, :mod:`~kmc.analysis.phase_refs`) and diffraction
(:mod:`~kmc.analysis.diffraction`).

May import: :mod:`kmc.storage`, :mod:`kmc.units`, :mod:`kmc.data` (the bundled formation energies); reads
stores, never runs the engine.
"""

from kmc.analysis.diffusion import (CORRELATION_FACTOR_VACANCY, correlation_factor, diffusivity_cm2_s,
                                    random_walk_diffusivity_cm2_s, tracer_msd)

__all__ = ["CORRELATION_FACTOR_VACANCY", "correlation_factor", "diffusivity_cm2_s", "random_walk_diffusivity_cm2_s",
           "tracer_msd"]
