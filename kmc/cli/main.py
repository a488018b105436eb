"""The ``mikmc`` group: one BLAS thread per process, and the command groups registered under it."""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    # one engine per process (per MPI rank): BLAS threads would only oversubscribe the cores
    os.environ.setdefault(_var, "1")

import click  # noqa: E402

from kmc.cli.barriers import barriers  # noqa: E402
from kmc.cli.calibrate import calibrate  # noqa: E402
from kmc.cli.campaign import campaign  # noqa: E402
from kmc.cli.errors import Commands  # noqa: E402
from kmc.cli.info import info, list_plugins, protocols  # noqa: E402
from kmc.cli.network import network  # noqa: E402
from kmc.cli.regrowth import regrowth  # noqa: E402
from kmc.cli.report import export, phases, report  # noqa: E402
from kmc.cli.run import run  # noqa: E402


@click.group(cls=Commands)
@click.version_option(package_name="mikmc")
@click.option("--debug", is_flag=True, help="Show the full traceback of an internal error.")
def main(debug):
    """mikmc: magneto-ionic kinetic Monte Carlo of N³⁻ ions in CoFeN films."""


for _command in (run, info, list_plugins, protocols, campaign, phases, report, export, network, regrowth, calibrate,
                 barriers):
    main.add_command(_command)


if __name__ == "__main__":
    main()
