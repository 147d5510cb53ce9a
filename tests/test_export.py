"""Side files from the timeline: captions, JSON chapters and the plan.

Mostly synthetic Plans (pure and fast); one test takes a real plan from the narrator.
Captions are checked by parsing them back with the small parsers below.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import stat
from pathlib import Path

import pytest

from voiceguide.built import SUFFIXES, sidecar_path, write_sidecars
from voiceguide.built.captions import MAX_CHARS, MAX_LINES, MIN_CAPTION_S, captions, split_cue, timestamp, to_srt, to_webvtt, wrap
from voiceguide.built.chapters import ChapterMark, chapters_json, clock, marks_from_chapters_json, marks_from_plan_json, show_notes
from voiceguide.errors import OutputError
from voiceguide.plan import Chapter, Cue, Plan, Utterance

_TIME = r"(\d{2}):(\d{2}):(\d{2})[.,](\d{3})"
_TIMING = re.compile(rf"^{_TIME} --> {_TIME}$")


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_captions(text: str, fmt: str) -> list[tuple[float, float, list[str]]]:
    """A strict little WebVTT/SRT reader: (start, end, lines) per caption."""
    assert text.endswith("\n") and "\r" not in text
    blocks = text.rstrip("\n").split("\n\n")
    if fmt == "vtt":
        header = blocks[0].split("\n")  # the signature, then header lines such as "Language: de"
        assert header[0] == "WEBVTT" and all(re.fullmatch(r"[A-Za-z]+: \S+", line) for line in header[1:])
        blocks = blocks[1:]
    out = []
    for number, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        if fmt == "srt":
            assert lines[0] == str(number)
            lines = lines[1:]
        timing = _TIMING.match(lines[0])
        assert timing, lines[0]
        assert (fmt == "srt") == ("," in lines[0])
        g = timing.groups()
        body = lines[1:]
        if fmt == "vtt":
            assert not any("<" in line or "-->" in line for line in body)
            body = [line.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for line in body]
        out.append((_seconds(*g[:4]), _seconds(*g[4:]), body))
    return out


def speech(text: str, start: float, end: float, chapter: int = 0) -> Cue:
    """A spoken cue whose engine text differs from the written one (captions must show the written)."""
    return Cue("speech", start, end, chapter, Utterance(text, f"[spoken] {text}", "en", 150, 1.0))


def make_plan(lines: list[tuple[str, float]], gap_s: float = 1.5) -> Plan:
    """Spoken lines of given lengths with pauses between them, split over two chapters."""
    cues: list[Cue] = []
    now = 0.25
    cues.append(Cue("chime", 0.0, now, 0))
    for index, (text, length) in enumerate(lines):
        chapter = 0 if index < len(lines) / 2 else 1
        cues.append(speech(text, now, now + length, chapter))
        cues.append(Cue("pause", now + length, now + length + gap_s, chapter))
        now += length + gap_s
    split = next((c.start_s for c in cues if c.chapter == 1), now)
    chapters = (Chapter("Introduction", 0.0, split), Chapter("Toe press", split, now))
    return Plan("Synthetic", now, chapters if split < now else chapters[:1], tuple(cues))


LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis-and-then-some-more"
TEXTS = [
    "Welcome.",
    "x" * 20 + " " + "y" * 21,  # exactly 42 characters
    "x" * 20 + " " + "y" * 22,  # 43: two lines
    "Press your toes gently into the floor and hold them there while you breathe slowly.",
    (
        "Place your thumbs on the sole of your right foot, just below the ball, and press in small circles, "
        "moving slowly towards the heel; keep the pressure firm but never painful, and breathe out as you press. "
        "If anything hurts, ease off at once."
    ),
    f"Say {LONG_WORD} twice.",
    "Drücken Sie die Zehen sanft — ganz sanft — und atmen Sie dabei ruhig weiter, Schritt für Schritt.",
    "Tom & Jerry say <b>hello</b> --> then stop.",
    "Press   your\ttoes,\n   then release.",
]
SPANS = [0.2, 1.0, 3.7, 12.0]


def _shown(text: str, fmt: str) -> str:
    """The words as a caption shows them: SubRip cannot carry "-->" in its text."""
    words = " ".join(text.split())
    return words.replace("-->", "→") if fmt == "srt" else words


@pytest.mark.parametrize("fmt", ["vtt", "srt"])
@pytest.mark.parametrize("span", SPANS)
@pytest.mark.parametrize("text", TEXTS)
def test_captions_parse_back_and_match_their_cue(text: str, span: float, fmt: str) -> None:
    plan = make_plan([("Welcome.", 0.8), (text, span), ("Done.", 0.5)])
    parsed = parse_captions(to_webvtt(plan) if fmt == "vtt" else to_srt(plan), fmt)
    spoken = [c for c in plan.cues if c.kind == "speech"]
    by_cue: dict[int, list[tuple[float, float, list[str]]]] = {i: [] for i in range(len(spoken))}
    for start, end, lines in parsed:
        owner = [i for i, c in enumerate(spoken) if c.start_s - 0.001 <= start < c.end_s]
        assert len(owner) == 1, (start, end, lines)
        by_cue[owner[0]].append((start, end, lines))
        assert 1 <= len(lines) <= MAX_LINES
        assert all(0 < len(line) <= MAX_CHARS and line == line.strip() for line in lines)
        assert not any(_TIMING.match(line) or (fmt == "srt" and "-->" in line) for line in lines)  # none reads as timing (VTT: checked raw)
    for index, cue in enumerate(spoken):
        mine = by_cue[index]
        assert mine, f"no caption for {cue.text!r}"
        assert mine[0][0] == pytest.approx(cue.start_s, abs=0.001)
        assert all(a[1] == b[0] for a, b in itertools.pairwise(mine))  # contiguous within the line
        following = spoken[index + 1].start_s if index + 1 < len(spoken) else plan.duration_s
        last_start, last_end, _ = mine[-1]
        # the last caption ends with the line, or stays up into the silence until shown MIN_CAPTION_S
        assert last_end == pytest.approx(max(cue.end_s, min(last_start + MIN_CAPTION_S, following)), abs=0.001)
        assert cue.text is not None
        shown = " ".join(" ".join(lines) for _, _, lines in mine)
        if max(len(w) for w in cue.text.split()) <= MAX_CHARS:
            assert shown == _shown(cue.text, fmt)
        else:  # only an over-long word may be cut; no character is lost
            assert "".join(shown.split()) == "".join(_shown(cue.text, fmt).split())


CHARS_PER_S = 14.0  # espeak-ng at 150 words a minute says about 14 characters a second (measured on the built-in routines)


@pytest.mark.parametrize("text", TEXTS[1:7])
def test_no_caption_is_shorter_than_a_second_inside_a_longer_line(text: str) -> None:
    span = max(1.0, len(text) / CHARS_PER_S)
    parts = split_cue(text, 10.0, 10.0 + span)
    assert all(p.end_s - p.start_s >= MIN_CAPTION_S - 1e-9 for p in parts), [(p.text, p.end_s - p.start_s) for p in parts]


def test_blocks_follow_phrases() -> None:
    text = TEXTS[4]  # 246 characters: clauses between commas and a semicolon, then a sentence
    parts = split_cue(text, 0.0, len(text) / CHARS_PER_S)
    assert len(parts) == 4
    assert all(p.text[-1] in ",;." for p in parts)
    assert parts[-1].text == "If anything hurts, ease off at once."


def test_the_short_tail_of_a_sentence_gets_no_caption_of_its_own() -> None:
    """Two full lines at a time leave "reach." alone on screen for under half a second; phrases do not."""
    text = "Lift your right foot onto your left knee so that the sole faces up, open and within reach."
    span = len(text) / CHARS_PER_S
    greedy = wrap(text)
    assert len(greedy) == 3 and greedy[-1] == "reach." and span * len("reach.") / len(text) < 0.5
    parts = split_cue(text, 0.0, span)
    assert [p.text for p in parts] == ["Lift your right foot onto your left knee so that the sole faces up,", "open and within reach."]
    assert min(p.end_s - p.start_s for p in parts) >= MIN_CAPTION_S


def test_a_line_that_fits_is_one_caption_broken_where_it_reads_best() -> None:
    (only,) = split_cue("Breathe in slowly, and let your shoulders drop.", 0.0, 4.0)
    assert only.lines == ("Breathe in slowly,", "and let your shoulders drop.")


@pytest.mark.parametrize("start, end", [(0.0, 6.0), (10.5, 19.7), (3600.0, 3608.9)])
def test_split_points_are_proportional_to_characters(start: float, end: float) -> None:
    text = " ".join(["word"] * 30)  # 149 characters, no punctuation: two blocks
    parts = split_cue(text, start, end)
    assert len(parts) == 2 and parts[0].start_s == start and parts[-1].end_s == end
    before = len(parts[0].text) + 1  # the characters before the second block, with the space
    assert parts[1].start_s == pytest.approx(start + (end - start) * before / len(text))


def test_a_short_line_stays_up_a_second_when_silence_follows() -> None:
    cues = (speech("One.", 0.0, 0.4), Cue("pause", 0.4, 5.0, 0), speech("Two.", 5.0, 5.4), speech("Three.", 5.6, 6.0))
    plan = Plan("T", 6.2, (Chapter("Introduction", 0, 6.2),), cues)
    assert [(c.text, c.start_s, c.end_s) for c in captions(plan)] == [
        ("One.", 0.0, 1.0),  # a full second, in the pause
        ("Two.", 5.0, 5.6),  # up to the next line, no further
        ("Three.", 5.6, 6.2),  # up to the end of the session
    ]


@pytest.mark.parametrize("text", TEXTS)
def test_wrap_keeps_words_whole_and_lines_short(text: str) -> None:
    lines = wrap(text)
    assert all(len(line) <= MAX_CHARS for line in lines)
    words = text.split()
    if all(len(w) <= MAX_CHARS for w in words):
        assert [w for line in lines for w in line.split()] == words
    assert len(lines) == 1 or len(" ".join(text.split())) > MAX_CHARS  # one line whenever it fits


def test_only_spoken_cues_with_words_make_captions() -> None:
    cues = (Cue("chime", 0, 3, 0), speech("Hello.", 3, 4), Cue("pause", 4, 9, 0), speech("  ", 9, 10), speech("Bye.", 10, 11))
    plan = Plan("T", 11, (Chapter("Introduction", 0, 11),), cues)
    assert [(c.cue, c.text) for c in captions(plan)] == [(1, "Hello."), (4, "Bye.")]
    assert to_srt(Plan("T", 3, (), cues[:1])) == ""
    assert to_webvtt(Plan("T", 3, (), cues[:1])) == "WEBVTT\n"


@pytest.mark.parametrize(
    "seconds, vtt, srt",
    [(0, "00:00:00.000", "00:00:00,000"), (3723.5, "01:02:03.500", "01:02:03,500"), (59.9996, "00:01:00.000", "00:01:00,000"),
     (0.0004, "00:00:00.000", "00:00:00,000"), (36000.25, "10:00:00.250", "10:00:00,250")],
)  # fmt: skip
def test_timestamps(seconds: float, vtt: str, srt: str) -> None:
    assert timestamp(seconds) == vtt
    assert timestamp(seconds, ",") == srt


def test_chapters_json_matches_the_plan_chapters() -> None:
    plan = make_plan([("One.", 1.2345678), ("Two.", 2.0), ("Three.", 0.75), ("Four.", 1.0)])
    data = chapters_json(plan)
    assert data["version"] == "1.2.0"
    assert [(c["startTime"], c["title"]) for c in data["chapters"]] == [(round(c.start_s, 3), c.title) for c in plan.chapters]
    assert all(isinstance(c["startTime"], float) for c in data["chapters"])
    assert marks_from_chapters_json(json.loads(json.dumps(data))) == [ChapterMark(round(c.start_s, 3), c.title) for c in plan.chapters]


def test_chapters_json_is_sorted_by_start() -> None:
    plan = Plan("T", 9, (Chapter("B", 5.0, 9.0), Chapter("A", 0.0, 5.0)), ())
    assert [c["title"] for c in chapters_json(plan)["chapters"]] == ["A", "B"]
    assert [m.title for m in marks_from_plan_json(plan.to_json())] == ["A", "B"]


@pytest.mark.parametrize(
    "data", [None, [], {"chapters": 3}, {"chapters": [1]}, {"chapters": [{"title": "x"}]}, {"chapters": [{"startTime": -1}]}]
)
def test_bad_chapters_json_is_refused(data: object) -> None:
    with pytest.raises(ValueError):
        marks_from_chapters_json(data)


@pytest.mark.parametrize("seconds, text", [(0, "0:00"), (75.9, "1:15"), (600, "10:00"), (3725, "1:02:05")])
def test_clock(seconds: float, text: str) -> None:
    assert clock(seconds) == text


def test_show_notes() -> None:
    assert show_notes([]) == ""
    assert show_notes([ChapterMark(0, "Introduction"), ChapterMark(65.2, "Toe press")]) == "Chapters:\n0:00 Introduction\n1:05 Toe press"


def test_write_sidecars_writes_four_files_beside_the_audio(tmp_path: Path) -> None:
    plan = make_plan([("Welcome.", 0.8), (TEXTS[4], 9.0), ("Done.", 0.5)])
    audio = tmp_path / "my session.mp3"
    written = write_sidecars(audio, plan)
    assert written == [tmp_path / f"my session{suffix}" for suffix in SUFFIXES.values()]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)  # no temp files left
    assert json.loads(sidecar_path(audio, "plan").read_text(encoding="utf-8")) == plan.to_json()
    assert json.loads(sidecar_path(audio, "chapters").read_text(encoding="utf-8")) == chapters_json(plan)
    assert sidecar_path(audio, "vtt").read_text(encoding="utf-8") == to_webvtt(plan)
    assert sidecar_path(audio, "srt").read_text(encoding="utf-8") == to_srt(plan)


def test_rewriting_sidecars_replaces_them_and_keeps_their_mode(tmp_path: Path) -> None:
    audio = tmp_path / "s.mp3"
    write_sidecars(audio, make_plan([("Old words.", 1.0)]))
    os.chmod(sidecar_path(audio, "vtt"), 0o640)
    write_sidecars(audio, make_plan([("New words.", 1.0)]))
    assert "New words." in sidecar_path(audio, "vtt").read_text(encoding="utf-8")
    assert stat.S_IMODE(sidecar_path(audio, "vtt").stat().st_mode) == 0o640
    assert len(list(tmp_path.iterdir())) == 4


def test_write_sidecars_where_no_folder_can_be_made_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(OutputError, match="cannot create the folder"):
        write_sidecars(tmp_path / "a-file" / "s.mp3", make_plan([("Hi.", 1.0)]))


def test_captions_of_a_real_plan(tiny_routine: Path) -> None:
    from voiceguide.session import prepare

    plan = prepare(tiny_routine).plan
    parsed = parse_captions(to_webvtt(plan), "vtt")
    spoken = [c for c in plan.cues if c.kind == "speech"]
    assert len(parsed) == len(spoken)  # every line of the tiny routine fits one caption
    for (start, end, lines), cue, following in zip(parsed, spoken, [*spoken[1:], None], strict=True):
        assert start == pytest.approx(cue.start_s, abs=0.001)
        limit = following.start_s if following else plan.duration_s
        assert end == pytest.approx(max(cue.end_s, min(cue.start_s + MIN_CAPTION_S, limit)), abs=0.001)
        assert " ".join(lines) == cue.text


@pytest.mark.slow  # narrates a whole built-in routine; the caption rules have fast tests of their own above
def test_no_caption_under_a_second_inside_a_longer_line_of_a_built_in_routine() -> None:
    """The issue's measure on a built-in routine with the real narrator: 48 of 122 captions were under a second."""
    from voiceguide.plan import load_routine
    from voiceguide.routine import find_routine
    from voiceguide.session import prepare

    plan = prepare(load_routine(find_routine("gentle-foot-unwind"))).plan
    lines = dict(enumerate(plan.cues))
    made = captions(plan)
    short = [
        c.text for c in made if c.end_s - c.start_s < MIN_CAPTION_S - 1e-6 and lines[c.cue].end_s - lines[c.cue].start_s >= MIN_CAPTION_S
    ]
    assert short == [] and len(made) >= len([c for c in plan.cues if c.kind == "speech"])
