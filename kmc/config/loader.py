"""Read a TOML protocol, check every key, fill in defaults, and build the run's parts.

Keys of a plug-in section are the keyword arguments of the plug-in's constructor, so the
docstring of the plug-in class is the reference for them. Unknown keys are errors.
"""

from __future__ import annotations

import copy
import inspect
import math
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path

from kmc import plugins
from kmc.model.ions import FieldModel
from kmc.model.magnet import MagnetParams
from kmc.config.protocol import Segment, parse_duration_s

#: plug-in sections: section -> (entry-point group, default plug-in name). Later modules add theirs.
PLUGIN_SECTIONS: dict[str, tuple[str, str]] = {
    "lattice": ("mikmc.lattices", "rocksalt_film"),
    "hops": ("mikmc.hops", "arrhenius"),
    "boundary": ("mikmc.boundaries", "solubility"),
    "phases": ("mikmc.phases", "coordination"),
    "exchange": ("mikmc.exchange", "heisenberg"),
}
#: plain sections: section -> dataclass whose fields are the allowed keys.
PLAIN_SECTIONS: dict[str, type] = {"field": FieldModel, "magnet": MagnetParams}
RUN_KEYS = {"temperature_k": 300.0, "seed": 42, "frame_interval_s": 10.0, "snapshot_interval": "segment"}
SEGMENT_KEYS = ("label", "voltage_v", "field_oe", "field_end_oe", "duration")
TOP_KEYS = {"title", "description", "run", "segments"}
DEFAULT_PROTOCOL = "paper/high_m_3min"
#: most frames one run may record (each frame is kept in memory until the run ends)
MAX_FRAMES = 1_000_000


#: a ConfigError whose key has no value at all (missing from the file)
MISSING = object()


class ConfigError(ValueError):
    """A bad key or value in a protocol; ``str()`` is the one line the user sees."""

    def __init__(self, key: str, value, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key}: {allowed}" if value is MISSING else f"{key} = {value!r}: {allowed}")


def check_number(key: str, value, lo: float | None = None, hi: float | None = None, *, integer: bool = False,
                 unit: str = "") -> float:
    """``value`` as a finite number (int or float, not bool) within [lo, hi]; else a ConfigError on ``key``."""
    kind = "an integer" if integer else "a number"
    rng = ""
    if lo is not None and hi is not None:
        rng = f" in [{lo:g}, {hi:g}]"
    elif lo is not None:
        rng = f" >= {lo:g}"
    elif hi is not None:
        rng = f" <= {hi:g}"
    allowed = f"must be {kind}{rng}{' ' + unit if unit else ''}"
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if not ok_type or isinstance(value, bool):
        raise ConfigError(key, value, allowed)
    if not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(key, value, allowed)
    return value


def check_keys(where: str, table: dict, allowed, also=()) -> None:
    """ConfigError naming the first key of ``table`` that is not in ``allowed`` (nor ``also``,
    accepted but not advertised); ``where`` is the table's dotted path ('' at the top level)."""
    for key in table:
        if key not in allowed and key not in also:
            raise ConfigError(f"{where}.{key}" if where else key, table[key],
                              f"unknown key; allowed: {', '.join(allowed)}")


@dataclass
class PluginSpec:
    """A plug-in chosen in a protocol: its name, class and keyword arguments (defaults filled in)."""

    section: str
    group: str
    name: str
    cls: type
    params: dict

    def create(self):
        return self.cls(**self.params)

    def resolved(self) -> dict:
        return {"name": self.name, **self.params}


@dataclass
class RunConfig:
    title: str
    plugins: dict[str, PluginSpec]
    sections: dict[str, object]
    temperature_k: float
    seed: int
    frame_interval_s: float
    segments: list[Segment]
    snapshot_interval_s: float | None = None  # None: at segment ends only; 0: no snapshots
    source: str = "<dict>"
    description: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def field(self) -> FieldModel:
        return self.sections["field"]

    def resolved(self) -> dict:
        """The full config with every default filled in (stored with every result)."""
        out = {"title": self.title, "description": self.description}
        out.update({k: spec.resolved() for k, spec in self.plugins.items()})
        for name, obj in self.sections.items():
            out[name] = {f.name: getattr(obj, f.name) for f in fields(obj)}
        out["run"] = {"temperature_k": self.temperature_k, "seed": self.seed,
                      "frame_interval_s": self.frame_interval_s,
                      "snapshot_interval": ("segment" if self.snapshot_interval_s is None else
                                            "off" if self.snapshot_interval_s == 0 else f"{self.snapshot_interval_s!r} s")}
        out["segments"] = [{"label": s.label, "voltage_v": s.voltage_v, "field_oe": s.field_oe,
                            **({"field_end_oe": s.field_end_oe} if s.field_end_oe is not None else {}),
                            "duration": f"{s.duration_s:g} s"} for s in self.segments]
        return out


