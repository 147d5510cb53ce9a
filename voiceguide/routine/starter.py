"""A place to start: ``voiceguide new NAME`` writes a commented routine that validates.

The routine uses what people need first (an intro, a technique with a count, holds and
rests with ranges, both sides of a body part, a closing), in the language asked for, with
the lines of that language's ``starter:`` table. ``--from`` starts from another routine's
text instead, with its language and body part set when asked. Either way the text is
checked as a routine before the command line writes it, never over an existing file.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import yaml

from voiceguide import registry
from voiceguide.errors import OutputError
from voiceguide.language import base_code, language
from voiceguide.routine.files import find_routine, read_text
from voiceguide.routine.loader import routine_from_text
from voiceguide.routine.model import DEFAULT_BODY_PART, DEFAULT_LANGUAGE
from voiceguide.routine.slips import WORDS_YAML_READS

STARTER_KEYS = ("title", "description", "welcome", "breathe", "precaution", "technique", "step", "closing")
_NAME = re.compile(r"^[\w][\w.-]*$")

TEMPLATE = """\
# {file}: a routine for voiceguide, to change as you like.
#   voiceguide validate {file}    every problem, with the line and how to fix it
#   voiceguide plan {file}        the timeline: when each line is said
#   voiceguide build {file}       the session as an MP3 in output/
# The whole format and every key: docs/routines.md in voiceguide's source, or voiceguide/routine/schema.json.
# Put a line in quotes when it holds ": " or " #", or is a word such as yes, no, on or off.
title: {title}
description: {description}
{language_line}# the counts and the side cues are said in it
{body_part_line}# what sides: each works on: foot, hand, arm, leg, knee, shoulder, side of the neck
narration: {{rate: 150}}            # words a minute; engine: and voice: choose the narrator (voiceguide voices)
music: {{bed: pad, level: -14}}     # a generated bed (voiceguide music), {{file: calm.mp3}} beside this file, or none
# length: 15m                     # fit the session to a length: holds, rests and pauses stretch within their ranges
intro:
  - {welcome}
  - {{say: {breathe}, pause: 3s..6s}}   # words, then silence
precautions:                      # said before the first technique
  - {precaution}
techniques:                       # each technique is a chapter
  - name: {technique}
    chime: true                   # a soft chime before it
    steps:
      - {step}
      - pause: 2s
    repetitions: 4..8             # the count of each side: fewer or more when fitted to a length
    cue: count                    # one, two, … said at each repetition
    hold: 5s..10s                 # starts the moment the count ends
    rest: 2s..4s                  # between repetitions
    release: true                 # said at the end of each hold, in the language
    sides: each                   # the repetitions for the right side, then the left, with a cue to switch
    pause_after: 3s..8s
outro:
  - {closing}
"""


def starter_lines(code: str) -> dict[str, str]:
    """The starter lines of language ``code`` (its own file, else its base language's)."""
    for candidate in (code.lower(), base_code(code)):
        where = resources.files("voiceguide.language").joinpath("phrases", f"{candidate}.yaml")
        if where.is_file():
            data = yaml.safe_load(where.read_text(encoding="utf-8"))
            lines = data.get("starter") if isinstance(data, dict) else None
            if isinstance(lines, dict) and set(lines) == set(STARTER_KEYS):
                return {k: str(v) for k, v in lines.items()}
    raise LookupError(f"no starter lines for language {code!r}")


def _scalar(text: str) -> str:
    """``text`` as YAML: plain where that reads back as the same text, else in double quotes."""
    plain = not re.search(r": |\s#|^[\W_]|[{}\[\]]", text) and text.lower() not in (*WORDS_YAML_READS, "yes", "no", "on", "off")
    return text if plain and yaml.safe_load(text) == text else json.dumps(text, ensure_ascii=False)


def starter_text(file: str, code: str, body_part: str) -> str:
    """The commented routine ``new`` writes, in language ``code`` for ``body_part``."""
    lines = {k: _scalar(v) for k, v in starter_lines(code).items()}
    lines["breathe"] = json.dumps(starter_lines(code)["breathe"], ensure_ascii=False)  # inside { }: always quoted
    return TEMPLATE.format(
        file=file, language_line=f"language: {code}".ljust(34), body_part_line=f"body_part: {_scalar(body_part)}".ljust(34), **lines
    )


def _set_key(text: str, key: str, value: str) -> str:
    """``text`` with its top-level ``key:`` set to ``value`` (the line replaced, or added after the title)."""
    line = f"{key}: {_scalar(value)}"
    pattern = re.compile(rf"^{key}:.*$", re.MULTILINE)
    if pattern.search(text):
        return pattern.sub(lambda _: line, text, count=1)
    title = re.search(r"^title:.*$", text, re.MULTILINE)
    at = title.end() if title else 0
    return text[:at] + ("\n" if title else "") + line + ("" if title else "\n") + text[at:]


def new_routine(
    name: str, folder: Path, source: str | None = None, code: str | None = None, body_part: str | None = None
) -> tuple[Path, str]:
    """Where ``NAME.yaml`` goes in ``folder`` and its text: a starter routine, or ``source``'s text; checked as a routine.

    OutputError when the file exists: the caller writes it with ``output.Outputs``, which refuses to replace it too.
    """
    stem = name.removesuffix(".yaml").removesuffix(".yml")
    if not _NAME.match(stem):
        raise OutputError(f"'{name}' is not a routine name", hint="use letters, digits, '-' and '_', such as my-routine")
    destination = folder / f"{stem}.yaml"
    if destination.exists() or destination.is_symlink():
        raise OutputError(f"{destination.name} already exists", hint="choose another name, or edit the file you have")
    if code is not None:
        try:
            language(code)
        except LookupError:
            known = ", ".join(registry.languages())
            raise OutputError(f"voiceguide does not speak the language '{code}'", hint=f"use one of {known}") from None
    if source is None:
        text = starter_text(destination.name, code or DEFAULT_LANGUAGE, body_part or DEFAULT_BODY_PART)
    else:
        origin = find_routine(source)
        text = f"# {destination.name}: started from {origin.name}.\n" + read_text(origin)
        text = _set_key(text, "language", code) if code else text
        text = _set_key(text, "body_part", body_part) if body_part else text
    routine_from_text(destination, text)  # refused unless it reads as a routine, located as in the file
    return destination, text
