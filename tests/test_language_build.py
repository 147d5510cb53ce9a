"""Sessions built in every language with the real narrator and encoder, measured on the decoded audio.

For each language a tiny routine (counts, both feet, a custom cue with {n} and {total})
is built without music: every line starts on its cue, the pauses between are silent,
and the MP3 names its language (ID3 TLAN). The shipped translated routines are built
too, decoded at a low rate to keep the test light, and timed the same way.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from audio_checks import decode, onset_s, rms_dbfs, span
from mutagen.id3 import ID3
from test_language import CUSTOM, LANGUAGES

from voiceguide.build import BuildOptions, build
from voiceguide.built import write_sidecars
from voiceguide.export.feed import PODCAST, FeedInfo, write_feed
from voiceguide.language import language
from voiceguide.plan import Plan, load_routine
from voiceguide.routine import builtin_routines

pytestmark = pytest.mark.slow

ONSET_TOLERANCE_S = 0.080  # as in the build tests: a 5 ms window at −45 dBFS finds the first sound


def tiny(code: str) -> str:
    name = language(code).name
    return f"""
title: {name}
language: {code}
music: none
intro:
  - {name}.
techniques:
  - name: {name} A
    repetitions: 2
    hold: 1s
    sides: each
    side_pause: 1s
  - name: {name} B
    repetitions: 2
    cue: "{CUSTOM[code]}"
    hold: 1s
"""


def speech_starts(plan: Plan) -> list[float]:
    return [c.start_s for c in plan.cues if c.kind == "speech"]


def check_timing(audio: np.ndarray, plan: Plan, rate: int) -> None:
    assert audio.shape[0] / rate == pytest.approx(plan.duration_s, abs=0.030)
    starts = speech_starts(plan)
    found = [
        (max(0.0, a - 0.1), onset_s(span(audio, max(0.0, a - 0.1), a + 1.0, rate), 0.0, threshold_dbfs=-45.0, rate=rate)) for a in starts
    ]
    assert all(o is not None for _, o in found)  # searched from 0.1 s before each cue to 1 s after it
    errors_ms = [abs(w + o - a) * 1000 for (w, o), a in zip(found, starts, strict=True) if o is not None]
    assert max(errors_ms) <= ONSET_TOLERANCE_S * 1000, errors_ms
    pauses = [(c.start_s, c.end_s) for c in plan.cues if c.kind == "pause" and c.end_s - c.start_s >= 0.5]
    assert pauses and all(rms_dbfs(span(audio, a + 0.05, b - 0.05, rate)) < -60.0 for a, b in pauses)


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_session_in_each_language_keeps_its_timing(tmp_path: Path, code: str) -> None:
    routine = tmp_path / f"{code}.yaml"
    routine.write_text(tiny(code).lstrip("\n"), encoding="utf-8")
    result = build(routine, BuildOptions(output=tmp_path / f"{code}.mp3", music="none"))
    said = [c.text for c in result.plan.cues if c.text]
    assert len(said) == 11  # intro, 2 names, 2 side cues, 4 counts, 2 custom cues
    check_timing(decode(result.path), result.plan, 44100)
    assert ID3(result.path).getall("TLAN")[0].text == [language(code).iso639_2]


TRANSLATED = [name for name, path in builtin_routines().items() if load_routine(path).language != "en"]


def test_translated_routines_ship() -> None:
    assert {load_routine(builtin_routines()[name]).language for name in TRANSLATED} >= {"de", "es"}


@pytest.mark.parametrize("name", TRANSLATED)
def test_a_shipped_translation_builds_with_exact_timing(tmp_path: Path, name: str) -> None:
    result = build(name, BuildOptions(output=tmp_path / f"{name}.mp3", music="none"))
    assert result.plan.chapters[0].title == language(result.plan.language).phrases.introduction
    rate = 8000  # a ten-minute session decoded at 44.1 kHz would take half a gigabyte
    check_timing(decode(result.path, rate), result.plan, rate)


def test_the_feed_takes_its_language_from_the_sessions(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for code, sidecars in (("de", False), ("es", True)):
        routine = tmp_path / f"{code}.yaml"
        routine.write_text(tiny(code).lstrip("\n"), encoding="utf-8")
        result = build(routine, BuildOptions(output=site / f"b-{code}.mp3", music="none"))
        if sidecars:
            write_sidecars(result.path, result.plan)
    shutil.copy(site / "b-de.mp3", site / "a-de.mp3")  # two German sessions, read from their tags alone
    write_feed(site, FeedInfo("Pies y Füße", "https://example.com/feet"))
    channel = ET.parse(site / "feed.xml").getroot().find("channel")
    assert channel is not None and channel.findtext("language") == "de"
    transcripts = [t.get("language") for t in channel.iter(f"{{{PODCAST}}}transcript")]
    assert transcripts == ["es", "es"]  # captions exist for the Spanish session only: vtt and srt
