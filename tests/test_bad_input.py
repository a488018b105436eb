"""Property tests: whatever malformed protocol or campaign a user writes, mikmc answers with one line.

Every generated input is invalid by construction (a NaN, an infinity, a wrong type, a zero or
negative duration, an unknown key, a film too large for the machine, broken TOML, binary bytes).
For each: exit status 2, exactly one line on stderr that names the key or the file, no traceback,
and the working directory is byte for byte what it was (nothing written, nothing deleted: an
existing mikmc store given with --overwrite survives).
"""

import json
import math
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmc.cli import main

#: a valid ~1 s protocol; every example breaks one thing in it
BASE = {
    "title": "t",
    "run": {"temperature_k": 300.0, "frame_interval": "5 s"},
    "lattice": {"thickness_nm": 3.0, "cells_xy": [2, 2]},
    "hops": {"barrier_ev": 0.7},
    "boundary": {"solubility_per_nm2": 390.0},
    "segments": [{"label": "gate", "voltage_v": -25.0, "field_oe": 0.0, "duration": "20 s"},
                 {"label": "relax", "voltage_v": 0.0, "duration": "10 s"}],
}
#: numeric keys (path, how the error names it); any non-finite or non-number value is invalid
NUMERIC = [(("run", "temperature_k"), "run.temperature_k"), (("lattice", "thickness_nm"), "lattice.thickness_nm"),
           (("hops", "barrier_ev"), "hops.barrier_ev"), (("boundary", "solubility_per_nm2"), "boundary.solubility_per_nm2"),
           (("segments", 0, "voltage_v"), "segments[0].voltage_v"), (("segments", 1, "field_oe"), "segments[1].field_oe"),
           (("field", "film_voltage_fraction"), "field.film_voltage_fraction"),
           (("magnet", "equilibration_sweeps"), "magnet.equilibration_sweeps")]
#: keys that must be > 0: zero and negative values are invalid too
POSITIVE = [(("run", "temperature_k"), "run.temperature_k"), (("lattice", "thickness_nm"), "thickness_nm"),
            (("boundary", "solubility_per_nm2"), "solubility_per_nm2")]
DURATIONS = [(("segments", 0, "duration"), "segments[0].duration"), (("segments", 1, "duration"), "segments[1].duration"),
             (("run", "frame_interval"), "run.frame_interval")]
SECTIONS = ["run", "lattice", "hops", "boundary", "field", "magnet", "phases", "exchange"]

non_finite = st.sampled_from([math.nan, math.inf, -math.inf])
wrong_type = st.one_of(st.text(alphabet="abc xyz-1.é", max_size=8), st.booleans(), st.lists(st.integers(), max_size=3),
                       st.just({"a": 1}))
bad_duration = st.one_of(st.sampled_from(["0 s", "-3 min", "nan s", "inf min", "", "16 fortnights", "min", "1e999 s"]),
                         st.floats(max_value=0.0), non_finite, st.booleans())
key_name = st.from_regex(r"[a-z][a-z_]{1,12}", fullmatch=True)


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + "}"


def to_toml(data: dict) -> str:
    """A minimal TOML writer for protocol-shaped dicts (tables, arrays of tables, plain values)."""
    lines = [f"{k} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, (dict, list)) or
             (isinstance(v, list) and not all(isinstance(x, dict) for x in v)) or (isinstance(v, list) and not v)]
    for k, v in data.items():
        if isinstance(v, dict):
            lines.append(f"[{k}]")
            lines += [f"{kk} = {toml_value(vv)}" for kk, vv in v.items()]
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for item in v:
                lines.append(f"[[{k}]]")
                lines += [f"{kk} = {toml_value(vv)}" for kk, vv in item.items()]
    return "\n".join(lines) + "\n"


def with_value(path, value) -> dict:
    data = json.loads(json.dumps(BASE))
    node = data
    for p in path[:-1]:
        node = node.setdefault(p, {}) if isinstance(p, str) else node[p]
    node[path[-1]] = value
    return data


