"""The spoken-command detector's parts that need no recogniser: phrases, the gate, calibration, "again", the VAD on real speech."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voiceguide.listen.calibration import Attempt, as_toml, load, thresholds_from
from voiceguide.listen.detector import DEFAULT_THRESHOLD, FLOOR, Thresholds
from voiceguide.listen.gate import Gate, sounding_of_plan
from voiceguide.listen.phrases import COMMANDS, SAID, command_of, normalise
from voiceguide.listen.recognise import folded
from voiceguide.player.timeline import Item, Span, Track, again_target


@pytest.mark.parametrize(
    ("transcript", "command"),
    [
        ("Pause.", "pause"), (" stop!", "pause"), ("Go on.", "continue"), ("go-on", "continue"), ("Resume", "continue"),
        ("Again?", "again"), ("REPEAT.", "again"), ("Next.", "next"), ("Back.", "back"), ("Louder!", "louder"),
        ("Softer.", "softer"), ("Pausé", "pause"), ("The back.", "back"), ("A Louder.", "louder"), ("It's stop.", "pause"), ("Fause.", "pause"),
        ("Lowder", "louder"), ("Softor.", "softer"), ("Repeet", "again"),
    ],
)  # fmt: skip
def test_a_transcript_that_is_exactly_a_phrase_is_its_command(transcript: str, command: str) -> None:
    assert command_of(transcript) == command


@pytest.mark.parametrize(
    "transcript",
    [
        "",
        "Pause the music.",
        "Stop it.",
        "Next step.",
        "I said again",
        "Release.",
        "One.",
        "Continue, please",
        "back back",
        "Who next?",
        "The pause the",
        "a a pause",
    ],
)
def test_anything_else_is_no_command(transcript: str) -> None:
    assert command_of(transcript) is None


def test_every_command_has_phrases_to_say_and_each_phrase_is_its_own() -> None:
    assert set(SAID) == set(COMMANDS)
    for command, phrases in SAID.items():
        assert all(command_of(p) == command for p in phrases)


def test_a_persons_own_spelling_counts_only_when_calibrated() -> None:
    assert command_of("Paw.") is None
    assert command_of("Paw.", {"paw": "pause"}) == "pause"


@pytest.mark.parametrize(
    ("written", "text"),
    [("Next. Next. Nex", "Next"), ("Back. Back.", "Back"), ("Release. Release. Release", "Release"), ("Two. Last one.", "Two. Last one."),
     ("Pause.", "Pause."), ("Stop. Go on.", "Stop. Go on."), ("next, next, nex", "next")],
)  # fmt: skip
def test_repeats_of_a_short_window_fold_into_one(written: str, text: str) -> None:
    assert folded(written) == text


def test_normalise_keeps_letters_and_single_spaces() -> None:
    assert normalise("  Go-on!  ") == "go on"
    assert normalise("GO   ON.") == "go on"


def test_the_gate_covers_the_guides_sound_its_lead_and_tail() -> None:
    gate = Gate.around([(1.0, 2.0), (2.5, 3.0), (10.0, 11.0)], tail_s=0.8, lead_s=0.1)
    assert gate.starts == (0.9, 9.9)
    assert gate.ends == pytest.approx((3.8, 11.8))
    assert gate.closed(3.7, 3.75)
    assert not gate.closed(3.85, 9.85)
    assert gate.closed(9.0, 10.0)
    assert gate.open_s(12.0) == pytest.approx(12.0 - 2.9 - 1.9)


def test_the_plan_sounds_in_everything_but_its_pauses() -> None:
    cues = [
        {"kind": "speech", "start_s": 0.0, "end_s": 1.5},
        {"kind": "pause", "start_s": 1.5, "end_s": 4.0},
        {"kind": "chime", "start_s": 4.0, "end_s": 5.0},
    ]
    assert sounding_of_plan(cues) == [(0.0, 1.5), (4.0, 5.0)]


def _track() -> Track:
    items = (
        Item("speech", 0.0, 2.0, "Press your toes."),
        Item("pause", 2.0, 3.0, repetitions=2, side="right"),
        Item("speech", 3.0, 3.5, "One.", 1, 2, "right"),
        Item("pause", 3.5, 7.5, None, 1, 2, "right", "hold"),
        Item("speech", 7.5, 8.0, "Release.", 1, 2, "right"),
        Item("pause", 8.0, 10.0, None, 1, 2, "right", "rest"),
        Item("speech", 10.0, 10.5, "Two.", 2, 2, "right"),
        Item("pause", 10.5, 14.5, None, 2, 2, "right", "hold"),
        Item("speech", 15.0, 16.0, "Stroke the arch."),
        Item("pause", 16.0, 20.0),
    )
    return Track("t", 20.0, (Span("Toe press", 0.0, 15.0), Span("Arch", 15.0, 20.0)), items)


@pytest.mark.parametrize(("t", "target"), [(5.0, 3.0), (9.0, 3.0), (12.0, 10.0), (1.0, 0.0), (2.5, 0.0), (18.0, 15.0), (15.5, 15.0)])
def test_again_goes_to_the_start_of_the_repetition_else_of_the_step(t: float, target: float) -> None:
    assert again_target(_track(), t) == target


def test_calibration_lowers_a_threshold_to_the_persons_score_and_learns_their_spelling() -> None:
    attempts = [
        Attempt("pause", "Pause.", 0.5),
        Attempt("next", "Necked.", 0.6),
        Attempt("back", None, 0.0),
        Attempt("again", "Next.", 0.9),
        Attempt("louder", "I don't know what to say", 0.9),
        Attempt("softer", "Softer.", 0.1),
    ]
    thresholds, lines = thresholds_from(attempts, Thresholds())
    assert thresholds.per_command == {"pause": pytest.approx(0.3), "softer": FLOOR}
    assert thresholds.spellings == {"necked": "next"}
    assert thresholds.of("back") == DEFAULT_THRESHOLD
    assert len(lines) == len(attempts)
    assert "nothing heard" in lines[2] and "not stored" in lines[3] and "not stored" in lines[4]


def test_calibration_is_stored_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "listen.toml"
    assert load(path) == Thresholds()
    stored = Thresholds({"pause": 0.31, "next": 0.25}, {"necked": "next"})
    path.write_text(as_toml(stored), encoding="utf-8")
    assert load(path) == stored


def test_a_broken_calibration_file_is_one_line(tmp_path: Path) -> None:
    from voiceguide.listen.calibration import CalibrationError

    path = tmp_path / "listen.toml"
    path.write_text("[threshold\n", encoding="utf-8")
    with pytest.raises(CalibrationError, match="listen --calibrate"):
        load(path)


def test_the_earcon_is_short_soft_and_starts_and_ends_silent() -> None:
    from voiceguide.listen.earcon import RATE, earcon

    sound = earcon().astype(np.float64) / 32768
    assert len(sound) / RATE == pytest.approx(0.14, abs=0.01)
    assert 20 * np.log10(np.max(np.abs(sound))) == pytest.approx(-12.0, abs=0.5)
    assert abs(sound[0]) < 1e-3 and abs(sound[-1]) < 1e-2


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """A second of quiet, "pause" in another voice than the narrator's, two seconds of quiet, "next"; 16 kHz."""
    pytest.importorskip("faster_whisper")  # the Silero model ships inside it (the listen extra)
    from listen_room import command_clip, say_into

    folder = tmp_path_factory.mktemp("spoken")
    mic = np.random.default_rng(1).standard_normal(16000 * 6).astype(np.float32) * 10 ** (-50 / 20)
    mic, _ = say_into(mic, command_clip(folder, "pause"), 1.0)
    mic, _ = say_into(mic, command_clip(folder, "next"), 3.5)
    return mic


