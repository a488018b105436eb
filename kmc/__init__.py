"""mikmc: magneto-ionic kinetic Monte Carlo of N³⁻ ions in CoFeN films (import name ``kmc``)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mikmc")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from kmc import _moved  # noqa: E402  old module paths keep importing (deprecated)

_moved.install()