def bundled_files(folder: str) -> dict[str, Path]:
    """TOML files shipped under runs/<folder>/ (campaigns, calibrations, barriers): name -> file."""
    root = Path(str(resources.files("kmc.runs"))) / folder
    return {p.stem: p for p in sorted(root.glob("*.toml"))}


def find_bundled(kind: str, name_or_path, folder: str) -> Path:
    """A file from a path, or from the name of a file shipped under runs/<folder>/ (with or without
    ``.toml`` or a ``<folder>/`` prefix); else a ConfigError listing what is bundled."""
    path = Path(str(name_or_path))
    if path.is_file():
        return path
    bundled = bundled_files(folder)
    key = str(name_or_path).removesuffix(".toml").removeprefix(f"{folder}/")
    if key in bundled:
        return bundled[key]
    raise ConfigError(kind, str(name_or_path), f"no such file, nor a bundled {kind}; bundled: "
                      + (", ".join(bundled) or "none"))


def bundled_protocols() -> dict[str, Path]:
    """Protocols shipped with mikmc: name (path under runs/ without .toml) -> file."""
    root = resources.files("kmc.runs")
    out = {}
    for path in Path(str(root)).rglob("*.toml"):
        if path.relative_to(Path(str(root))).parts[0] in ("campaigns", "calibrations", "barriers"):  # campaign/calibration/NEB files, not protocols
            continue
        out[str(path.relative_to(Path(str(root))).with_suffix(""))] = path
    return dict(sorted(out.items()))


def find_protocol(name_or_path: str | None) -> Path:
    """A protocol file from a path, or from the name of a bundled protocol."""
    name = name_or_path or DEFAULT_PROTOCOL
    path = Path(name)
    if path.is_file():
        return path
    if path.is_dir():
        raise ConfigError("protocol", name, "is a directory; give a TOML file or a bundled protocol name")
    bundled = bundled_protocols()
    key = name.removesuffix(".toml")
    if key in bundled:
        return bundled[key]
    raise ConfigError("protocol", name, "no such file, nor a bundled protocol; bundled: "
                      + ", ".join(bundled))


