"""Protocols: sequences of segments (gate voltage, applied field, duration), and their frame times."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

_UNITS_S = {"ms": 1e-3, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hr": 3600.0}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]+)\s*$")


def parse_duration_s(value) -> float:
    """Seconds from a number (s) or a string with units: "16 min", "3 min", "1 h", "90 s", "500 ms"."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m or m.group(2) not in _UNITS_S:
            raise ValueError(f"{value!r} is not a duration; use a number with one of the units "
                             f"{', '.join(_UNITS_S)} (e.g. \"16 min\")")
        seconds = float(m.group(1)) * _UNITS_S[m.group(2)]
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"duration must be a finite number of seconds > 0, got {value!r}")
    return seconds


@dataclass(frozen=True)
class Segment:
    """One step of a protocol.

    Attributes
    ----------
    label : str
    voltage_v : float
        Gate voltage on the film electrode (V); negative extracts N.
    field_oe : float
        Applied in-plane magnetic field (Oe) at the start of the segment.
    duration_s : float
        Length of the segment (s).
    field_end_oe : float or None
        If set, the field is swept linearly from field_oe to field_end_oe over the segment.
    """

    label: str
    voltage_v: float
    field_oe: float
    duration_s: float
    field_end_oe: float | None = None

    def field_at(self, t_in_segment_s: float) -> float:
        if self.field_end_oe is None:
            return self.field_oe
        f = min(max(t_in_segment_s / self.duration_s, 0.0), 1.0)
        return self.field_oe + f * (self.field_end_oe - self.field_oe)


@dataclass(frozen=True)
class Frame:
    time_s: float
    segment: int


def frame_schedule(segments: list[Segment], frame_interval_s: float) -> list[Frame]:
    """Frame times: t = 0, then every ``frame_interval_s`` within each segment, and each segment's end.

    A frame at a segment's end belongs to that segment (it records the state the segment produced).
    """
    frames = [Frame(0.0, 0)]
    t0 = 0.0
    for i, seg in enumerate(segments):
        n = max(1, int(np.ceil(seg.duration_s / frame_interval_s - 1e-9)))
        for k in range(1, n + 1):
            t = t0 + min(k * frame_interval_s, seg.duration_s)
            frames.append(Frame(t, i))
        t0 += seg.duration_s
    return frames


@dataclass(frozen=True)
class Tick:
    """A moment the run stops at: to record frame ``frame`` (>= 0), to couple the processes to the
    ions (``couple``), or both."""

    time_s: float
    segment: int
    frame: int
    couple: bool


def tick_schedule(segments: list[Segment], frame_interval_s: float, coupling_interval_s: float) -> list[Tick]:
    """The union of the frame times and the coupling times (both: every interval within each
    segment, and each segment's end), in order, t = 0 excluded. The coupling times depend on the
    protocol and the coupling interval only, so the frame interval never changes what is coupled."""
    frames = frame_schedule(segments, frame_interval_s)[1:]
    couplings = frame_schedule(segments, coupling_interval_s)[1:]
    marks: dict[tuple[int, float], list] = {}
    for k, f in enumerate(frames, start=1):
        marks.setdefault((f.segment, f.time_s), [-1, False])[0] = k
    for c in couplings:
        marks.setdefault((c.segment, c.time_s), [-1, False])[1] = True
    return [Tick(t, seg, frame, couple) for (seg, t), (frame, couple) in sorted(marks.items())]


def total_duration_s(segments: list[Segment]) -> float:
    return float(sum(s.duration_s for s in segments))
