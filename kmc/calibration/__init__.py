"""Calibration: fit ion and magnet parameters to measured targets by running campaigns. See
docs/calibration.md. Modules, from the bottom up (each imports only those above it):

- :mod:`~kmc.calibration.quantities` — what a target measures in one run: named quantities
  (Table 1's ΔM_S, ΔM_R, …) and reductions of a store array.
- :mod:`~kmc.calibration.spec` — the read calibration: ``Parameter`` (bounds, unit coordinates),
  ``Target``, ``Calibration``, the surrogate options and fidelity levels.
- :mod:`~kmc.calibration.parse` — reading and checking a calibration file (``load_calibration``,
  ``from_dict``; Table 1 targets by default).
- :mod:`~kmc.calibration.store` — the calibration store: create/check it, record the result.
- :mod:`~kmc.calibration.evaluate` — evaluations: run (or reuse) the campaigns of parameter vectors
  with common random numbers; χ² of an evaluation.
- :mod:`~kmc.calibration.result` — the fit's result as a table and a dict.
- :mod:`~kmc.calibration.least_squares` — least squares (trust region reflective) or Nelder-Mead.
- :mod:`~kmc.calibration.surrogate` — Gaussian-process regression, Sobol designs, box minimisation.
- :mod:`~kmc.calibration.surrogate_search` — ``method = "surrogate"``: the GP search loop with an
  optional cheaper fidelity level.
- :mod:`~kmc.calibration.sensitivity` — ``method = "sensitivity"``: no fit; the change of every
  target over a step of each parameter, with paired-replica errors.
- :mod:`~kmc.calibration.write_config` — the calibrated protocol file(s) as TOML.
- :mod:`~kmc.calibration.calibrate` — ``calibrate()``: fit (or scan) by the file's method.

May import: :mod:`kmc.campaigns`, :mod:`kmc.config`, :mod:`kmc.storage`, :mod:`kmc.paper` (the
paper's Table 1 as targets), :mod:`kmc.analysis` (replica statistics).
"""