@st.composite
def broken_protocol(draw):
    """(TOML text or bytes, a word the error line must contain)."""
    kind = draw(st.sampled_from(["numeric", "positive", "duration", "unknown", "huge", "toml", "binary", "structure"]))
    if kind == "numeric":
        path, name = draw(st.sampled_from(NUMERIC))
        return to_toml(with_value(path, draw(st.one_of(non_finite, wrong_type)))), name
    if kind == "positive":
        path, name = draw(st.sampled_from(POSITIVE))
        return to_toml(with_value(path, draw(st.floats(max_value=0.0, allow_nan=False, allow_infinity=False)))), name
    if kind == "duration":
        path, name = draw(st.sampled_from(DURATIONS))
        return to_toml(with_value(path, draw(bad_duration))), name
    if kind == "unknown":
        section = draw(st.sampled_from(SECTIONS + ["<top>", "<segment>"]))
        key = draw(key_name.filter(lambda k: k not in _known_keys(section)))
        if section == "<top>":
            return to_toml(with_value((key,), 1.0)), key
        if section == "<segment>":
            return to_toml(with_value(("segments", 0, key), 1.0)), f"segments[0].{key}"
        return to_toml(with_value((section, key), 1.0)), f"{section}.{key}"
    if kind == "huge":
        if draw(st.booleans()):
            return to_toml(with_value(("lattice", "thickness_nm"), draw(st.floats(1e6, 1e12)))), "lattice"
        c = draw(st.integers(5_000, 10**7))
        return to_toml(with_value(("lattice", "cells_xy"), [c, c])), "lattice"
    if kind == "toml":
        lines = to_toml(BASE).splitlines()
        at = draw(st.integers(0, len(lines)))
        broken = draw(st.sampled_from(["= =", "[[", "x = \"unterminated", "x = 1\nx = 2", "[run]"]))
        return "\n".join(lines[:at] + [broken] + lines[at:]) + "\n", "p.toml"
    if kind == "binary":
        return b"\xff\xfe\x00" + draw(st.binary(max_size=64)), "p.toml"
    # structure: a section that is not a table, segments that are not tables, no segments
    choice = draw(st.sampled_from(["lattice", "segments", "no_segments", "segment_value"]))
    if choice == "lattice":
        return to_toml(with_value(("lattice",), 3)), "lattice"
    if choice == "segments":
        return to_toml(with_value(("segments",), [1, 2])), "segments"
    if choice == "segment_value":
        return to_toml(with_value(("segments",), "soon")), "segments"
    data = dict(BASE)
    del data["segments"]
    return to_toml(data), "segments"


def _known_keys(section: str) -> set:
    from kmc import config as cfg
    conf = cfg.from_dict(json.loads(json.dumps(BASE)))
    if section == "<top>":
        return cfg.TOP_KEYS | set(cfg.PLUGIN_SECTIONS) | set(cfg.PLAIN_SECTIONS)
    if section == "<segment>":
        return set(cfg.SEGMENT_KEYS)
    if section == "run":
        return set(cfg.RUN_KEYS) | {"frame_interval"}
    resolved = conf.resolved()
    return set(resolved[section]) | {"name"}


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def fake_store(folder: Path) -> Path:
    """An existing mikmc store (just its root metadata) that --overwrite must not destroy here."""
    store = folder / "old.zarr"
    store.mkdir()
    (store / "zarr.json").write_text(json.dumps({"zarr_format": 3, "node_type": "group",
                                                 "attributes": {"mikmc_version": "0", "complete": True}}))
    return store


