"""The ``mikmc`` command line, one module per command group:

- :mod:`~kmc.cli.main`: the ``mikmc`` group, and the commands registered under it.
- :mod:`~kmc.cli.errors`: the one error path (a line ``error: ...``, exit status 2; a traceback file if unexpected).
- :mod:`~kmc.cli.run`: ``run`` (and ``run --resume``).
- :mod:`~kmc.cli.campaign`: ``campaign`` (and ``campaign --status``).
- :mod:`~kmc.cli.info`: ``info``, ``plugins``, ``protocols``.
- :mod:`~kmc.cli.report`: ``phases``, ``report``, ``export``.
- :mod:`~kmc.cli.calibrate`: ``calibrate``.
- :mod:`~kmc.cli.barriers`: the ``barriers`` group (``run``, ``envs``, ``fit``).
- :mod:`~kmc.cli.progress`: a run's progress display; :mod:`~kmc.cli.output_path`: where a run's store goes.

May import every other package; nothing imports it.
"""

from kmc.cli.main import main

__all__ = ["main"]
