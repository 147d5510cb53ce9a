"""MP3 encoding on every core: the session cut at frame boundaries, encoded side by side, joined into one stream.

LAME cuts its input into frames of 1152 samples after ``delay`` samples of its own (576),
so an encoder started at a multiple of 1152 samples makes the very frames a single encoder
would make there, once its analysis has warmed up. Each segment's encoder therefore starts
``WARMUP_FRAMES`` before its first kept frame and the one before it runs ``OVERLAP_FRAMES``
past it; the join is made at a frame in that overlap where

- the earlier encoder's last frame uses the same window shape as the later one's frame
  before the join (so the decoder's overlap-add sees a valid window sequence), and
- the later encoder's frame borrows no more of the bit reservoir (``main_data_begin``)
  than the earlier stream leaves free there; those borrowed bytes are copied into the
  earlier frames' unused main-data space, where the decoder looks for them.

The joined file has a single-pass encode's frame count, encoder delay and padding, so it
decodes to exactly the input's length, and one LAME Info tag for the whole stream (seek
table, music length and CRC; the CRC follows from the CRCs each encoder wrote for its
part). Sessions too short to split, other formats, and anything unexpected in an
encoder's output are encoded by one encoder (see ``encode_mp3``).
"""

from __future__ import annotations

import itertools
import math
import os
import queue
import subprocess
import tempfile
import threading
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from voiceguide import ffmpeg
from voiceguide.errors import RenderError
from voiceguide.output import temp_path
from voiceguide.render import CHANNELS, SAMPLE_RATE
from voiceguide.render.encode import widen_pipe
from voiceguide.render.mp3frames import (
    SAMPLES_PER_FRAME,
    Frame,
    InfoTag,
    SeekTable,
    crc16,
    crc16_join,
    crc16_zeros,
    file_frame_offsets,
    frame_size,
    parse_frame,
    read_info,
    write_info,
)
from voiceguide.render.settings import Codec

WARMUP_FRAMES = 16  # a segment's encoder starts this many frames (0.4 s) before its first kept frame
OVERLAP_FRAMES = 24  # and the encoder before it runs this many past that frame
TAIL_FRAMES = 6  # an encoder's frames this close to the end of its input are never joined to
BACK_FRAMES = 12  # earlier frames that may hold a join's borrowed reservoir bytes (511 bytes at 32 kbit/s)
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


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class CannotJoin(Exception):
    """An encoder's output is not what a join needs; the session is encoded whole instead."""


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


