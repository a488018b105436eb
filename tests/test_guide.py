"""docs/guide.md runs as written: every ```bash line and every ```python block.

How the guide is run:

* The markdown is parsed into fenced blocks. A ```bash block holds one command per line; a
  heredoc (``cat > f <<'EOF'`` ... ``EOF``) and ``\\`` continuations make one command of several
  lines; blank and comment-only lines are skipped. Commands and python blocks run in document
  order, each through ``bash -c`` (python blocks: ``python -c`` with the block's text), and must
  exit with 0.
* Nothing in the text is substituted. All of it runs with cwd = a fresh ``tmp_path`` (never the
  repo root, where ``python -c`` would import the source tree instead of the installed mikmc), with
  the test interpreter's bin directory first on PATH (``mikmc``, ``python``, ``pip``, ``mpiexec``
  of this environment; in CI the fresh venv of .ci/run, whose ``mpiexec`` comes from the mpich
  wheel), and with MPI launcher variables removed so a nested ``mpiexec`` starts cleanly.
* The guide's ``pip install ./myplugin`` must not change the shared environment, so the
  environment points pip elsewhere instead of editing the command: ``PIP_TARGET=<tmp>/site``
  (pip's ``--target``) and ``PIP_NO_DEPS=1`` (``--target`` would otherwise reinstall mikmc and
  numpy there), with ``PYTHONPATH=<tmp>/site`` so every later command, and the python blocks, see
  the plug-in and its entry point. Nothing is installed into the venv, so there is nothing to
  uninstall and no other test (``mikmc plugins``) can see it. Building the plug-in uses pip's
  build isolation (setuptools from the index or pip's cache), as it would for a user.
* Python blocks run in a fresh interpreter rather than ``exec`` in this process: they must see
  the plug-in installed under ``<tmp>/site`` and the same environment as the shell commands.
* The one ```sh block (install from a clone) is not run; instead the README's install must still
  be the same ``pip install`` from the source tree.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "guide.md"
FENCE = re.compile(r"^```(\w*)\s*$")
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
STEP_TIMEOUT_S = 300


@dataclass
class Step:
    lang: str  # "bash" or "python"
    line: int  # 1-based line of the guide where the step starts
    text: str


def blocks(markdown: str) -> list[tuple[str, int, list[str]]]:
    """Fenced blocks as (language, first content line number, lines)."""
    out, lang, start, body = [], None, 0, []
    for i, line in enumerate(markdown.splitlines(), start=1):
        m = FENCE.match(line)
        if lang is None:
            if m:
                lang, start, body = m.group(1), i + 1, []
        elif line.strip() == "```":
            out.append((lang, start, body))
            lang = None
        else:
            body.append(line)
    assert lang is None, f"unclosed code fence opened before line {start}"
    return out


def bash_commands(start: int, lines: list[str]) -> list[Step]:
    """One command per line, except heredocs and backslash continuations."""
    steps, i = [], 0
    while i < len(lines):
        line, first = lines[i], start + i
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cmd = [line]
        while cmd[-1].endswith("\\") and i < len(lines):
            cmd.append(lines[i])
            i += 1
        m = HEREDOC.search(cmd[-1])
        if m:
            end = m.group(2)
            while i < len(lines) and lines[i].strip() != end:
                cmd.append(lines[i])
                i += 1
            assert i < len(lines), f"guide line {first}: heredoc without its {end} line"
            cmd.append(lines[i])
            i += 1
        steps.append(Step("bash", first, "\n".join(cmd) + "\n"))
    return steps


def guide_steps() -> list[Step]:
    steps = []
    for lang, start, body in blocks(GUIDE.read_text(encoding="utf-8")):
        if lang == "bash":
            steps += bash_commands(start, body)
        elif lang == "python":
            steps.append(Step("python", start, "\n".join(body) + "\n"))
    return steps


def guide_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PMI_", "PMIX_", "OMPI_", "MPI_LOCALRANK", "HYDRA_"))}
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONHOME", None)
    site = tmp / "site"
    site.mkdir()
    env.update(PYTHONPATH=str(site), PIP_TARGET=str(site), PIP_NO_DEPS="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def test_guide_parses_to_the_commands_it_promises():
    steps = guide_steps()
    bash = [s.text for s in steps if s.lang == "bash"]
    assert sum(s.lang == "python" for s in steps) >= 3
    for needle in ("mikmc run quick -o first.zarr", "cat > tiny.toml <<'EOF'",
                   "mpiexec -n 2 mikmc campaign tiny.toml -o tiny.zarr",
                   "mikmc campaign --status tiny.zarr", "mikmc report first.zarr -o report",
                   "pip install ./myplugin", "cat > myplugin/pyproject.toml <<'EOF'"):
        assert any(needle in c for c in bash), f"guide lost the command {needle!r}"
    heredoc = next(c for c in bash if c.startswith("cat > tiny.toml"))
    assert heredoc.rstrip().endswith("\nEOF") and "[grid]" in heredoc
    assert not any(re.match(r"\s*cd\b", c) for c in bash), "each command runs on its own: no cd"


def test_install_block_matches_readme():
    sh = [body for lang, _, body in blocks(GUIDE.read_text(encoding="utf-8")) if lang == "sh"]
    assert len(sh) == 1, "the install block is the only shell block not run by this test"
    install = " ".join(sh[0])
    assert "python3 -m venv .venv && . .venv/bin/activate && pip install" in install
    assert "python3 -m venv .venv && . .venv/bin/activate && pip install" in (
        REPO / "README.md").read_text(encoding="utf-8")
    assert "test = [" in (REPO / "pyproject.toml").read_text() and "xarray" in (
        REPO / "pyproject.toml").read_text()


def test_every_guide_command_runs(tmp_path):
    env = guide_env(tmp_path)
    for step in guide_steps():
        argv = (["bash", "-c", step.text] if step.lang == "bash"
                else [sys.executable, "-c", step.text])
        proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=STEP_TIMEOUT_S, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, (
            f"docs/guide.md line {step.line} ({step.lang}) exited {proc.returncode}:\n"
            f"{step.text}\n--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}")
    # what the guide says it leaves behind
    for path in ("first.zarr", "tiny.zarr", "report/report.md", "report-all/report.md", "flat.zarr",
                 "site/flathop/__init__.py"):
        assert (tmp_path / path).exists(), path
