"""Speech keeps its natural attack: levelling never makes a line start harder, against its peak, than the engine did.

Measured on each line of a decoded build against the engine's own clip: how far the first
5 ms lie under the loudest 5 ms. Lines that begin with a vowel are the ones a compressor
flattens most (they start at full voice); a few begin otherwise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from audio_checks import RATE, decode, span
from mix_checks import attack_db

from voiceguide.build import BuildOptions, BuildResult, build
from voiceguide.narration.wav import read_mono16
from voiceguide.render.dsp import resample_clip
from voiceguide.render.master import compress, keep_attack

LINES = (
    "Each line of this session starts as the narrator says it.",
    "Open your hand, and rest it on the top of your foot.",
    "And now, ease off slowly.",
    "If anything hurts, stop at once.",
    "On each count, press a little deeper.",
    "Always keep the pressure comfortable.",
    "Under the arch, use your thumb.",
    "Eight.",
    "Press your toes gently into the floor.",
    "Slowly circle your ankle.",
)
ROUTINE = "title: Attack check\nmusic: none\nintro:\n" + "".join(f"  - {{say: {line!r}, pause: 1.5s}}\n" for line in LINES)
ROUTINE += "techniques:\n  - name: Rest\n    cue: none\n"
MAX_LIFT_DB = 2.0


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildResult, np.ndarray]:
    folder = tmp_path_factory.mktemp("attack")
    routine = folder / "attack.yaml"
    routine.write_text(ROUTINE, encoding="utf-8")
    result = build(routine, BuildOptions(output=folder / "attack.wav"))
    return result, decode(result.path)


def engine_clip(path: Path) -> np.ndarray:
    samples, rate = read_mono16(path)
    return resample_clip(samples.astype(np.float64) / 32768, rate, RATE)


@pytest.mark.slow
def test_no_line_starts_harder_than_the_engine_said_it(built: tuple[BuildResult, np.ndarray]) -> None:
    result, audio = built
    lifts = {}
    for cue in result.plan.cues:
        if cue.kind != "speech":
            continue
        assert cue.utterance is not None
        raw = attack_db(engine_clip(result.session.clips[cue.utterance].path))
        heard = attack_db(span(audio, cue.start_s, cue.end_s))
        lifts[cue.text] = raw - heard  # how much closer to its peak the start now lies
    assert len(lifts) >= len(LINES)
    assert {text: round(lift, 1) for text, lift in lifts.items() if lift > MAX_LIFT_DB} == {}


@pytest.mark.slow
def test_the_voice_is_still_evened_out(built: tuple[BuildResult, np.ndarray]) -> None:
    """Keeping the attack does not undo the levelling: peaks still come down against loudness."""
    result, _ = built
    for clip in result.session.clips.values():
        raw = engine_clip(clip.path).astype(np.float32)
        levelled = compress(raw)
        # the loudest 10 ms come down by more than the average does
        assert _crest_db(levelled) < _crest_db(raw) - 1.0


def _crest_db(x: np.ndarray) -> float:
    window = RATE // 100
    sums = np.concatenate([[0.0], np.cumsum(np.square(x.astype(np.float64)))])
    return 10 * float(np.log10(((sums[window:] - sums[:-window]) / window).max() / np.mean(np.square(x.astype(np.float64)))))


def test_keep_attack_on_a_synthetic_line() -> None:
    """A tone that swells from soft to loud, under a gain that takes 9 dB off its loud part."""
    t = np.arange(RATE) / RATE
    line = np.sin(2 * np.pi * 300 * t) * np.where(t < 0.1, 0.2, 1.0) * np.minimum(t / 0.002, 1.0)
    gain = np.where(t < 0.1, 1.0, 10 ** (-9 / 20))
    before = attack_db(line)
    flattened = attack_db(line * gain)
    kept = attack_db(line * keep_attack(line, gain))
    assert before - flattened == pytest.approx(9.0, abs=0.5)  # what plain levelling does to the start
    assert before - kept <= 0.5
    assert np.array_equal(keep_attack(line, gain)[RATE // 5 :], gain[RATE // 5 :])  # the rest of the line as levelled
