"""When the guide itself is sounding, so the listener does not obey its own voice.

The plan says when the session speaks (and rings a chime); from a little before each of
those until ``tail_s`` after it (the room's echo, the sound device's buffer, the VAD's own
padding), whatever the microphone hears is not listened to. Times are session seconds.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

TAIL_S = 0.5  # after the guide stops: the room's reverberation (0.3 s to fall 60 dB in a small room) and the output buffer
LEAD_S = 0.15  # before it starts: the sound device may play a little ahead of the clock


@dataclass(frozen=True)
class Gate:
    """Sorted, merged intervals of session time during which nothing is heard."""

    starts: tuple[float, ...] = ()
    ends: tuple[float, ...] = ()

    @classmethod
    def around(cls, sounding: Iterable[tuple[float, float]], tail_s: float = TAIL_S, lead_s: float = LEAD_S) -> Gate:
        """A gate over each ``(start_s, end_s)`` the guide sounds, widened by ``lead_s`` before and ``tail_s`` after."""
        merged: list[list[float]] = []
        for start, end in sorted((max(0.0, s - lead_s), e + tail_s) for s, e in sounding):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return cls(tuple(m[0] for m in merged), tuple(m[1] for m in merged))

    def closed(self, start_s: float, end_s: float) -> bool:
        """Whether any moment from ``start_s`` to ``end_s`` is gated."""
        i = bisect.bisect_right(self.starts, end_s) - 1
        return i >= 0 and self.ends[i] > start_s

    def open_s(self, duration_s: float) -> float:
        """How much of the first ``duration_s`` seconds is listened to."""
        shut = sum(max(0.0, min(e, duration_s) - s) for s, e in zip(self.starts, self.ends, strict=True) if s < duration_s)
        return max(0.0, duration_s - shut)


def sounding_of_plan(cues: Iterable[dict[str, object]]) -> list[tuple[float, float]]:
    """The spans of a ``plan --json`` cue list during which the session makes its own sound (everything but pauses)."""
    spans = []
    for cue in cues:
        start, end = cue.get("start_s"), cue.get("end_s")
        if cue.get("kind") != "pause" and isinstance(start, (int, float)) and isinstance(end, (int, float)):
            spans.append((float(start), float(end)))
    return spans
