"""The ``mikmc`` command line: one module per command group — runs, campaigns and store tools
(:mod:`~kmc.cli.main`), report/phases/snapshots (:mod:`~kmc.cli.report`), calibration
(:mod:`~kmc.cli.calibrate`), barriers (:mod:`~kmc.cli.barriers`) — with progress display
(:mod:`~kmc.cli.progress`) and output-path choice (:mod:`~kmc.cli.output_path`).

May import every other package; nothing imports it.
"""

from kmc.cli.main import main

__all__ = ["main"]
