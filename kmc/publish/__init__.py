"""Generated documentation: the blocks of docs/paper.md and docs/calibration.md written from
committed results (``python -m kmc.publish.paper_doc``), so no number in the docs is typed by hand.

May import: :mod:`kmc.paper`, :mod:`kmc.calibration`, :mod:`kmc.analysis`, :mod:`kmc.config`.
Nothing imports it but tests and maintainers.
"""