@dataclass(frozen=True)
class _Encoded:
    segment: Segment
    path: Path
    info: InfoTag
    template: bytes  # its Info frame
    offsets: array[int]  # where each audio frame starts in its file
    end: int  # where the last one ends

    def at(self, frame: int) -> int:
        """Where the stream's ``frame`` starts in this file (its end for the frame after the last)."""
        k = frame - self.segment.first_frame
        return self.offsets[k] if k < len(self.offsets) else self.end


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
        self._done: dict[int, _Encoded] = {}
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
                os.replace(self._files[0], self.path)
                true_padding(self.path, self.total)
            else:
                self._join()
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
                    self._done[part.index] = self._inspect(part, self._files[part.index])
        except BaseException as err:  # noqa: BLE001 -- handed to the main thread
            self._errors.append(err)
            self._stop.set()

    def _encode(self, part: Segment) -> Path:
        temp = temp_path(self.path, f".{part.index}.mp3")
        with self._lock:
            self._temps.append(temp)
        command = [
            ffmpeg.ffmpeg_exe(), "-hide_banner", "-loglevel", "error",
            "-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", str(CHANNELS), "-i", "pipe:0", "-map_metadata", "-1",
            "-fflags", "+bitexact", "-flags:a", "+bitexact", *self.codec.args(),
            "-write_xing", "1", "-id3v2_version", "0", "-y", str(temp),
        ]  # fmt: skip
        with tempfile.TemporaryFile() as stderr:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
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
                raise RenderError(f"ffmpeg failed encoding {self.path.name}: {ffmpeg.last_words(stderr.read())}")
        return temp

    def _feed(self, part: Segment, process: subprocess.Popen[bytes]) -> None:
        """Render the segment into the encoder's stdin, counting progress past its warm-up."""
        stdin = process.stdin
        assert stdin is not None
        widen_pipe(stdin)
        ahead = part.boundary * SAMPLES_PER_FRAME - part.start  # warm-up: encoded twice, counted once
        after = self.parts[part.index + 1].boundary * SAMPLES_PER_FRAME if part.index + 1 < len(self.parts) else self.total
        nominal = min(after, self.total) - part.boundary * SAMPLES_PER_FRAME
        fed = 0
        try:
            for block in self.source(part.start, part.stop):
                if self._stop.is_set():
                    break
                stdin.write(np.ascontiguousarray(block, dtype="<i2").data)
                fed += block.shape[0]
                self._fed[part.index] = min(nominal, max(0, fed - ahead))
        except BrokenPipeError:
            pass  # ffmpeg died: its exit status and last words say why
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def _inspect(self, part: Segment, temp: Path) -> _Encoded:
        """Check the encoder's output is the stream a join expects: an Info tag, then whole frames on the expected grid."""
        try:
            offsets = file_frame_offsets(temp)
        except ValueError as err:
            raise CannotJoin(str(err)) from None
        size = temp.stat().st_size
        with open(temp, "rb") as f:
            template = f.read(offsets[1]) if len(offsets) > 1 else b""
        info = read_info(template)
        if info is None or info.frames != len(offsets) - 1 or info.size != size:
            raise CannotJoin("the encoder wrote no usable Info tag")
        if info.frames * SAMPLES_PER_FRAME < info.delay + part.stop - part.start:
            raise CannotJoin("the encoder's frames do not cover its input")
        return _Encoded(part, temp, info, template, offsets[1:], size)

    # --- joining ---------------------------------------------------------------------------

    def _join(self) -> None:
        encoded = [self._done[p.index] for p in self.parts]
        delay = encoded[0].info.delay
        if any(e.info.delay != delay for e in encoded):
            raise CannotJoin("the encoders disagree on their delay")
        cuts = [0, *(_choose_join(a, b) for a, b in itertools.pairwise(encoded))]
        frames = [*cuts[1:], encoded[-1].segment.first_frame + len(encoded[-1].offsets)]
        padding = frames[-1] * SAMPLES_PER_FRAME - delay - self.total  # not the last encoder's word for it: see true_padding
        if not 0 <= padding < 4096:
            raise CannotJoin("the joined stream would not decode to the session's length")
        table = SeekTable(len(encoded[0].template))
        music_crc = 0
        with open(self.path, "wb") as out:
            out.write(bytes(len(encoded[0].template)))
            for i, part in enumerate(encoded):
                carry = _carry(part, encoded[i + 1], cuts[i + 1]) if i + 1 < len(encoded) else None
                length, crc = _write_kept(out, part, cuts[i], frames[i], carry)
                music_crc = crc16_join(music_crc, crc, length)
                for frame in range(cuts[i], frames[i]):
                    table.add(part.at(frame + 1) - part.at(frame))
            tag = InfoTag(table.frames, table.size, delay, padding, music_crc)
            out.seek(0)
            out.write(write_info(encoded[0].template, tag, table.toc()))


def true_padding(path: Path, total: int) -> None:
    """Make the Info tag of an MP3 of ``total`` samples state its true padding.

    ffmpeg writes the trailing discard of the last packet only; when LAME's padding is more
    than a frame (it keeps at least 576 samples), the tag says 1152 + 529 and the file
    decodes up to 575 samples too long.
    """
    with open(path, "r+b") as f:
        first = f.read(4)
        size = frame_size(first, 0)
        frame = first + f.read(size - 4) if size else b""
        info = read_info(frame) if size else None
        if info is None:
            return
        padding = info.frames * SAMPLES_PER_FRAME - info.delay - total
        if padding != info.padding and 0 <= padding < 4096:
            f.seek(0)
            f.write(write_info(frame, InfoTag(info.frames, info.size, info.delay, padding, info.music_crc)))


