"""Per-person thresholds: each command said once, scored, and stored in the person's config folder (``listen.toml``).

A command heard as itself lowers its threshold toward what this voice in this room scores
(never under the floor, never above the default); a command heard as some other single
word that is no command's phrase becomes this person's spelling of it. The file::

    [threshold]
    pause = 0.35
    [spelling]
    "paws" = "pause"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceguide.errors import VoiceguideError
from voiceguide.listen.detector import DEFAULT_THRESHOLD, FLOOR, Hears, Thresholds
from voiceguide.listen.microphone import Samples
from voiceguide.listen.phrases import COMMANDS, command_of, normalise
from voiceguide.listen.vad import RATE, SpeechFinder

MARGIN = 0.6  # the stored threshold is this share of the score the person's own saying got
FILE_NAME = "listen.toml"


class CalibrationError(VoiceguideError):
    """The calibration file cannot be read."""


@dataclass(frozen=True)
class Attempt:
    """What the detector made of one command the person was asked for: the transcript and score of the first stretch, if any."""

    command: str
    heard: str | None
    score: float


def outcome(attempt: Attempt) -> tuple[str, float | None, str | None]:
    """``(message, threshold, spelling)`` for one attempt; threshold None keeps the default."""
    if attempt.heard is None:
        return f"{attempt.command}: nothing heard — the default threshold stays", None, None
    heard = normalise(attempt.heard)
    said = command_of(heard)
    if said == attempt.command:
        threshold = round(min(DEFAULT_THRESHOLD, max(FLOOR, attempt.score * MARGIN)), 3)
        return f"{attempt.command}: heard, score {attempt.score:.2f} → threshold {threshold:.2f}", threshold, None
    if said is not None:
        return f"{attempt.command}: heard as “{said}” — not stored; say it again later with --calibrate", None, None
    if not heard or len(heard.split()) > 2:
        return f"{attempt.command}: heard “{attempt.heard}” — not stored", None, None
    return f"{attempt.command}: heard as “{heard}” — kept as your way of saying it", None, heard


def thresholds_from(attempts: list[Attempt], before: Thresholds) -> tuple[Thresholds, list[str]]:
    """The thresholds after calibration (what was not heard keeps its earlier value) and a line per command."""
    per_command, spellings, lines = dict(before.per_command), dict(before.spellings), []
    for attempt in attempts:
        message, threshold, spelling = outcome(attempt)
        lines.append(message)
        if threshold is not None:
            per_command[attempt.command] = threshold
        if spelling is not None:
            spellings[spelling] = attempt.command
    return Thresholds(per_command, spellings), lines


def load(path: Path) -> Thresholds:
    """The stored thresholds, or the defaults when there is no file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Thresholds()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise CalibrationError(f"{path}: cannot read it ({err})", hint="run 'voiceguide listen --calibrate' again, or remove it") from None
    levels, spelled = data.get("threshold", {}), data.get("spelling", {})
    if not isinstance(levels, dict) or not isinstance(spelled, dict):
        raise CalibrationError(f"{path}: [threshold] and [spelling] must be tables", hint="run 'voiceguide listen --calibrate' again")
    per_command = {k: float(v) for k, v in levels.items() if k in COMMANDS and isinstance(v, (int, float)) and not isinstance(v, bool)}
    spellings = {normalise(k): v for k, v in spelled.items() if isinstance(v, str) and v in COMMANDS and normalise(k)}
    return Thresholds(per_command, spellings)


def as_toml(thresholds: Thresholds) -> str:
    lines = ["# written by 'voiceguide listen --calibrate'; run it again to redo", "[threshold]"]
    lines += [f"{command} = {value:.3f}" for command, value in sorted(thresholds.per_command.items())]
    lines += ["", "[spelling]"]
    lines += [f'"{spelling}" = "{command}"' for spelling, command in sorted(thresholds.spellings.items())]
    return "\n".join(lines) + "\n"


def attempts_in(recogniser: Hears, samples: Samples, commands: tuple[str, ...] = COMMANDS) -> list[Attempt]:
    """The commands said one after another in ``samples``: the n-th short stretch of speech is the n-th command."""
    finder = SpeechFinder()
    stretches = finder.feed(samples) + finder.feed(np.zeros(RATE, np.float32))
    attempts = []
    for command, stretch in zip(commands, stretches, strict=False):
        heard = recogniser.hear(stretch.samples)
        attempts.append(Attempt(command, heard.text or None, heard.score))
    attempts += [Attempt(command, None, 0.0) for command in commands[len(attempts) :]]
    return attempts
