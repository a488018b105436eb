"""Sweep kernels per exchange plug-in, compiled once per machine and loaded from numba's disk cache.

The Metropolis sweeps (template :mod:`kmc.core.sweeps`) call the plug-in's jitted ΔE function.
Passed as an argument, a dispatcher cannot be cached safely (numba keys the cache index on its
type, tied to one function object: the next process with another plug-in fails with
"ReferenceError: underlying object has vanished", numba issue #2956), so every process compiled
the sweeps again. Instead, :func:`sweep_kernels` writes, for each ΔE function, a small module into
the kernel cache directory: the template's text with its header swapped for an import of that
``delta_e`` by module path, and ``@njit(cache=True)``. numba caches functions of a real file per
file, so the second process with the same plug-in loads the compiled kernels and compiles nothing.

The module's file name holds the plug-in's identity (module and qualified name of ``delta_e``)
and a hash of the generated text, which contains the SHA-256 of the plug-in's source file and of
the kernel sources (template, :mod:`kmc.core.spins`, :mod:`kmc.core.rng`): changed code gets a new
module, and two plug-ins never share a cache entry. (numba does not notice changes in other files a
cached function calls into; a ``delta_e`` that calls helpers in *another* module of its own is not
re-hashed when only that module changes: clear the cache, see below.)

Cache directory: ``$MIKMC_KERNEL_CACHE`` if set, else ``$XDG_CACHE_HOME/mikmc/kernels`` (default
``~/.cache/mikmc/kernels``), else, if that is not writable, ``<tmp>/mikmc-kernels-<uid>``. numba
keeps the compiled code in its ``__pycache__`` (or under ``$NUMBA_CACHE_DIR``). Deleting the
directory is always safe.

A ``delta_e`` that cannot be imported by module path (defined inside a function, in ``__main__``,
or replaced in its module) gets an uncached in-memory copy of the kernels, compiled in every
process, with a one-time warning. Plug-ins should define ``delta_e`` at module level with
``@njit(cache=True)``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import re
import stat
import sys
import tempfile
import threading
import types
import uuid
import warnings
from pathlib import Path

ENV_VAR = "MIKMC_KERNEL_CACHE"
TEMPLATE = Path(__file__).with_name("sweeps.py")
#: sources the kernels' code comes from (numba does not track them for a cached function)
_KERNEL_SOURCES = (TEMPLATE, Path(__file__).with_name("spins.py"), Path(__file__).with_name("rng.py"))
_HEADER = re.compile(r"^# >>> mikmc-kernel-header.*?^# <<< mikmc-kernel-header[^\n]*\n", re.M | re.S)
_MODULE_PREFIX = "mikmc_kernels_"

_lock = threading.Lock()
_kernels: dict[int, tuple[object, types.ModuleType]] = {}  # id(delta_e) -> (delta_e, kernels)
_warned: set[str] = set()


class UncachedKernelsWarning(UserWarning):
    """The sweep kernels of a ΔE function are compiled in every process (not cached on disk)."""


def sweep_kernels(delta_e) -> types.ModuleType:
    """The sweep kernels for ``delta_e``: a module with ``sweep_ising(spins, active, nbr, jb, hz,
    kt_ev, n_attempts, rng, sequential)`` and ``sweep_vector(spins, active, nbr, jb, hz, ks, axis,
    step, kt_ev, n_attempts, rng, sequential)`` (see :mod:`kmc.core.sweeps`) calling ``delta_e``.

    Memoised per function object; the first call in a process writes (if needed) and imports the
    cached kernel module, which compiles nothing when an earlier process compiled the same kernel
    for the same argument types."""
    hit = _kernels.get(id(delta_e))
    if hit is not None and hit[0] is delta_e:
        return hit[1]
    with _lock:
        hit = _kernels.get(id(delta_e))
        if hit is not None and hit[0] is delta_e:
            return hit[1]
        mod = _build(delta_e)
        _kernels[id(delta_e)] = (delta_e, mod)  # holds delta_e: its id is not reused
        return mod


def kernel_cache_dir() -> Path | None:
    """The directory the kernel modules are written to (created, checked writable), or None."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        candidates = [Path(env).expanduser()]
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
        candidates = [base / "mikmc" / "kernels"]
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    candidates.append(Path(tempfile.gettempdir()) / f"mikmc-kernels-{uid}")
    for i, path in enumerate(candidates):
        if _usable(path, private=i == len(candidates) - 1):
            return path
    return None


