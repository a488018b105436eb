"""Calibration: fit ion and magnet parameters to measured targets by running campaigns —
least squares with common random numbers (:mod:`~kmc.calibration.calibrate`) or a Gaussian-process
surrogate search with a cheaper fidelity level (:mod:`~kmc.calibration.surrogate_search`,
:mod:`~kmc.calibration.surrogate`). See docs/calibration.md.

May import: :mod:`kmc.campaigns`, :mod:`kmc.config`, :mod:`kmc.storage`, :mod:`kmc.paper` (the
paper's Table 1 as targets).
"""