def assert_one_line_error(res, word: str) -> None:
    assert res.exit_code == 2, (res.exit_code, res.output)
    assert "Traceback" not in res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert word in lines[0], (word, lines[0])
    assert res.stdout == ""


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(case=broken_protocol(), overwrite=st.booleans())
def test_a_broken_protocol_is_one_line_and_touches_nothing(tmp_path_factory, case, overwrite):
    folder = tmp_path_factory.mktemp("p")
    text, word = case
    path = folder / "p.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    fake_store(folder)
    before = snapshot(folder)
    out = ["-o", str(folder / "old.zarr"), "--overwrite"] if overwrite else ["-o", str(folder / "new.zarr")]
    res = CliRunner().invoke(main, ["run", str(path), "--quiet", *out])
    assert_one_line_error(res, word)
    assert snapshot(folder) == before


@SETTINGS
@given(path_value=st.sampled_from(NUMERIC), value=st.sampled_from(["nan", "inf", "-inf", "true", "[1, 2]", '"x"']))
def test_a_broken_override_is_one_line_and_touches_nothing(tmp_path_factory, path_value, value):
    folder = tmp_path_factory.mktemp("s")
    path = folder / "p.toml"
    path.write_text(to_toml(BASE))
    before = snapshot(folder)
    dotted = ".".join(str(p) for p in path_value[0])
    res = CliRunner().invoke(main, ["run", str(path), "--quiet", "-o", str(folder / "n.zarr"), "--set", f"{dotted}={value}"])
    assert_one_line_error(res, path_value[1])
    assert snapshot(folder) == before


@st.composite
def broken_campaign(draw):
    """(campaign TOML text or bytes, a word the error line must contain)."""
    head = 'title = "c"\nbase = "p.toml"\n'
    kind = draw(st.sampled_from(["grid_key", "point_key", "grid_value", "replicas", "seed", "base", "toml", "binary"]))
    if kind == "grid_key":
        key = draw(key_name)
        return head + f'[grid]\n"hops.{key}x" = [0.6, 0.7]\n', f"hops.{key}x"
    if kind == "point_key":
        key = draw(key_name.filter(lambda k: k not in _known_keys("run")))
        return head + f'[[points]]\n"run.{key}" = 1\n', f"run.{key}"
    if kind == "grid_value":
        path, name = draw(st.sampled_from(NUMERIC))
        dotted = ".".join(str(p) for p in path)
        return head + f'[grid]\n"{dotted}" = [{toml_value(draw(st.one_of(non_finite, st.text(alphabet="abc -1.", max_size=4))))}]\n', name
    if kind == "replicas":
        return head + f"replicas = {toml_value(draw(st.one_of(st.integers(max_value=0), non_finite, wrong_type)))}\n", "replicas"
    if kind == "seed":
        return head + f"seed = {toml_value(draw(st.one_of(st.integers(max_value=-1), non_finite)))}\n", "seed"
    if kind == "base":
        return 'title = "c"\nbase = "no_such_protocol_here"\n', "no_such_protocol_here"
    if kind == "toml":
        return head + "[grid\n", "c.toml"
    return b"\x00\xff" + draw(st.binary(max_size=32)), "c.toml"


@SETTINGS
@given(case=broken_campaign())
def test_a_broken_campaign_is_one_line_and_touches_nothing(tmp_path_factory, case):
    folder = tmp_path_factory.mktemp("c")
    (folder / "p.toml").write_text(to_toml(BASE))
    text, word = case
    path = folder / "c.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    before = snapshot(folder)
    res = CliRunner().invoke(main, ["campaign", str(path), "-o", str(folder / "out.zarr"), "--quiet", "--no-mpi"])
    assert_one_line_error(res, word)
    assert snapshot(folder) == before


def test_the_base_protocol_of_these_tests_is_valid(tmp_path):
    """Guard: the properties above test what they claim only if BASE itself runs."""
    path = tmp_path / "p.toml"
    path.write_text(to_toml(BASE))
    res = CliRunner().invoke(main, ["run", str(path), "--quiet", "-o", str(tmp_path / "ok.zarr")])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("target", ["/proc/mikmc-test.zarr", "afile/x.zarr", "missing_dir/x.zarr"])
