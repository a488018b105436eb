"""The command line: runs, summaries, plug-in listing, and one clear line for every bad input."""

import os
import signal
import subprocess
import sys
import time

import pytest
import zarr
from click.testing import CliRunner

from kmc.cli import main

SHORT = ["--set", "lattice.thickness_nm=3.0", "--set", "lattice.cells_xy=[2,2]",
         "--set", 'segments.0.duration="20 s"', "--set", 'segments.1.duration="10 s"']


def test_run_then_info(tmp_path):
    out = tmp_path / "r.zarr"
    res = CliRunner().invoke(main, ["run", "quick", "-o", str(out), "--quiet", *SHORT])
    assert res.exit_code == 0, res.output
    assert "events/s" in res.output and str(out) in res.output
    info = CliRunner().invoke(main, ["info", str(out)])
    assert info.exit_code == 0 and "[complete]" in info.output
    assert "gate" in info.output and "relax" in info.output
    again = CliRunner().invoke(main, ["run", "quick", "-o", str(out), "--quiet", *SHORT])
    assert again.exit_code == 2 and "exists already" in again.output


def test_run_without_output_names_a_new_store_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["run", "quick", "--quiet", *SHORT])
    assert res.exit_code == 0, res.output
    assert os.path.isdir("quick_seed7.zarr") and "quick_seed7.zarr" in res.output


def test_plugins_and_protocols_are_listed():
    res = CliRunner().invoke(main, ["plugins"])
    assert res.exit_code == 0
    for name in ("rocksalt_film", "arrhenius", "solubility", "closed"):
        assert name in res.output
    res = CliRunner().invoke(main, ["protocols"])
    assert "paper/high_m_3min" in res.output and "paper/low_m_1h" in res.output


@pytest.mark.parametrize("args, words", [
    (["--set", "hops.barier_ev=0.6"], ["hops.barier_ev", "unknown key", "barrier_ev"]),
    (["--set", "hops.barrier_ev=\"high\""], ["hops.barrier_ev", "must be a number"]),
    (["--set", "hops.name=\"quantum\""], ["hops.name", "quantum", "arrhenius"]),
    (["--set", "segments.0.duration=\"16 fortnights\""], ["segments[0].duration", "min"]),
    (["--set", "run.temperature_k=-3"], ["run.temperature_k", "[0.01, 5000] K"]),
    (["--set", "lattice.co_fraction=1.4"], ["lattice", "co_fraction must be in [0, 1]"]),
    (["--set", "boundary.solubility_per_nm2=0"], ["boundary", "solubility_per_nm2 must be > 0"]),
    (["--set", "field.film_voltage_fraction=2"], ["field", "film_voltage_fraction"]),
    (["--set", "colour=1"], ["colour", "unknown section"]),
    (["no_such_protocol"], ["protocol", "no_such_protocol", "paper/high_m_3min"]),
    (["--seed", "-4"], ["--seed", ">= 0"]),
])
def test_bad_input_gives_one_line_and_exit_code_2(tmp_path, args, words):
    res = CliRunner().invoke(main, ["run", *([] if args[0] == "no_such_protocol" else ["quick"]), *args,
                                    "-o", str(tmp_path / "x.zarr"), "--quiet"])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    for w in words:
        assert w in lines[0]
    assert "Traceback" not in res.output


def test_a_killed_run_leaves_a_readable_incomplete_store(tmp_path):
    out = tmp_path / "killed.zarr"
    cmd = [sys.executable, "-m", "kmc.cli", "run", "quick", "-o", str(out), "--quiet",
           "--set", "lattice.thickness_nm=3.0", "--set", "lattice.cells_xy=[2,2]",
           "--set", 'segments.0.duration="100 h"', "--set", 'run.frame_interval="2 s"']
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            time.sleep(0.5)
            try:
                if zarr.open_group(str(out), mode="r").attrs.get("frames_written", 0) >= 3:
                    break
            except Exception:  # the store is still being created
                continue
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    group = zarr.open_group(str(out), mode="r")
    n = group.attrs["frames_written"]
    assert n >= 3 and not group.attrs["complete"]
    assert (group["time"][:n] >= 0).all()
    info = CliRunner().invoke(main, ["info", str(out)])
    assert info.exit_code == 0 and "INCOMPLETE" in info.output
