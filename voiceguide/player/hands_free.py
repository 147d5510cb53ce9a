"""``play --listen``: the detector started beside the player, gated by the plan while the guide sounds.

``open_listening`` sets up the recogniser and the microphone (a device, or a recording
paced in real time with ``--mic``); when either is missing it says so in one line and the
session plays on without listening. ``Listening.start`` ties it to the player's clock: a
block counts as the guide's own sound when the clock runs through a spoken (or chimed)
part of the plan, or while an earcon plays. A routine played while it is narrated has a
timeline that grows: the gate follows it (what is not narrated yet is not played either).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voiceguide.listen.detector import Command, Detector, Thresholds
from voiceguide.listen.gate import Gate
from voiceguide.listen.live import Listener
from voiceguide.listen.microphone import BLOCK_S, Device, Samples, paced, read_recording
from voiceguide.listen.recognise import ListenUnavailable, Recogniser
from voiceguide.player.clock import SessionClock
from voiceguide.player.timeline import Track

EARCON_HUSH_S = 0.6  # the earcon and its echo are not listened to either

WORDS = {
    "pause": "paused",
    "continue": "continuing",
    "again": "again from the start of this part",
    "next": "next technique",
    "back": "back",
    "louder": "louder",
    "softer": "softer",
}


@dataclass
class Listening:
    """A detector and its microphone, ready to start."""

    detector: Detector
    blocks: Callable[[], object]
    say: Callable[[str], None]
    device: Device | None = None
    listener: Listener | None = None
    hush_until: float = 0.0

    def start(self, clock: SessionClock, track: Callable[[], Track]) -> None:
        """Listen, the guide's sound gated by ``track()`` as it is at each block (a session narrated while it plays grows)."""
        gates: dict[int, Gate] = {}

        def gate() -> Gate:
            now = track()
            if id(now) not in gates:
                gates.clear()
                gates[id(now)] = Gate.around((i.start_s, i.end_s) for i in now.items if i.kind != "pause")
            return gates[id(now)]

        def sounding() -> bool:
            position = clock.position()
            return (clock.running and gate().closed(position - BLOCK_S, position)) or time.monotonic() < self.hush_until

        self.listener = Listener(self.detector, self.blocks(), sounding).start()  # type: ignore[arg-type]

    def hush(self, seconds: float = EARCON_HUSH_S) -> None:
        self.hush_until = time.monotonic() + seconds

    def poll(self) -> list[Command]:
        if self.listener is None:
            return []
        if self.listener.failure is not None:
            self.say(f"stopped listening: {self.listener.failure}; the session plays on")
            self.listener.failure = None
        return self.listener.poll()

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()
        if self.device is not None:
            self.device.close()


def open_listening(mic: Path | None, thresholds: Thresholds, say: Callable[[str], None]) -> Listening | None:
    """The detector on ``mic`` (None: the default microphone); None, said in one line, when it cannot listen here."""
    try:
        detector = Detector(Recogniser(), thresholds)
        if mic is not None:
            samples: Samples = read_recording(mic)
            return Listening(detector, lambda: paced(samples), say)
        device = Device()
        return Listening(detector, device.blocks, say, device)
    except ListenUnavailable as err:
        say(f"not listening: {err}; the session plays on")
        return None