@pytest.mark.parametrize("block", [512, 1536, 4096, 1000, 32768])
def test_speech_is_found_the_same_in_blocks_of_any_size(spoken: np.ndarray, block: int) -> None:
    from voiceguide.listen.vad import SpeechFinder

    finder = SpeechFinder()
    found = [s for i in range(0, len(spoken), block) for s in finder.feed(spoken[i : i + block])]
    found += finder.feed(np.zeros(16000, np.float32))
    assert [round(s.start_s, 1) for s in found] == [1.0, 3.5]
    for stretch in found:
        lo = round((stretch.start_s - 0.2) * 16000)
        assert np.array_equal(stretch.samples, spoken[lo : lo + len(stretch.samples)])
        assert len(stretch.samples) / 16000 == pytest.approx(stretch.end_s - stretch.start_s + 0.4, abs=0.01)


def test_speech_touching_the_gate_is_dropped(spoken: np.ndarray) -> None:
    from voiceguide.listen.gate import Gate
    from voiceguide.listen.vad import SpeechFinder

    gate = Gate.around([(0.0, 0.8)])  # the guide spoke until 0.8 s: its tail reaches into "pause" at 1.0 s
    finder = SpeechFinder()
    found = finder.feed(spoken, gate.closed) + finder.feed(np.zeros(16000, np.float32))
    assert [round(s.start_s, 1) for s in found] == [3.5]


def test_without_the_extra_listen_says_how_to_install_it_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from click.testing import CliRunner
    from listen_room import write_wav

    import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
    from voiceguide.cli import cli

    room = write_wav(tmp_path / "room.wav", np.zeros(16000, np.float32))
    monkeypatch.setitem(sys.modules, "ctranslate2", None)  # as if the listen extra were not installed
    result = CliRunner().invoke(cli, ["listen", "--mic", str(room)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == ["voiceguide: listening needs the speech recogniser — pip install 'voiceguide[listen]'"]


def test_listen_needs_a_recording_or_calibrate() -> None:
    from click.testing import CliRunner

    import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
    from voiceguide.cli import cli

    result = CliRunner().invoke(cli, ["listen"])
    assert result.exit_code == 2
    assert "--mic" in result.output


@pytest.mark.parametrize(("steps", "gain_db"), [(1, 3.0), (-2, -6.0), (-20, -24.0), (5, 9.0)])
def test_louder_and_softer_change_the_sound_handed_to_the_device_by_3_db_a_step_within_the_range(steps: int, gain_db: float) -> None:
    import array

    from voiceguide.player.audio import Silent

    output = Silent()
    for _ in range(abs(steps)):
        output.set_gain_db(output.gain_db + (3.0 if steps > 0 else -3.0))
    assert output.gain_db == gain_db
    tone = np.rint(0.2 * 32767 * np.sin(np.arange(4800) / 10)).astype(np.int16)

    def source() -> Any:
        wanted = yield b""
        while True:
            wanted = yield array.array("h", tone[: wanted or 4800].tobytes())

    started = source()
    next(started)
    feed = output._gained(started)
    next(feed)
    out = np.frombuffer(feed.send(4800), dtype=np.int16).astype(np.float64)
    change_db = 20 * np.log10(np.sqrt(np.mean(out**2)) / np.sqrt(np.mean(tone.astype(np.float64) ** 2)))
    assert change_db == pytest.approx(gain_db, abs=0.05)
