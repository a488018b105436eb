"""Progress of a run for the user: a live bar on a terminal, a log line every few seconds elsewhere.

Both are ``progress(sim, frame_index)`` callbacks for :meth:`kmc.engine.simulation.Simulation.run`; they only
read the simulation.
"""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Callable, Iterator


def _eta_s(done: float, total: float, wall_s: float) -> float:
    """Remaining wall time (s) if the rest runs at the rate so far (by simulated time)."""
    return wall_s * (total - done) / done if done > 0 else float("nan")


def _clock(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "?"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@contextlib.contextmanager
def log_lines(total_s: float, every_s: float = 5.0, stream=None) -> Iterator[Callable]:
    """A callback that prints one line at most every ``every_s`` s of wall time (and one at the end):
    segment, simulated time, % done, events/s, wall time and ETA."""
    stream = sys.stderr if stream is None else stream
    wall0 = time.perf_counter()
    last = [wall0]
    state = {}

    def line(sim) -> str:
        wall = time.perf_counter() - wall0
        t = sim.time_s
        rate = sim.ions.events / wall if wall > 0 else 0.0
        return (f"mikmc: [{sim.segment.label}] t = {t / 60:.2f} / {total_s / 60:.2f} min "
                f"({100 * t / total_s:.0f} %), {rate:.3g} events/s, wall {_clock(wall)}, "
                f"ETA {_clock(_eta_s(t, total_s, wall))}")

    def update(sim, i):
        state["sim"] = sim
        now = time.perf_counter()
        if now - last[0] >= every_s:
            last[0] = now
            print(line(sim), file=stream, flush=True)

    yield update
    if "sim" in state and time.perf_counter() - last[0] > 0.5 * every_s:
        print(line(state["sim"]), file=stream, flush=True)


@contextlib.contextmanager
def live_bar(total_s: float) -> Iterator[Callable]:
    """A rich progress bar (terminal only): segment, simulated time, events/s, wall time."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    wall0 = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[sim]}"),
                  TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), transient=False) as bar:
        task = bar.add_task("run", total=total_s, sim="", rate="")

        def update(sim, i):
            wall = time.perf_counter() - wall0
            bar.update(task, completed=sim.time_s, description=f"[{sim.segment.label}]",
                       sim=f"t = {sim.time_s / 60:6.2f} / {total_s / 60:.2f} min",
                       rate=f"{sim.ions.events / max(wall, 1e-9):.3g} events/s")

        yield update


def for_output(total_s: float, quiet: bool = False, every_s: float = 5.0):
    """The right reporter: nothing if quiet, a bar on a terminal, log lines on a pipe or file."""
    if quiet:
        return contextlib.nullcontext(None)
    if sys.stdout.isatty():
        return live_bar(total_s)
    return log_lines(total_s, every_s)
