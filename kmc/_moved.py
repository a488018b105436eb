"""Module paths from before ``kmc`` was organised by stage (``kmc.ions``, ``kmc.store``, …) still
import, as a read-only alias of the module's new home (or homes, for a module that was split),
with a DeprecationWarning naming it.
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
    "kmc.campaign": ("kmc.campaigns.campaign", "kmc.campaigns.runner"),
    "kmc.campaign_store": "kmc.campaigns.campaign_store", "kmc.scheduler": "kmc.campaigns.scheduler",
    "kmc.calibrate": tuple(f"kmc.calibration.{m}" for m in (
        "calibrate", "spec", "parse", "quantities", "evaluate", "result", "least_squares", "write_config", "store")),
    "kmc.calibrate_surrogate": ("kmc.calibration.surrogate_search", "kmc.calibration.spec", "kmc.calibration.parse"),
    "kmc.surrogate": "kmc.calibration.surrogate",
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
        homes = [new] if isinstance(new, str) else list(new)
        warnings.warn(f"{module.__name__} is now {' / '.join(homes)}; the old path will be removed",
                      DeprecationWarning, stacklevel=2)
        real = [importlib.import_module(m) for m in homes]

        def lookup(attr):
            for m in real:
                if hasattr(m, attr):
                    return getattr(m, attr)
            raise AttributeError(f"module {module.__name__!r} (now {' / '.join(homes)}) has no attribute {attr!r}")

        module.__doc__ = f"Deprecated alias of {', '.join(homes)}."
        module.__getattr__ = lookup
        module.__dir__ = lambda: sorted(set().union(*(dir(m) for m in real)))


def install() -> None:
    """Register the finder once (called by ``kmc/__init__``)."""
    if not any(isinstance(f, _OldPaths) for f in sys.meta_path):
        sys.meta_path.append(_OldPaths())