def _usable(path: Path, private: bool) -> bool:
    """``path`` exists (created if need be) and is writable; a ``private`` one (in the shared temp
    directory) must also be ours and not writable by others, as we import code from it."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if private and hasattr(os, "getuid"):
            st = path.stat()
            if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return False
        tempfile.TemporaryFile(dir=path).close()
        return True
    except OSError:
        return False


def identity(delta_e) -> tuple[str, str] | str:
    """(module, qualified name) by which ``delta_e`` is importable, or the reason it is not."""
    py = getattr(delta_e, "py_func", None)
    if py is None:
        return "not a numba dispatcher"
    modname = getattr(py, "__module__", None) or ""
    qual = getattr(py, "__qualname__", "") or ""
    if not modname or modname in ("__main__", "__mp_main__"):
        return f"defined in {modname or 'no module'}"
    if "<" in qual:
        return "defined inside a function"
    if not all(p.isidentifier() for p in modname.split(".") + qual.split(".")):
        return f"{modname}:{qual} is not an import path"
    obj = sys.modules.get(modname)
    if obj is None:
        return f"module {modname} is not imported"
    for part in qual.split("."):
        obj = getattr(obj, part, None)
    if obj is not delta_e:
        return f"{modname}.{qual} is not this function"
    file = getattr(sys.modules[modname], "__file__", None)
    if not file or not os.path.isfile(file):
        return f"module {modname} has no source file"
    return modname, qual


def _sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _template(header: str) -> str:
    text = TEMPLATE.read_text(encoding="utf-8")
    out, n = _HEADER.subn(lambda _m: header, text, count=1)
    if n != 1:  # pragma: no cover - guards edits of the template
        raise RuntimeError(f"{TEMPLATE}: mikmc-kernel-header markers not found")
    return out


def module_source(modname: str, qual: str) -> str:
    """Text of the cached kernel module for the ``delta_e`` at ``modname``.``qual``."""
    plugin_file = sys.modules[modname].__file__
    stamps = "\n".join(f"#   {p.name}: {_sha(p)}" for p in _KERNEL_SOURCES)
    header = (
        "# >>> mikmc-kernel-header (generated by kmc.core.kernels; do not edit)\n"
        f"# delta_e: {modname}.{qual} ({plugin_file}: sha256 {_sha(plugin_file)})\n"
        f"# kernel sources:\n{stamps}\n"
        "import importlib as _importlib  # noqa: E402\n\n"
        f"delta_e = _importlib.import_module({modname!r})"
        + "".join(f".{p}" for p in qual.split(".")) + "\n\n"
        "CACHE = True\n"
        "# <<< mikmc-kernel-header\n")
    return _template(header)


def module_path(directory: Path, modname: str, qual: str, source: str) -> Path:
    stem = re.sub(r"\W", "_", f"{modname}__{qual}")[-80:]
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return directory / f"{_MODULE_PREFIX}{stem}__{digest}.py"


def _write(path: Path, source: str) -> None:
    """Write ``source`` to ``path`` unless it is there already (atomic: ranks may race)."""
    try:
        if path.read_text(encoding="utf-8") == source:
            return
    except (OSError, UnicodeDecodeError):
        pass
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(source, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _import(path: Path) -> types.ModuleType:
    name = path.stem
    mod = sys.modules.get(name)
    if mod is not None and getattr(mod, "__file__", None) == str(path):
        return mod
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # numba rebuilds a cached function's environment from sys.modules
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return mod


def _uncached(delta_e, label: str) -> types.ModuleType:
    """An in-memory copy of the template whose kernels call ``delta_e`` (compiled per process)."""
    mod = types.ModuleType(f"{_MODULE_PREFIX}uncached")
    mod.__dict__["delta_e"] = delta_e
    header = "# >>> mikmc-kernel-header\nCACHE = False\n# <<< mikmc-kernel-header\n"
    exec(compile(_template(header), f"<mikmc sweep kernels for {label}>", "exec"), mod.__dict__)
    return mod


def _warn_once(key: str, message: str) -> None:
    from numba.core import config

    if key not in _warned and not config.DISABLE_JIT:  # nothing is compiled without the JIT
        _warned.add(key)
        warnings.warn(message, UncachedKernelsWarning, stacklevel=4)


def _build(delta_e) -> types.ModuleType:
    ident = identity(delta_e)
    label = getattr(getattr(delta_e, "py_func", delta_e), "__qualname__", repr(delta_e))
    if isinstance(ident, str):
        _warn_once(label, f"the spin sweep kernels for delta_e {label!r} are compiled in every process "
                          f"({ident}); define delta_e at module level to have them cached")
        return _uncached(delta_e, label)
    modname, qual = ident
    directory = kernel_cache_dir()
    if directory is not None:
        try:
            source = module_source(modname, qual)
            path = module_path(directory, modname, qual, source)
            _write(path, source)
            mod = _import(path)
            if mod.delta_e is delta_e:
                return mod
            reason = f"{path} imports another delta_e"
        except Exception as exc:  # noqa: BLE001 - any failure: fall back to the uncached kernels
            reason = f"{type(exc).__name__}: {exc}"
    else:
        reason = f"no writable kernel cache directory (set {ENV_VAR})"
    _warn_once(f"{modname}.{qual}", f"the spin sweep kernels for {modname}.{qual} are compiled in every "
                                    f"process ({reason})")
    return _uncached(delta_e, f"{modname}.{qual}")
