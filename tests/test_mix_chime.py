"""The chime as a listener hears it: softer than the voice, a bowl's tone, a soft strike, its level set by the routine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from audio_checks import RATE, decode, mono, span
from mix_checks import chime_levels

from voiceguide.build import BuildOptions, BuildResult, build
from voiceguide.render.tones import CHIME_FUNDAMENTAL_HZ, chime
from voiceguide.routine.model import DEFAULT_CHIME_LEVEL_DB

ROUTINE = """
title: Chime check
{music}
intro:
  - Welcome. Sit comfortably, and let your shoulders drop.
  - chime: true
  - Each line of this session is spoken at an even level.
techniques:
  - name: Toe press
    chime: true
    steps:
      - Press your toes gently into the floor.
    repetitions: 2
    hold: 2s
  - name: Ankle circles
    chime: true
    steps:
      - Open your hand, and circle your ankle slowly.
outro:
  - chime: 4s
  - That is the end of the session.
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[BuildResult, np.ndarray]]:
    folder = tmp_path_factory.mktemp("chime")
    cache: dict[str, tuple[BuildResult, np.ndarray]] = {}

    def make(music: str) -> tuple[BuildResult, np.ndarray]:
        if music not in cache:
            routine = folder / f"chime-{len(cache)}.yaml"
            routine.write_text(ROUTINE.format(music=music).lstrip("\n"), encoding="utf-8")
            result = build(routine, BuildOptions(output=routine.with_suffix(".mp3")))
            cache[music] = (result, decode(result.path))
        return cache[music]

    return make


@pytest.mark.slow
@pytest.mark.parametrize("music", ["music: none", "music: {bed: pad}"])
def test_no_chime_is_louder_than_the_voice(built: Callable[[str], tuple[BuildResult, np.ndarray]], music: str) -> None:
    result, audio = built(music)
    levels = chime_levels(audio, result.plan)
    assert len(levels.chimes) == 4
    # the loudest 400 ms of every chime at or under the median line's loudest 400 ms, with room to spare
    assert levels.loudest_over_lines_db <= -2.0, levels
    # and each chime where it was asked to be: DEFAULT_CHIME_LEVEL_DB from the voice, give or take what a line's peak adds
    assert max(levels.chimes) - levels.lines_mean == pytest.approx(DEFAULT_CHIME_LEVEL_DB, abs=2.0)


@pytest.mark.slow
def test_a_routine_sets_the_chime_level(built: Callable[[str], tuple[BuildResult, np.ndarray]]) -> None:
    default_result, default_audio = built("music: none")
    quiet_result, quiet_audio = built("music: {bed: none, chime_level: -12}")
    default = chime_levels(default_audio, default_result.plan)
    quiet = chime_levels(quiet_audio, quiet_result.plan)
    # relative to the voice (the whole mix moves a little: quieter chimes count less in the loudness)
    lowered = (np.array(quiet.chimes) - quiet.lines_mean) - (np.array(default.chimes) - default.lines_mean)
    assert lowered == pytest.approx([-12.0 - DEFAULT_CHIME_LEVEL_DB] * 4, abs=0.5)


@pytest.mark.slow
def test_the_chime_sounds_like_a_bowl(built: Callable[[str], tuple[BuildResult, np.ndarray]]) -> None:
    """Decoded: its strongest partials at a bowl's inharmonic ratios (1 : 2.76 : 5.4), not at whole multiples."""
    result, audio = built("music: none")
    cue = next(c for c in result.plan.cues if c.kind == "chime")
    x = mono(span(audio, cue.start_s, cue.end_s))
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    frequencies = np.fft.rfftfreq(x.size, 1 / RATE)

    def strength(f: float) -> float:
        near = np.abs(frequencies - f) < 8.0
        return float(spectrum[near].max())

    fundamental = strength(CHIME_FUNDAMENTAL_HZ)
    assert float(spectrum.max()) == pytest.approx(fundamental)
    assert strength(2.76 * CHIME_FUNDAMENTAL_HZ) > 0.1 * fundamental
    assert strength(5.40 * CHIME_FUNDAMENTAL_HZ) > 0.02 * fundamental
    assert strength(2.0 * CHIME_FUNDAMENTAL_HZ) < 0.02 * fundamental  # not a harmonic tone
    assert strength(3.0 * CHIME_FUNDAMENTAL_HZ) < 0.02 * fundamental


def test_the_strike_is_soft() -> None:
    """A padded mallet: the chime takes over 10 ms to reach its loudest, and nothing above 6 kHz marks its start."""
    x = chime(3.0, RATE).astype(np.float64)
    envelope = np.abs(x)
    first_peak = int(np.argmax(envelope >= 0.9 * envelope[: RATE // 10].max()))
    assert first_peak / RATE >= 0.010
    spectrum = np.abs(np.fft.rfft(x[: RATE // 20] * np.hanning(RATE // 20))) ** 2
    frequencies = np.fft.rfftfreq(RATE // 20, 1 / RATE)
    assert spectrum[frequencies > 6000].sum() < 1e-4 * spectrum.sum()


def test_chime_level_out_of_range_is_a_located_problem(tmp_path: Path) -> None:
    from voiceguide.errors import RoutineError
    from voiceguide.plan import load_routine

    path = tmp_path / "loud.yaml"
    path.write_text(ROUTINE.format(music="music: {chime_level: 6}").lstrip("\n"), encoding="utf-8")
    with pytest.raises(RoutineError, match=r"loud\.yaml:2:.*chime_level"):
        load_routine(path)
