"""Module paths from before ``kmc`` was organised by stage (``kmc.ions``, ``kmc.store``, …) still
import, as a read-only alias of the module's new home, with a DeprecationWarning naming it.
They will be removed in a later version; new code uses the paths on the right."""

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

MOVED = {
    "kmc.ions": "kmc.model.ions", "kmc.magnet": "kmc.model.magnet", "kmc.state": "kmc.model.state",
    "kmc.protocol": "kmc.config.protocol", "kmc.limits": "kmc.config.limits", "kmc.reduced": "kmc.config.reduced",
    "kmc.store": "kmc.storage.store", "kmc.integrity": "kmc.storage.integrity",
    "kmc.snapshots": "kmc.storage.snapshots", "kmc.checkpoint": "kmc.engine.checkpoint",
    "kmc.campaign": "kmc.campaigns.campaign", "kmc.campaign_store": "kmc.campaigns.campaign_store",
    "kmc.scheduler": "kmc.campaigns.scheduler", "kmc.calibrate": "kmc.calibration.calibrate",
    "kmc.calibrate_surrogate": "kmc.calibration.surrogate_search", "kmc.surrogate": "kmc.calibration.surrogate",
    "kmc.phase_id": "kmc.analysis.phase_id", "kmc.phase_refs": "kmc.analysis.phase_refs",
    "kmc.diffraction": "kmc.analysis.diffraction", "kmc.summary": "kmc.analysis.summary",
    "kmc.stats": "kmc.analysis.stats", "kmc.report": "kmc.paper.report", "kmc.paper_claims": "kmc.paper.claims",
    "kmc.paper_result": "kmc.paper.result", "kmc.claim_status": "kmc.paper.claim_status",
    "kmc.paper_doc": "kmc.publish.paper_doc", "kmc.cli_report": "kmc.cli.report",
    "kmc.cli_calibrate": "kmc.cli.calibrate", "kmc.cli_barriers": "kmc.cli.barriers",
    "kmc.progress": "kmc.cli.progress", "kmc.output_path": "kmc.cli.output_path",
}


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old names; each becomes a module whose attributes are those of the new one."""

    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name in MOVED else None

    def create_module(self, spec):
        return types.ModuleType(spec.name)

    def exec_module(self, module):
        new = MOVED[module.__name__]
        warnings.warn(f"{module.__name__} is now {new}; the old path will be removed", DeprecationWarning,
                      stacklevel=2)
        real = importlib.import_module(new)
        module.__doc__ = f"Deprecated alias of :mod:`{new}`."
        module.__getattr__ = lambda attr: getattr(real, attr)
        module.__dir__ = lambda: dir(real)


def install() -> None:
    """Register the finder once (called by ``kmc/__init__``)."""
    if not any(isinstance(f, _OldPaths) for f in sys.meta_path):
        sys.meta_path.append(_OldPaths())
