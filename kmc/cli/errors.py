"""The CLI's one error path: every error reaches the user as one line, never as a traceback.

- :func:`fail`: the line ``error: ...`` on stderr and exit status 2 (a user error; nothing written).
- :func:`failing`: a block whose expected exceptions end the command through :func:`fail`.
- :class:`Commands`: the ``mikmc`` group's class; what a command leaves uncaught becomes one line too.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Iterator, NoReturn

import click

from kmc.config import ConfigError


def fail(message: str, status: int = 2) -> NoReturn:
    """The one line an error gets (``error: MESSAGE`` on stderr), then exit ``status`` (2: a user error)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


@contextlib.contextmanager
def failing(*kinds: type[Exception], prefix: str = "") -> Iterator[None]:
    """Exceptions of ``kinds`` raised in the block :func:`fail` with ``prefix`` + their text."""
    try:
        yield
    except kinds as exc:
        fail(f"{prefix}{exc}")


def _write_traceback() -> Path | None:
    """Save the current exception's traceback to a file in the temp directory; its path (or None)."""
    import tempfile
    import traceback

    path = Path(tempfile.gettempdir()) / f"mikmc-error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    try:
        path.write_text(f"mikmc {' '.join(sys.argv[1:])}\n\n{traceback.format_exc()}")
    except OSError:
        return None
    return path


class Commands(click.Group):
    """The ``mikmc`` group: every error reaches the user as one line, never as a traceback.

    A bad input (ConfigError, an unreadable or unwritable file) exits 2; anything unexpected exits 1
    with the path of a file holding the traceback (``--debug`` or MIKMC_DEBUG=1 shows it instead).
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the one place that turns errors into lines
            if ctx.params.get("debug") or os.environ.get("MIKMC_DEBUG"):
                raise
            if isinstance(exc, ConfigError):
                fail(str(exc))
            if isinstance(exc, OSError) and exc.strerror:
                fail(f"{exc.filename or ''}{': ' if exc.filename else ''}{exc.strerror}")
            where = _write_traceback()
            fail(f"internal error, {type(exc).__name__}: {exc}"
                 + (f" (traceback in {where}; --debug shows it)" if where else ""), status=1)


__all__ = ["Commands", "fail", "failing"]
