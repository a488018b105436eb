"""The barrier data file: one row per hop direction, written by ``mikmc barriers run``, read by the
``table`` and ``lce`` hop plug-ins. CSV (appendable) or JSON.

CSV: ``#`` lines first (``# mikmc-barriers 1``, then ``# key: <JSON value>`` metadata: the config,
the calculator, units), then a header row and one row per hop direction::

    task,direction,n_occ,n_co,shell,metals,barrier_ev,delta_e_ev,converged,source

JSON: ``{"format": "mikmc-barriers", "version": 1, "meta": {...}, "rows": [{...}, ...]}`` (or just
the list of rows), the same keys per row.

=============  ========  ===========================================================================
column         required  meaning
=============  ========  ===========================================================================
n_occ          yes       occupied N neighbours of the start site (the target, vacant, not counted)
n_co           yes       Co among the start site's metal neighbours
barrier_ev     yes       barrier of the hop (eV), finite, >= 0
source         yes       where the number comes from (calculator, method, reference)
shell, metals  no        the site-resolved environment (kmc.barriers.environments): the lce fit
                         uses it; rows without it enter the fit through their code only
delta_e_ev     no        E(end) − E(start) of the hop (eV)
task           no        id of the NEB (both directions of one NEB share it)
direction      no        forward / backward
converged      no        true/false (default true); rows with false are skipped by the plug-ins
=============  ========  ===========================================================================

Every problem is a one-line ``ValueError`` naming the file and the line (CSV) or row (JSON).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from kmc.barriers.environments import Environment, code_label

FORMAT, VERSION = "mikmc-barriers", 1
COLUMNS = ("task", "direction", "n_occ", "n_co", "shell", "metals", "barrier_ev", "delta_e_ev", "converged",
           "source")
REQUIRED = ("n_occ", "n_co", "barrier_ev", "source")
#: units of the numeric columns (written into every file's metadata)
UNITS = {"barrier_ev": "eV", "delta_e_ev": "eV"}
#: what the environment columns mean (written into the metadata of files made by `mikmc barriers run`)
ENVIRONMENT_DOC = ("start site of an N hop on the rocksalt N sublattice; n_occ: occupied N neighbours (target "
                   "excluded, it is vacant); n_co: Co among its 6 metal neighbours; shell: 1/0 occupation of the "
                   "12 N neighbours in the order of kmc.barriers.environments.SHELL_N, hop towards (1,1,0) a/2; "
                   "metals: 1 = Co, 0 = Fe, order METALS")


@dataclass(frozen=True)
class BarrierRow:
    """One hop direction of the data file (energies in eV)."""

    n_occ: int
    n_co: int
    barrier_ev: float
    source: str
    env: Environment | None = None
    delta_e_ev: float = math.nan
    task: str = ""
    direction: str = ""
    converged: bool = True

    @property
    def code(self) -> tuple[int, int]:
        return self.n_occ, self.n_co

    def as_dict(self) -> dict:
        return {"task": self.task, "direction": self.direction, "n_occ": self.n_occ, "n_co": self.n_co,
                "shell": self.env.shell if self.env else "", "metals": self.env.metals if self.env else "",
                "barrier_ev": self.barrier_ev, "delta_e_ev": None if math.isnan(self.delta_e_ev) else self.delta_e_ev,
                "converged": self.converged, "source": self.source}


@dataclass
class BarrierData:
    """A read data file: metadata and rows (all of them; :meth:`usable` drops unconverged ones)."""

    path: Path
    meta: dict = field(default_factory=dict)
    rows: list[BarrierRow] = field(default_factory=list)

    def usable(self) -> list[BarrierRow]:
        return [r for r in self.rows if r.converged]

    def tasks(self) -> set[str]:
        return {r.task for r in self.rows if r.task}

    def by_code(self) -> dict[tuple[int, int], list[BarrierRow]]:
        out: dict[tuple[int, int], list[BarrierRow]] = {}
        for r in self.usable():
            out.setdefault(r.code, []).append(r)
        return out


def bundled() -> dict[str, Path]:
    """Data sets shipped with mikmc: name -> file (``kmc/data/barriers_<name>.json``)."""
    root = Path(str(resources.files("kmc") / "data"))
    return {p.stem.removeprefix("barriers_"): p for p in sorted(root.glob("barriers_*.json"))}


def resolve(path) -> Path:
    """A data file from a path, or from the name of a bundled data set (``emt_nin``)."""
    p = Path(str(path))
    if str(path) and p.is_file():
        return p
    sets = bundled()
    if str(path) in sets:
        return sets[str(path)]
    if not str(path):
        raise ValueError("path: required, a barrier data file (CSV or JSON, written by `mikmc barriers run`) "
                         f"or a bundled data set ({', '.join(sets) or 'none'})")
    if p.is_dir():
        raise ValueError(f"barrier data file {str(path)!r} is a directory")
    raise ValueError(f"barrier data file {str(path)!r} not found (a CSV or JSON file written by `mikmc barriers "
                     f"run`, or a bundled data set: {', '.join(sets) or 'none'})")


def _int(where: str, key: str, raw) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"{where}: {key} = {raw!r}: must be an integer >= 0") from None
    if value < 0 or (isinstance(raw, float) and raw != value):
        raise ValueError(f"{where}: {key} = {raw!r}: must be an integer >= 0")
    return value


def _float(where: str, key: str, raw, optional: bool = False) -> float:
    if optional and (raw is None or str(raw).strip() == ""):
        return math.nan
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise ValueError(f"{where}: {key} = {raw!r}: not a number (eV)") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {key} = {raw!r}: must be finite (eV)")
    return value


def _row(where: str, raw: dict) -> BarrierRow:
    for key in REQUIRED:
        if raw.get(key) is None or str(raw.get(key)).strip() == "":
            raise ValueError(f"{where}: no {key}" + (" (where the barrier comes from: calculator, method or "
                                                     "reference)" if key == "source" else ""))
    n_occ, n_co = _int(where, "n_occ", raw["n_occ"]), _int(where, "n_co", raw["n_co"])
    barrier = _float(where, "barrier_ev", raw["barrier_ev"])
    if barrier < 0:
        raise ValueError(f"{where}: barrier_ev = {raw['barrier_ev']!r}: barriers must be >= 0 eV")
    env = None
    shell, metals = str(raw.get("shell") or "").strip(), str(raw.get("metals") or "").strip()
    if shell or metals:
        try:
            env = Environment(shell, metals)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if env.code != (n_occ, n_co):
            raise ValueError(f"{where}: shell/metals give {code_label(*env.code)}, the row says "
                             f"{code_label(n_occ, n_co)}")
    conv = raw.get("converged", True)
    if isinstance(conv, str):
        low = conv.strip().lower()
        if low not in ("", "true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"{where}: converged = {conv!r}: must be true or false")
        conv = low in ("", "true", "1", "yes")
    direction = str(raw.get("direction") or "").strip()
    if direction not in ("", "forward", "backward"):
        raise ValueError(f"{where}: direction = {direction!r}: must be forward, backward or empty")
    return BarrierRow(n_occ=n_occ, n_co=n_co, barrier_ev=barrier, source=str(raw["source"]).strip(), env=env,
                      delta_e_ev=_float(where, "delta_e_ev", raw.get("delta_e_ev"), optional=True),
                      task=str(raw.get("task") or "").strip(), direction=direction, converged=bool(conv))


def read(path, allow_empty: bool = False) -> BarrierData:
    """Read and check a data file (CSV or JSON, by content); a one-line ValueError on any problem
    (a file without rows is one unless ``allow_empty``)."""
    p = resolve(path)
    label = f"barrier data file {str(path)!r}"
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{label}: not a UTF-8 text file (expected CSV or JSON)") from None
    except OSError as exc:
        raise ValueError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    data = _read_json(label, text) if text.lstrip().startswith(("{", "[")) else _read_csv(label, text)
    data.path = p
    if not data.rows and not allow_empty:
        raise ValueError(f"{label}: no barrier rows")
    return data


def _read_json(label: str, text: str) -> BarrierData:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{label}: not valid JSON ({exc})") from None
    meta = {}
    if isinstance(obj, dict):
        if obj.get("format", FORMAT) != FORMAT:
            raise ValueError(f"{label}: format {obj.get('format')!r}, expected {FORMAT!r}")
        if obj.get("version", VERSION) != VERSION:
            raise ValueError(f"{label}: version {obj.get('version')!r}; this mikmc reads version {VERSION}")
        meta, rows = obj.get("meta", {}), obj.get("rows")
    else:
        rows = obj
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError(f'{label}: expected {{"rows": [{{"n_occ": ..., "n_co": ..., "barrier_ev": ..., '
                         '"source": ...}, ...]}')
    return BarrierData(Path(), meta, [_row(f"{label}, row {i}", r) for i, r in enumerate(rows)])


def _read_csv(label: str, text: str) -> BarrierData:
    meta, body = {}, []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep and key.strip():
                try:
                    meta[key.strip()] = json.loads(value)
                except json.JSONDecodeError:
                    meta[key.strip()] = value.strip()
        elif line.strip():
            body.append((number, line))
    if not body:
        return BarrierData(Path(), meta, [])
    header_line, header = body[0][0], next(csv.reader([body[0][1]]))
    header = [h.strip() for h in header]
    missing = [k for k in REQUIRED if k not in header]
    if missing:
        raise ValueError(f"{label}: line {header_line}: the header has no column {', '.join(missing)} "
                         f"(required: {', '.join(REQUIRED)}; found: {', '.join(header)})")
    rows = []
    for number, line in body[1:]:
        cells = next(csv.reader([line]))
        if len(cells) != len(header):
            raise ValueError(f"{label}: line {number}: {len(cells)} fields, the header has {len(header)}")
        rows.append(_row(f"{label}: line {number}", dict(zip(header, cells))))
    return BarrierData(Path(), meta, rows)


def _is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def create(path, meta: dict) -> None:
    """Start a new data file at ``path`` (.json: JSON, else CSV) holding ``meta`` and no rows."""
    path = Path(path)
    meta = {**meta, "units": UNITS}
    if _is_json(path):
        _write_json(path, meta, [])
        return
    lines = [f"# {FORMAT} {VERSION}"] + [f"# {k}: {json.dumps(v, sort_keys=True)}" for k, v in meta.items()]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(COLUMNS)
    path.write_text("\n".join(lines) + "\n" + buf.getvalue())


def _write_json(path: Path, meta: dict, rows: list[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"format": FORMAT, "version": VERSION, "meta": meta, "rows": rows}, indent=1) + "\n")
    os.replace(tmp, path)


def append(path, rows: list[BarrierRow]) -> None:
    """Append rows to a data file made by :func:`create` (CSV: appended and synced; JSON: rewritten)."""
    path = Path(path)
    if _is_json(path):
        obj = json.loads(path.read_text())
        _write_json(path, obj.get("meta", {}), obj.get("rows", []) + [r.as_dict() for r in rows])
        return
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for r in rows:
        d = r.as_dict()
        d["delta_e_ev"] = "" if d["delta_e_ev"] is None else repr(d["delta_e_ev"])
        d["barrier_ev"] = repr(d["barrier_ev"])
        d["converged"] = "true" if d["converged"] else "false"
        writer.writerow([d[k] for k in COLUMNS])
    with open(path, "a") as fh:
        fh.write(buf.getvalue())
        fh.flush()
        os.fsync(fh.fileno())


def write(path, rows: list[BarrierRow], meta: dict | None = None) -> None:
    """A complete data file in one go (e.g. a hand-made table)."""
    create(path, meta or {})
    append(path, rows)