def read_toml(kind: str, path: Path) -> dict:
    """Parse a TOML file; any failure (unreadable, not UTF-8 text, bad TOML, empty) is a
    :class:`ConfigError` on ``kind`` (protocol, campaign, …) naming the file."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(kind, str(path), f"not a UTF-8 text file (byte {exc.start}); "
                          "expected a TOML file") from None
    except OSError as exc:
        raise ConfigError(kind, str(path), f"cannot be read ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(kind, str(path), f"not valid TOML ({exc})") from None
    if not data:
        raise ConfigError(kind, str(path), "the file is empty (no TOML keys)")
    return data


def load(name_or_path: str | None = None, overrides: dict | None = None) -> RunConfig:
    """Read and check a protocol file (or a bundled protocol by name)."""
    path = find_protocol(name_or_path)
    data = read_toml("protocol", path)
    if overrides:
        data = apply_overrides(data, overrides)
    return from_dict(data, source=str(path))


def apply_overrides(data: dict, overrides: dict) -> dict:
    """Set dotted keys ("hops.barrier_ev": 0.6) in a copy of a config dict, in order.

    A list entry is addressed by its index (``segments.2.field_oe``); ``*`` addresses every entry
    of a list (``segments.*.field_oe = 0``), and a later, more specific key overrides it."""
    data = copy.deepcopy(data)
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        if not all(parts):
            raise ConfigError(dotted, value, "not a dotted config key (e.g. hops.barrier_ev)")
        _set_path(data, parts, 0, dotted, value)
    return data


def _set_path(node, parts: list[str], k: int, dotted: str, value) -> None:
    """Set ``parts[k:]`` below ``node`` (parts[:k] already walked)."""
    p, last, where = parts[k], k == len(parts) - 1, ".".join(parts[:k + 1])
    if isinstance(node, list):
        if p == "*":
            indices = range(len(node))
        elif p.isdigit() and int(p) < len(node):
            indices = [int(p)]
        else:
            raise ConfigError(dotted, value, f"{where}: no such list entry (the list has {len(node)}, counted "
                              "from 0; * for all)")
        for i in indices:
            if last:
                node[i] = value
            else:
                _set_path(node[i], parts, k + 1, dotted, value)
    elif isinstance(node, dict):
        if p == "*":
            raise ConfigError(dotted, value, f"{where}: * addresses the entries of a list (e.g. segments.*), "
                              f"and {'.'.join(parts[:k]) or 'the top level'} is a table")
        if last:
            node[p] = value
        else:
            _set_path(node.setdefault(p, {}), parts, k + 1, dotted, value)
    else:
        raise ConfigError(dotted, value, f"{'.'.join(parts[:k])} is a value, not a table")


def _plugin_spec(section: str, data: dict) -> PluginSpec:
    group, default = PLUGIN_SECTIONS[section]
    if not isinstance(data.get(section, {}), dict):
        raise ConfigError(section, data[section], "must be a table, e.g. [lattice] thickness_nm = 50")
    table = dict(data.get(section, {}))
    name = table.pop("name", default)
    try:
        cls = plugins.load(group, name)
    except plugins.PluginError as exc:
        raise ConfigError(f"{section}.name", name, str(exc)) from None
    sig = inspect.signature(cls.__init__)
    params = {k: p.default for k, p in sig.parameters.items()
              if k != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    for key, value in table.items():
        if key not in params:
            raise ConfigError(f"{section}.{key}", value, f"unknown key for {section} plug-in {name!r}; "
                              f"allowed: {', '.join(['name', *params])}")
        default = params[key]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{section}.{key}", value, "must be true or false")
        elif isinstance(default, (int, float)):
            check_number(f"{section}.{key}", value)  # ranges: the plug-in's constructor checks them
        elif isinstance(default, (list, tuple)):
            _check_sequence(f"{section}.{key}", value, default)
        params[key] = list(value) if isinstance(value, tuple) else value
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}
    spec = PluginSpec(section, group, name, cls, params)
    try:
        spec.create()
    except (ValueError, TypeError) as exc:
        raise ConfigError(section, table, str(exc)) from None
    return spec


def plugin_defaults(section: str) -> dict:
    """The resolved ``[section]`` of a protocol that does not set it: the default plug-in's name
    and every default of its constructor (as stored with results)."""
    return _plugin_spec(section, {}).resolved()


def _check_sequence(key: str, value, default) -> None:
    """A list override of a list default: same length, each entry a finite number of the same kind."""
    if not isinstance(value, (list, tuple)) or len(value) != len(default):
        raise ConfigError(key, value, f"must be a list of {len(default)} values, like the default {list(default)}")
    for i, (v, d) in enumerate(zip(value, default)):
        if isinstance(d, (int, float)) and not isinstance(d, bool):
            check_number(f"{key}[{i}]", v, integer=isinstance(d, int))


def _plain_section(section: str, data: dict):
    cls = PLAIN_SECTIONS[section]
    table = data.get(section, {})
    if not isinstance(table, dict):
        raise ConfigError(section, table, "must be a table")
    defaults = {f.name: f.default for f in fields(cls)}
    removed = getattr(cls, "REMOVED", {})
    for key, value in table.items():
        if key in removed:
            raise ConfigError(f"{section}.{key}", value, removed[key])
        if key not in defaults:
            raise ConfigError(f"{section}.{key}", value, f"unknown key; allowed: {', '.join(sorted(defaults))}")
        if isinstance(defaults[key], str):  # a choice: its dataclass checks the value
            if not isinstance(value, str):
                raise ConfigError(f"{section}.{key}", value, "must be a string")
        else:
            check_number(f"{section}.{key}", value)
    try:
        return cls(**table)
    except (ValueError, TypeError) as exc:
        raise ConfigError(section, table, str(exc)) from None


def _segments(data: dict) -> list[Segment]:
    raw = data.get("segments", MISSING)
    if not isinstance(raw, list) or not raw:
        raise ConfigError("segments", raw, "a protocol needs at least one [[segments]] table, e.g. "
                          "[[segments]] voltage_v = -25.0, duration = \"16 min\"")
    out = []
    for i, seg in enumerate(raw):
        where = f"segments[{i}]"
        if not isinstance(seg, dict):
            raise ConfigError(where, seg, "must be a table")
        check_keys(where, seg, SEGMENT_KEYS)
        if "duration" not in seg:
            raise ConfigError(f"{where}.duration", MISSING, "required, e.g. \"16 min\"")
        try:
            duration = parse_duration_s(seg["duration"])
        except ValueError as exc:
            raise ConfigError(f"{where}.duration", seg["duration"], str(exc)) from None
        nums = {}
        for key, default in (("voltage_v", 0.0), ("field_oe", 0.0), ("field_end_oe", None)):
            v = seg.get(key, default)
            if v is not None:
                lim = 1000.0 if key == "voltage_v" else 1e7
                check_number(f"{where}.{key}", v, -lim, lim, unit="V" if key == "voltage_v" else "Oe")
            nums[key] = None if v is None else float(v)
        label = seg.get("label", f"segment {i}")
        if not isinstance(label, str):
            raise ConfigError(f"{where}.label", label, "must be a string")
        out.append(Segment(label=label, duration_s=duration, **nums))
    return out


def from_dict(data: dict, source: str = "<dict>") -> RunConfig:
    """Check a parsed protocol and build its :class:`RunConfig`."""
    known = TOP_KEYS | set(PLUGIN_SECTIONS) | set(PLAIN_SECTIONS)
    for key in data:
        if key not in known:
            raise ConfigError(key, data[key], f"unknown section; allowed: {', '.join(sorted(known))}")
    run = data.get("run", {})
    if not isinstance(run, dict):
        raise ConfigError("run", run, "must be a table")
    check_keys("run", run, RUN_KEYS, also=("frame_interval",))
    temperature = run.get("temperature_k", RUN_KEYS["temperature_k"])
    check_number("run.temperature_k", temperature, 0.01, 5000.0, unit="K")
    seed = run.get("seed", RUN_KEYS["seed"])
    check_number("run.seed", seed, 0, 2 ** 63 - 1, integer=True)
    interval_key = "frame_interval" if "frame_interval" in run else "frame_interval_s"
    interval_raw = run.get(interval_key, RUN_KEYS["frame_interval_s"])
    try:
        interval = parse_duration_s(interval_raw)
    except ValueError as exc:
        raise ConfigError(f"run.{interval_key}", interval_raw, str(exc)) from None
    snap_raw = run.get("snapshot_interval", RUN_KEYS["snapshot_interval"])
    if snap_raw in ("segment", "off"):
        snapshot_interval = None if snap_raw == "segment" else 0.0
    else:
        try:
            snapshot_interval = parse_duration_s(snap_raw)
        except ValueError as exc:
            raise ConfigError("run.snapshot_interval", snap_raw, f"{exc}; or \"segment\" (segment ends, the "
                              "default) or \"off\"") from None
    segments = _segments(data)
    n_frames = sum(math.ceil(sg.duration_s / interval - 1e-9) for sg in segments) + 1
    if n_frames > MAX_FRAMES:
        raise ConfigError(f"run.{interval_key}", interval_raw, f"gives {n_frames:,} frames for "
                          f"{sum(sg.duration_s for sg in segments):g} s of protocol; at most {MAX_FRAMES:,} "
                          "(choose a longer frame interval)")
    specs = {section: _plugin_spec(section, data) for section in PLUGIN_SECTIONS}
    sections = {section: _plain_section(section, data) for section in PLAIN_SECTIONS}
    return RunConfig(title=str(data.get("title", Path(source).stem)), plugins=specs, sections=sections,
                     temperature_k=float(temperature), seed=seed, frame_interval_s=interval,
                     segments=segments, source=source, description=str(data.get("description", "")),
                     snapshot_interval_s=snapshot_interval)
