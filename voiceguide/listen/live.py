"""Listening while a session plays: the detector on its own thread, fed by the microphone, polled by the player.

The player says, for each block the microphone hands over, whether the guide was sounding
then (``sounding``); the detector drops any speech that touches such a block. Commands
wait in a queue until the player's next tick takes them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable

from voiceguide.errors import VoiceguideError
from voiceguide.listen.detector import Command, Detector
from voiceguide.listen.microphone import Samples


class Listener:
    """Runs ``detector`` over ``blocks`` on a daemon thread until the blocks end or ``close`` is called."""

    def __init__(self, detector: Detector, blocks: Iterable[Samples], sounding: Callable[[], bool]) -> None:
        self.detector = detector
        self._blocks = blocks
        self._sounding = sounding
        self._found: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voiceguide-listen", daemon=True)
        self.failure: BaseException | None = None

    def start(self) -> Listener:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            for block in self._blocks:
                if self._stop.is_set():
                    return
                for command in self.detector.feed(block, self._sounding()):
                    self._found.put(command)
        except (VoiceguideError, OSError, RuntimeError, ValueError) as err:  # the session plays on unheard; the player says so
            self.failure = err

    def poll(self) -> list[Command]:
        """The commands decided since the last poll."""
        found = []
        while True:
            try:
                found.append(self._found.get_nowait())
            except queue.Empty:
                return found

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
