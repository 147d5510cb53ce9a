"""Encoding PCM blocks with ffmpeg while the next blocks are rendered (a writer thread feeds its stdin)."""

from __future__ import annotations

import queue
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import IO

import numpy as np

from voiceguide import ffmpeg
from voiceguide.errors import RenderError
from voiceguide.output import destination_of, temp_path
from voiceguide.render import CHANNELS, SAMPLE_RATE, usable_cores
from voiceguide.render.settings import Codec


def widen_pipe(pipe: IO[bytes] | None) -> None:
    """Ask Linux for a 1 MiB pipe buffer, so ffmpeg and its feeder hand over larger pieces."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)  # type: ignore[union-attr]
    except (OSError, ImportError, AttributeError, ValueError):
        pass  # not Linux, or a lower limit: the default buffer works, a little slower


def feed_encoder(
    process: subprocess.Popen[bytes], blocks: Iterable[np.ndarray], stop: threading.Event, counted: Callable[[int], None]
) -> None:
    """Write ``blocks`` into the encoder's stdin as 16-bit PCM until they end or ``stop`` is set, then close it; ``counted``
    hears the frames written so far after each block. An encoder that died ends the feeding quietly: its exit status
    and last words say why."""
    stdin = process.stdin
    assert stdin is not None
    widen_pipe(stdin)
    fed = 0
    try:
        for block in blocks:
            if stop.is_set():
                break
            stdin.write(np.ascontiguousarray(block, dtype="<i2").data)
            fed += block.shape[0]
            counted(fed)
    except BrokenPipeError:
        pass
    finally:
        try:
            stdin.close()
        except OSError:
            pass


def encode_parts(
    path: Path, codec: Codec, spans: Sequence[tuple[int, int]], source: Callable[[int, int], Iterable[np.ndarray]],
    progress: Callable[[int], None] | None = None, total: int = 0,
) -> list[bytes]:  # fmt: skip
    """Each span (first and stop sample) of ``source`` encoded into the format's stream muxer by its own ffmpeg, as many
    at once as there are cores; the first failure stops the others. ``progress`` hears the samples fed so far (at most
    ``total``)."""
    stop = threading.Event()
    processes: list[subprocess.Popen[bytes]] = []
    fed = [0] * len(spans)

    def one(index: int) -> bytes:
        if stop.is_set():
            raise RenderError("encoding stopped")
        part = temp_path(path, f".{index}.{codec.format.demuxer}")
        try:
            with tempfile.TemporaryFile() as stderr:
                raw = ["-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", str(CHANNELS), "-i", "pipe:0", "-map_metadata", "-1"]
                args = [*raw, "-fflags", "+bitexact", "-flags:a", "+bitexact", *codec.args(stream=True), "-y", ffmpeg.path_arg(part)]
                process = ffmpeg.start(args, stderr)
                processes.append(process)
                try:
                    feed_encoder(process, source(*spans[index]), stop, lambda frames: fed.__setitem__(index, frames))
                except BaseException:
                    process.kill()  # before the part is removed: an encoder left running could write it again
                    raise
                finally:
                    process.wait()
                if process.returncode != 0 or stop.is_set():
                    stderr.seek(0)
                    raise ffmpeg.failure(f"encoding {destination_of(path).name}", process.returncode, stderr.read(), path)
            return part.read_bytes()
        finally:
            part.unlink(missing_ok=True)

    with ThreadPoolExecutor(max_workers=min(len(spans), usable_cores()), thread_name_prefix="voiceguide-encode") as pool:
        futures = [pool.submit(one, i) for i in range(len(spans))]
        try:
            while wait(futures, timeout=0.1, return_when=FIRST_EXCEPTION).not_done:
                if progress is not None:
                    progress(min(total, sum(fed)))
            return [f.result() for f in futures]
        except BaseException:
            stop.set()
            for future in futures:
                future.cancel()
            for process in processes:
                if process.poll() is None:
                    process.kill()
            raise


def encoder_args(codec: Codec, path: Path, inputs: Sequence[str] = (), muxing: Sequence[str] = ("-map_metadata", "-1")) -> list[str]:
    """ffmpeg's arguments to encode raw stereo s16le at the session's rate from its stdin into ``path``, bit-exact.

    ``inputs``: more ffmpeg inputs after the audio (e.g. chapters); ``muxing``: output arguments that use them.
    """
    raw = ["-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", str(CHANNELS), "-i", "pipe:0", *inputs]
    return [
        *raw, "-map", "0:a", *muxing, "-fflags", "+bitexact", "-flags:a", "+bitexact", *codec.args(),
        "-y", ffmpeg.path_arg(path),
    ]  # fmt: skip


class Encoder:
    """An ffmpeg process turning raw stereo s16le on its stdin into ``path``: bare audio, tagged afterwards (``metadata``).

    The audio is its one input with streams (an MP4's chapters come as a small FFMETADATA file with none),
    so ffmpeg reads the audio as fast as it comes. Output is bit-exact
    (no encoder version or time stamps), so the same input gives the same bytes.
    """

    def __init__(self, path: Path, codec: Codec, inputs: Sequence[str] = (), muxing: Sequence[str] = ("-map_metadata", "-1")) -> None:
        self.path = path
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by finish() or abort()
        self.process = ffmpeg.start(encoder_args(codec, path, inputs, muxing), self._stderr)
        widen_pipe(self.process.stdin)
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._feed, name="voiceguide-encoder-feed", daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            while (data := self._queue.get()) is not None:
                stdin.write(data)
        except BaseException as err:  # noqa: BLE001 -- a broken pipe: ffmpeg died; reported in finish()
            self._error = err
            while self._queue.get() is not None:  # drain so the producer never blocks
                pass
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def write(self, block: np.ndarray) -> None:
        self._queue.put(block.tobytes())

    def finish(self) -> None:
        """Wait for ffmpeg to finish; RenderError if it failed."""
        self._queue.put(None)
        self._thread.join()
        code = self.process.wait()
        if code != 0 or self._error is not None:
            self._stderr.seek(0)
            raise ffmpeg.failure(f"encoding {destination_of(self.path).name}", code, self._stderr.read(), self.path)
        self._stderr.close()

    def abort(self) -> None:
        """Stop ffmpeg at once (on error or interruption)."""
        if self.process.poll() is None:
            self.process.kill()
        while True:  # make room for the end mark, whatever the feeder is doing
            try:
                self._queue.put_nowait(None)
                break
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass
        self.process.wait()
        self._thread.join(timeout=5)
        self._stderr.close()
