"""docs/barriers.md runs as written, at reduced size: every line of its ```bash blocks, in order,
in an empty directory; ``mikmc barriers run`` lines get ``--limit 1`` (one NEB each instead of the
23 of the bundled example, which take minutes). A heredoc (``cat > f <<'EOF'`` ... ``EOF``) is one
command. A plain ``mikmc ...`` line runs in this process through click's CliRunner (the same
command object as the ``mikmc`` script, without 2 s of interpreter start-up per line); anything else
(``mpiexec``, the heredoc) runs through ``bash -c``, with MPI launcher variables removed so the
doc's ``mpiexec`` starts cleanly."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kmc.cli import main

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "barriers.md"
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
MPI_VARS = ("PMI_", "OMPI_", "PMIX_", "MPI_", "HYDRA_", "MV2_")


def bash_commands(markdown: str) -> list[tuple[int, str]]:
    """(line, command) of every ```bash block, heredocs joined."""
    out, in_bash, lines = [], False, markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("```"):
            in_bash = not in_bash and line.strip() == "```bash"
            continue
        if not in_bash or not line.strip() or line.lstrip().startswith("#"):
            continue
        cmd, start = [line], i
        m = HEREDOC.search(line)
        if m:
            while lines[i].strip() != m.group(2):
                cmd.append(lines[i])
                i += 1
            cmd.append(lines[i])
            i += 1
        out.append((start, "\n".join(cmd)))
    return out


def reduced(command: str) -> str:
    return re.sub(r"(mikmc barriers run \S+(?: -o \S+)?)", r"\1 --limit 1", command)


def test_every_command_of_the_doc_runs(tmp_path, monkeypatch):
    commands = bash_commands(DOC.read_text())
    assert sum("mikmc barriers run" in c for _, c in commands) >= 2 and any("mpiexec" in c for _, c in commands)
    env = {k: v for k, v in os.environ.items() if not k.startswith(MPI_VARS)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    monkeypatch.chdir(tmp_path)
    for line, command in commands:
        words = shlex.split(reduced(command), comments=True)
        if words[0] == "mikmc" and not set("|&;<>") & set(command.split("#")[0]):
            res = CliRunner().invoke(main, words[1:])
            code, out = res.exit_code, res.output + (repr(res.exception) if res.exception else "")
        else:
            proc = subprocess.run(["bash", "-c", reduced(command)], env=env, capture_output=True, text=True,
                                  timeout=300)
            code, out = proc.returncode, proc.stdout + proc.stderr
        assert code == 0, f"docs/barriers.md line {line}: {command}\n{out}"
    assert (tmp_path / "nin.csv").exists() and (tmp_path / "table_film.zarr").exists()