def test_an_unwritable_output_is_one_line(tmp_path, target, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    (tmp_path / "p.toml").write_text(to_toml(BASE))
    before = snapshot(tmp_path)
    res = CliRunner().invoke(main, ["run", "p.toml", "--quiet", "-o", target])
    assert_one_line_error(res, target)
    assert snapshot(tmp_path) == before


def test_overwrite_keeps_the_old_store_until_the_new_run_is_set_up(tmp_path, monkeypatch):
    """A run that fails after the config checks but before its store exists leaves the old store."""
    from kmc.engine.simulation import Simulation

    out = tmp_path / "r.zarr"
    (tmp_path / "p.toml").write_text(to_toml(BASE))
    assert CliRunner().invoke(main, ["run", str(tmp_path / "p.toml"), "--quiet", "-o", str(out)]).exit_code == 0
    before = snapshot(tmp_path)

    def broken(self, *a, **k):
        raise MemoryError("lattice too large")

    monkeypatch.setattr(Simulation, "__init__", broken)
    res = CliRunner().invoke(main, ["run", str(tmp_path / "p.toml"), "--quiet", "-o", str(out), "--overwrite"])
    assert res.exit_code == 1 and "internal error" in res.stderr and "MemoryError" in res.stderr
    assert "Traceback" not in res.output
    assert snapshot(tmp_path) == before
    monkeypatch.undo()
    res = CliRunner().invoke(main, ["run", str(tmp_path / "p.toml"), "--quiet", "-o", str(out), "--overwrite",
                                    "--set", "segments.0.voltage_v=-10"])
    assert res.exit_code == 0, res.output
    assert sorted(os.listdir(tmp_path)) == ["p.toml", "r.zarr"]  # no staging or old copies left
    import zarr

    assert zarr.open_group(str(out), mode="r").attrs["config"]["segments"][0]["voltage_v"] == -10


def test_an_internal_error_is_one_line_with_the_traceback_in_a_file(tmp_path, monkeypatch):
    from kmc.engine.simulation import Simulation

    def broken(self, *a, **k):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(Simulation, "run", broken)
    (tmp_path / "p.toml").write_text(to_toml(BASE))
    res = CliRunner().invoke(main, ["run", str(tmp_path / "p.toml"), "--quiet", "-o", str(tmp_path / "r.zarr")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    line = res.stderr.strip()
    assert line.startswith("error: internal error, ZeroDivisionError: bug (traceback in ")
    where = Path(line.split("traceback in ")[1].split(";")[0])
    assert "ZeroDivisionError" in where.read_text() and "Traceback" in where.read_text()
    where.unlink()
    res = CliRunner().invoke(main, ["--debug", "run", str(tmp_path / "p.toml"), "--quiet", "-o", str(tmp_path / "s.zarr")])
    assert isinstance(res.exception, ZeroDivisionError)


def test_a_campaign_in_which_every_replica_fails_exits_non_zero(tmp_path, monkeypatch):
    from kmc.engine.simulation import Simulation

    def broken(self, *a, **k):
        raise FloatingPointError("NaN rate")

    monkeypatch.setattr(Simulation, "run", broken)
    (tmp_path / "p.toml").write_text(to_toml(BASE))
    (tmp_path / "c.toml").write_text('base = "p.toml"\nreplicas = 2\n')
    res = CliRunner().invoke(main, ["campaign", str(tmp_path / "c.toml"), "-o", str(tmp_path / "o.zarr"), "--no-mpi"])
    assert res.exit_code == 1 and "every replica failed" in res.stderr and "NaN rate" in res.stderr


def test_progress_lines_when_the_output_is_not_a_terminal(tmp_path):
    (tmp_path / "p.toml").write_text(to_toml(BASE))
    res = CliRunner().invoke(main, ["run", str(tmp_path / "p.toml"), "-o", str(tmp_path / "r.zarr"),
                                    "--log-every", "0.1", "--set", 'segments.0.duration="200 s"'])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("mikmc: [")]
    assert lines, res.stderr
    assert all("events/s" in ln and "ETA" in ln and " min (" in ln for ln in lines)
