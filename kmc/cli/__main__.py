"""``python -m kmc.cli`` = ``mikmc``."""

from kmc.cli.main import main

main()