class _Stretch:
    """Consecutive frames of one encoder's stream, with the positions of their main data in the reservoir's byte stream."""

    def __init__(self, part: _Encoded, first: int, stop: int) -> None:
        base = part.segment.first_frame
        first, stop = max(first, base), min(stop, base + len(part.offsets))
        self.first, self.start = first, part.at(first)
        with open(part.path, "rb") as f:
            f.seek(self.start)
            self.data = f.read(part.at(stop) - self.start)
        self.frames = [parse_frame(self.data, part.at(k) - self.start) for k in range(first, stop)]
        self.area = [0]  # where each frame's main-data area starts, counting area bytes only
        for frame in self.frames:
            self.area.append(self.area[-1] + frame.area)

    def frame(self, index: int) -> Frame:
        return self.frames[index - self.first]

    def has(self, index: int) -> bool:
        return 0 <= index - self.first < len(self.frames)

    def main_end(self, index: int) -> int:
        frame = self.frame(index)
        return self.area[index - self.first] - frame.main_data_begin + frame.main_bytes

    def free_before(self, index: int) -> int:
        """Reservoir bytes after the previous frame's main data, before this frame's area."""
        return self.area[index - self.first] - self.main_end(index - 1)

    def area_bytes(self, begin: int, end: int) -> bytes:
        """Main-data bytes from ``begin`` to ``end`` (positions counted in area bytes)."""
        out = bytearray()
        for frame, at in zip(self.frames, self.area, strict=False):
            lo, hi = max(begin, at), min(end, at + frame.area)
            if lo < hi:
                off = frame.main_offset + lo - at
                out += self.data[off : off + hi - lo]
        return bytes(out)

    def with_area_bytes(self, end: int, data: bytes) -> bytes:
        """This stretch's bytes with ``data`` written into the main-data areas just before position ``end``."""
        out = bytearray(self.data)
        begin = end - len(data)
        for frame, at in zip(self.frames, self.area, strict=False):
            lo, hi = max(begin, at), min(end, at + frame.area)
            if lo < hi:
                off = frame.main_offset + lo - at
                out[off : off + hi - lo] = data[lo - begin : hi - begin]
        return bytes(out)


@dataclass(frozen=True)
class _Carry:
    """The later encoder's reservoir bytes a join needs, written into the earlier stream's frames before the join."""

    stretch: _Stretch  # the earlier stream's frames from stretch.first to the join
    patched: bytes  # their bytes with the borrowed ones written in


def _choose_join(a: _Encoded, b: _Encoded) -> int:
    """The frame where ``b`` takes over from ``a``: the first in the overlap that meets both conditions (module docstring)."""
    boundary = b.segment.boundary
    last = boundary + OVERLAP_FRAMES - TAIL_FRAMES
    early = _Stretch(a, boundary - BACK_FRAMES, last + 1)
    late = _Stretch(b, boundary - WARMUP_FRAMES, last + 1)
    for j in range(boundary, last):
        if not (early.has(j - 1) and early.has(j) and late.has(j - 1) and late.has(j)):
            continue
        same_window = early.frame(j - 1).block_types == late.frame(j - 1).block_types
        if same_window and late.frame(j).main_data_begin <= early.free_before(j):
            return j
    raise CannotJoin(f"no frame near {boundary} where the encoders' streams can be joined")


def _carry(a: _Encoded, b: _Encoded, join: int) -> _Carry:
    early = _Stretch(a, join - BACK_FRAMES, join)
    late = _Stretch(b, join - BACK_FRAMES, join + 1)
    begin = late.area[join - late.first]
    borrowed = late.area_bytes(begin - late.frame(join).main_data_begin, begin)
    if len(borrowed) != late.frame(join).main_data_begin:
        raise CannotJoin(f"the reservoir before frame {join} reaches past the frames read")
    return _Carry(early, early.with_area_bytes(early.area[-1], borrowed))


def _write_kept(out: BinaryIO, part: _Encoded, first: int, stop: int, carry: _Carry | None) -> tuple[int, int]:
    """Copy frames ``first`` to ``stop`` of ``part`` into ``out`` as they go into the joined stream; their length and CRC-16.

    The CRC comes from the one the encoder wrote for all its frames: take away the frames
    before and after (read here, a few kilobytes), then account for the carried bytes.
    """
    begin, end = part.at(first), part.at(stop)
    patch = carry.stretch.start if carry is not None else end  # the patched frames are the last of the kept ones
    with open(part.path, "rb") as f:
        f.seek(part.offsets[0])
        head = f.read(begin - part.offsets[0])
        _copy(f, out, patch - begin)
        old = f.read(end - patch)
        tail = f.read()
    # all = head ‖ kept ‖ tail  ⇒  crc(head ‖ kept) = crc(all) ⊕ crc(tail), undone by len(tail) zeros
    length = end - begin
    head_kept = crc16_zeros(part.info.music_crc ^ crc16(tail), -len(tail))
    crc = head_kept ^ crc16_zeros(crc16(head), length)
    if carry is not None:
        crc ^= crc16(bytes(x ^ y for x, y in zip(old, carry.patched, strict=True)))
        old = carry.patched
    out.write(old)
    return length, crc


def _copy(src: BinaryIO, dst: BinaryIO, length: int, chunk: int = 1 << 20) -> None:
    while length > 0:
        data = src.read(min(chunk, length))
        if not data:
            raise CannotJoin("an encoder's file ended early")
        dst.write(data)
        length -= len(data)
