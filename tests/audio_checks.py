"""Measuring decoded audio in tests: decoding, loudness, tone levels, onsets, tags and chapters.

Everything here works on what a listener's player would get: the encoded file decoded
by ffmpeg (the same decoder and demuxer ffprobe uses). Levels are in dBFS relative to
full scale (an RMS of 1.0, a full-scale square wave, is 0 dBFS).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceguide.ffmpeg import ffmpeg_exe

RATE = 44100
MP3_FRAME = 1152  # samples per MPEG-1 Layer III frame


def _ffmpeg(*args: str) -> subprocess.CompletedProcess[bytes]:
    command = [ffmpeg_exe(), "-nostdin", "-hide_banner", *args]
    result = subprocess.run(command, capture_output=True, timeout=120, check=False)
    if result.returncode != 0:
        raise AssertionError(f"ffmpeg {' '.join(args)} failed: {result.stderr.decode(errors='replace')[-800:]}")
    return result


def decode(path: Path, rate: int = RATE) -> np.ndarray:
    """The file decoded to stereo float64 frames at ``rate`` (frames × 2, full scale ±1)."""
    raw = _ffmpeg("-loglevel", "error", "-i", str(path), "-f", "s16le", "-ac", "2", "-ar", str(rate), "pipe:1").stdout
    return np.frombuffer(raw, dtype="<i2").reshape(-1, 2).astype(np.float64) / 32768.0


def mono(x: np.ndarray) -> np.ndarray:
    """The mid signal (mean of the channels): speech and the test tone are identical on both."""
    return x.mean(axis=1) if x.ndim == 2 else x


def span(x: np.ndarray, start_s: float, end_s: float, rate: int = RATE) -> np.ndarray:
    """Frames of ``x`` from ``start_s`` to ``end_s`` (clipped to the signal)."""
    a = max(0, round(start_s * rate))
    b = min(x.shape[0], round(end_s * rate))
    return x[a:b]


def db(power_ratio: float) -> float:
    return 10.0 * math.log10(power_ratio) if power_ratio > 0 else -math.inf


def rms_dbfs(x: np.ndarray) -> float:
    """RMS level of ``x`` in dBFS (all channels together)."""
    return db(float(np.mean(np.square(x)))) if x.size else -math.inf


def onset_s(x: np.ndarray, after_s: float, threshold_dbfs: float = -45.0, window_s: float = 0.005, rate: int = RATE) -> float | None:
    """Start time of the first ``window_s`` window (sliding by one sample) at or above ``threshold_dbfs``, from ``after_s`` on."""
    y = mono(x)
    first = max(0, round(after_s * rate))
    seg = y[first:]
    window = round(window_s * rate)
    if seg.size < window:
        return None
    energy = np.concatenate(([0.0], np.cumsum(seg * seg)))
    mean_square = (energy[window:] - energy[:-window]) / window
    loud = np.flatnonzero(mean_square >= 10 ** (threshold_dbfs / 10))
    return (first + int(loud[0])) / rate if loud.size else None


def tone_amplitude(x: np.ndarray, frequency: float, rate: int = RATE) -> float:
    """Peak amplitude of the ``frequency`` component of ``x`` (mid signal).

    A Hann-windowed single-bin DFT (a Goertzel filter): its main lobe is ±2/T wide for a
    window of T seconds, so over a second or more it sees the tone and little else.
    """
    y = mono(x)
    if y.size == 0:
        return 0.0
    w = np.hanning(y.size)
    n = np.arange(y.size)
    phasor = np.exp(-2j * np.pi * frequency * n / rate)
    return float(2.0 * abs(np.sum(w * y * phasor)) / np.sum(w))


def tone_dbfs(x: np.ndarray, frequency: float, rate: int = RATE) -> float:
    """Level in dBFS of the ``frequency`` component (a sine of amplitude A has power A²/2)."""
    return db(tone_amplitude(x, frequency, rate) ** 2 / 2.0)


def highpass_dbfs(
    x: np.ndarray, centre_s: float, cutoff_hz: float, half_width_s: float = 0.05, context_s: float = 0.5, rate: int = RATE
) -> float:
    """Level in dBFS of everything above ``cutoff_hz`` within ``half_width_s`` of ``centre_s`` (mid signal).

    Filtered as a Hann-tapered ``context_s`` either side (a brick-wall FFT filter), so the
    cut edges of the excerpt add nothing near its centre, where the taper is close to 1.
    """
    segment = mono(span(x, centre_s - context_s, centre_s + context_s, rate))
    spectrum = np.fft.rfft(segment * np.hanning(segment.size))
    spectrum[np.fft.rfftfreq(segment.size, 1 / rate) < cutoff_hz] = 0
    filtered = np.fft.irfft(spectrum, n=segment.size)
    middle = segment.size // 2
    half = round(half_width_s * rate)
    return rms_dbfs(filtered[middle - half : middle + half])


def step_ratios(x: np.ndarray, frequency: float, block_s: float = 0.02, rate: int = RATE) -> np.ndarray:
    """For each ``block_s`` block of ``x`` (mid signal): its largest sample-to-sample step over the largest
    step a sine of ``frequency`` at the block's measured amplitude takes (2·A·sin(π·f/rate)).

    A tone alone gives about 1 everywhere; a click (a jump in the waveform) gives much more.
    """
    y = mono(x)
    block = round(block_s * rate)
    ratios = []
    for start in range(0, y.size - block, block):
        piece = y[start : start + block + 1]  # one sample more: the step into the next block counts too
        amplitude = tone_amplitude(piece, frequency, rate)
        steepest = 2.0 * amplitude * math.sin(math.pi * frequency / rate)
        ratios.append(float(np.abs(np.diff(piece)).max()) / max(steepest, 1e-9))
    return np.array(ratios)


def gliding_voice(seconds: float, rate: int = RATE) -> np.ndarray:
    """A voice-like tone that glides and pulses over soft noise, stereo int16: something an encoder must work at."""
    t = np.arange(round(seconds * rate)) / rate
    voice = 0.3 * np.sin(2 * np.pi * (180 + 60 * np.sin(2 * np.pi * 0.3 * t)) * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 2.1 * t))
    noise = np.random.default_rng(7).normal(0, 0.02, (t.size, 2))
    return np.round((voice[:, None] + noise) * 32767).astype("<i2")


def sine_wav(path: Path, frequency: float, frames: int, amplitude: float = 0.5, rate: int = RATE) -> Path:
    """Write a mono 16-bit WAV holding ``frames`` samples of a sine."""
    t = np.arange(frames) / rate
    return mono_wav(path, amplitude * np.sin(2 * np.pi * frequency * t), rate)


def mono_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """Write float ``samples`` (−1 to 1, clipped) as a mono 16-bit WAV."""
    pcm = np.rint(np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float


def ebur128(path: Path) -> Loudness:
    """Integrated loudness and true peak as ffmpeg's ``ebur128`` filter (BS.1770-4) reports them."""
    stderr = _ffmpeg("-nostats", "-i", str(path), "-filter_complex", "ebur128=peak=true", "-f", "null", "-").stderr.decode(errors="replace")
    summary = stderr[stderr.rindex("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf)\s+LUFS", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf)\s+dBFS", summary)
    assert integrated and peak, f"no ebur128 summary in:\n{summary}"
    return Loudness(float(integrated.group(1)), float(peak.group(1)))


@dataclass(frozen=True)
class DemuxedChapter:
    title: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Demuxed:
    tags: dict[str, str]
    chapters: list[DemuxedChapter]


def ffmetadata(path: Path, stream_tags: bool = False) -> Demuxed:
    """Global tags and chapters as ffmpeg's demuxer reads them (``-f ffmetadata``; ffprobe uses the same demuxer).

    ``stream_tags``: the audio stream's tags instead of the global ones (ffmpeg puts an Ogg file's comments there).
    """
    source = ["-map_metadata", "0:s:a:0"] if stream_tags else []
    text = _ffmpeg("-loglevel", "error", "-i", str(path), *source, "-f", "ffmetadata", "-").stdout.decode("utf-8")
    tags: dict[str, str] = {}
    chapters: list[dict[str, str]] = []
    current = tags
    for line in _logical_lines(text)[1:]:  # the first line is ";FFMETADATA1"
        if line == "[CHAPTER]":
            chapters.append({})
            current = chapters[-1]
        elif line.startswith("[") and line.endswith("]"):
            current = {}  # [STREAM] sections: not needed here
        elif "=" in line and not line.startswith((";", "#")):
            key, value = line.split("=", 1)
            current[key.lower()] = re.sub(r"\\(.)", r"\1", value, flags=re.S)
    out = []
    for chapter in chapters:
        num, den = (int(v) for v in chapter["timebase"].split("/"))
        out.append(DemuxedChapter(chapter.get("title", ""), int(chapter["start"]) * num / den, int(chapter["end"]) * num / den))
    return Demuxed(tags, out)


def _logical_lines(text: str) -> list[str]:
    """FFMETADATA lines, joined where a backslash escapes the newline (the escapes are kept)."""
    lines, current, escaped = [], "", False
    for ch in text:
        if escaped:
            current, escaped = current + "\\" + ch, False
        elif ch == "\\":
            escaped = True
        elif ch == "\n":
            lines.append(current)
            current = ""
        else:
            current += ch
    return [*lines, current] if current else lines


def ffprobe_chapters(path: Path) -> list[DemuxedChapter] | None:
    """Chapters as ffprobe reports them, or None where there is no ffprobe."""
    probe = shutil.which("ffprobe")
    if probe is None:
        return None
    result = subprocess.run([probe, "-v", "error", "-show_chapters", "-of", "json", str(path)], capture_output=True, timeout=60, check=True)
    return [
        DemuxedChapter(c.get("tags", {}).get("title", ""), float(c["start_time"]), float(c["end_time"]))
        for c in json.loads(result.stdout).get("chapters", [])
    ]


def merge_spans(spans: Iterable[tuple[float, float]], tolerance_s: float = 1e-6) -> list[tuple[float, float]]:
    """Spans joined where one ends where the next starts."""
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + tolerance_s:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]
