"""Calibration: fit model parameters to target quantities by running campaigns (docs/calibration.md).

A calibration file names one or several base protocols, the parameters to fit (dotted config keys
with bounds), and the targets (a quantity of one base protocol's runs, a value and a sigma); it is
read by :mod:`kmc.calibration.parse`. Every evaluation of the objective at a parameter vector runs
its campaigns, with common random numbers, into the calibration store, reusing what earlier runs
left there (:mod:`kmc.calibration.evaluate`, :mod:`kmc.calibration.store`), so calibrations resume.

:func:`calibrate` fits by the file's method: scipy.optimize.least_squares or Nelder-Mead on the
target residuals (:mod:`kmc.calibration.least_squares`), or ``method = "surrogate"``:
Gaussian-process models of the targets, optionally on a cheaper fidelity level with its bias
corrected on the full one (:mod:`kmc.calibration.surrogate_search`); ``method = "sensitivity"`` fits nothing and measures how
every target moves with each parameter (:mod:`kmc.calibration.sensitivity`). The result
(:mod:`kmc.calibration.result`) becomes protocol files by :mod:`kmc.calibration.write_config`.
"""

from __future__ import annotations

from typing import Callable

from kmc.calibration import least_squares, sensitivity, surrogate_search
from kmc.calibration.result import Result
from kmc.calibration.spec import Calibration


def calibrate(cal: Calibration, store_path, comm=None, max_evaluations: int | None = None,
              log=lambda m: None, evaluate: Callable | None = None, **options) -> Result | sensitivity.Sensitivity:
    """Fit ``cal`` (collective over ``comm``: every rank runs the same optimiser on broadcast values).

    Stops after ``max_evaluations`` parameter vectors (reused ones count) and reports the best so far.
    ``evaluate(batch, levels=None) -> [Evaluation]`` replaces the campaign runs (tests); ``options``
    go to the surrogate method (``max_core_hours``).
    """
    if cal.method == "sensitivity":
        return sensitivity.scan(cal, store_path, comm, log, evaluate)
    if cal.method == "surrogate":
        return surrogate_search.calibrate(cal, store_path, comm, max_evaluations, log, evaluate, **options)
    return least_squares.calibrate(cal, store_path, comm, max_evaluations, log, evaluate)
