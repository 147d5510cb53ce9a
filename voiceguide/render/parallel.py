"""MP3 encoding on every core: the session cut at frame boundaries, encoded side by side, joined into one stream.

LAME cuts its input into frames of 1152 samples after ``delay`` samples of its own (576),
so an encoder started at a multiple of 1152 samples makes the very frames a single encoder
would make there, once its analysis has warmed up. Each segment's encoder therefore starts
``WARMUP_FRAMES`` before its nominal first frame and the one before it runs
``OVERLAP_FRAMES`` past it; ``mp3join`` picks the frame in that overlap where the streams
are joined and writes the one file. Segments are rendered and encoded on worker threads,
one ffmpeg each, as many at once as there are cores. Sessions too short to split, other
formats, and anything unexpected in an encoder's output are encoded by one encoder (see
``encode_mp3``); the bytes depend on the session alone, not on the number of cores.
"""

from __future__ import annotations

import math
import queue
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceguide import ffmpeg
from voiceguide.errors import RenderError
from voiceguide.output import destination_of, put_in_place, temp_path
from voiceguide.render import SAMPLE_RATE, usable_cores
from voiceguide.render.encode import encoder_args, feed_encoder
from voiceguide.render.mp3frames import SAMPLES_PER_FRAME
from voiceguide.render.mp3join import OVERLAP_FRAMES, WARMUP_FRAMES, CannotJoin, Encoded, inspect, join, true_padding
from voiceguide.render.settings import Codec

SEGMENT_S = 20 * 60.0  # a segment lasts at most this long; the count is even, so two cores share evenly
MIN_SEGMENT_S = 60.0  # sessions under two of these are encoded whole

Source = Callable[[int, int], Iterable[np.ndarray]]  # int16 frames × channels from sample ``start`` to ``stop``


@dataclass(frozen=True)
class Segment:
    index: int
    first_frame: int  # the frame its encoder's first frame is in the whole stream
    boundary: int  # the stream's frame where this segment nominally takes over (0 for the first)
    stop: int  # input sample where its encoder stops

    @property
    def start(self) -> int:
        return self.first_frame * SAMPLES_PER_FRAME


def segment_count(total: int, rate: int = SAMPLE_RATE) -> int:
    """How many segments a session of ``total`` samples is encoded in: a function of its length only, so the bytes are too."""
    seconds = total / rate
    if seconds < 2 * MIN_SEGMENT_S:
        return 1
    return 2 * math.ceil(seconds / (2 * SEGMENT_S))


def segments(total: int, count: int) -> list[Segment]:
    """``count`` segments of about equal length covering ``total`` samples, cut at frame boundaries."""
    frames = math.ceil(total / SAMPLES_PER_FRAME)
    bounds = [round(i * frames / count) for i in range(count)] + [frames]
    out = []
    for i in range(count):
        first = 0 if i == 0 else bounds[i] - WARMUP_FRAMES
        stop = total if i == count - 1 else min(total, (bounds[i + 1] + OVERLAP_FRAMES) * SAMPLES_PER_FRAME)
        out.append(Segment(i, first, bounds[i], stop))
    return out


def splittable(codec: Codec, total: int, rate: int = SAMPLE_RATE) -> bool:
    """Whether this encoding is split: MP3 (MPEG-1 rates), long enough for two segments."""
    return codec.fmt == "mp3" and rate in (32000, 44100, 48000) and segment_count(total, rate) > 1


def encode_mp3(
    path: Path,
    codec: Codec,
    total: int,
    source: Source,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    count: int | None = None,
) -> None:
    """Encode ``total`` samples from ``source`` into ``path`` (MP3, no tags), split over ``workers`` encoders when it pays.

    ``progress`` is called from this thread with the samples encoded so far. ``count``
    overrides the number of segments (for tests and measurements).
    """
    if count is None:
        count = segment_count(total) if splittable(codec, total) else 1
    if count > 1:
        try:
            _Run(path, codec, total, source, segments(total, count), workers or usable_cores(), progress).run()
            return
        except CannotJoin:
            pass
    _Run(path, codec, total, source, segments(total, 1), 1, progress).run()


class _Run:
    """One encoding: the segments' encoders on worker threads, then the join (or, for one segment, just the move)."""

    def __init__(
        self,
        path: Path,
        codec: Codec,
        total: int,
        source: Source,
        parts: list[Segment],
        workers: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.path, self.codec, self.total, self.source, self.parts = path, codec, total, source, parts
        self.workers = max(1, min(workers, len(parts)))
        self.progress = progress
        self._todo: queue.SimpleQueue[Segment] = queue.SimpleQueue()
        self._files: dict[int, Path] = {}
        self._done: dict[int, Encoded] = {}
        self._fed = [0] * len(parts)
        self._temps: list[Path] = []
        self._processes: list[subprocess.Popen[bytes]] = []
        self._errors: list[BaseException] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        for part in self.parts:
            self._todo.put(part)
        threads = [threading.Thread(target=self._work, name=f"voiceguide-encoder-{i}", daemon=True) for i in range(self.workers)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.1)
                    if self.progress is not None:
                        self.progress(sum(self._fed))
            if self._errors:
                raise self._errors[0]
            if len(self.parts) == 1:
                put_in_place(self._files[0], self.path)
                true_padding(self.path, self.total)
            else:
                join(self.path, [self._done[p.index] for p in self.parts], self.total)
        except BaseException:
            self._stop.set()
            for process in list(self._processes):
                if process.poll() is None:
                    process.kill()
            for thread in threads:
                if thread.ident is not None:
                    thread.join()  # each worker waits for its own encoder
            raise
        finally:
            for temp in self._temps:
                temp.unlink(missing_ok=True)

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    part = self._todo.get_nowait()
                except queue.Empty:
                    return
                self._files[part.index] = self._encode(part)
                if len(self.parts) > 1:
                    self._done[part.index] = inspect(self._files[part.index], part.first_frame, part.boundary, part.stop - part.start)
        except BaseException as err:  # noqa: BLE001 -- handed to the main thread
            self._errors.append(err)
            self._stop.set()

    def _encode(self, part: Segment) -> Path:
        temp = temp_path(self.path, f".{part.index}.mp3")
        with self._lock:
            self._temps.append(temp)
        with tempfile.TemporaryFile() as stderr:
            process = ffmpeg.start(encoder_args(self.codec, temp), stderr)
            with self._lock:
                self._processes.append(process)
            try:
                self._feed(part, process)
            except BaseException:
                process.kill()
                raise
            finally:
                process.wait()
            if self._stop.is_set():
                raise RenderError("encoding stopped")
            if process.returncode != 0:
                stderr.seek(0)
                raise ffmpeg.failure(f"encoding {destination_of(self.path).name}", process.returncode, stderr.read(), temp)
        return temp

    def _feed(self, part: Segment, process: subprocess.Popen[bytes]) -> None:
        """Render the segment into the encoder's stdin, counting progress past its warm-up."""
        ahead = part.boundary * SAMPLES_PER_FRAME - part.start  # warm-up: encoded twice, counted once
        after = self.parts[part.index + 1].boundary * SAMPLES_PER_FRAME if part.index + 1 < len(self.parts) else self.total
        nominal = min(after, self.total) - part.boundary * SAMPLES_PER_FRAME

        def counted(fed: int) -> None:
            self._fed[part.index] = min(nominal, max(0, fed - ahead))

        feed_encoder(process, self.source(part.start, part.stop), self._stop, counted)
