"""The follow-along page: one self-contained HTML file beside the audio (``NAME.html`` for ``NAME.mp3``).

No network, no framework: the style, the script, the timeline and the captions and
chapters (WebVTT, as ``data:`` tracks) are all inside the page; the audio is linked by
its file name, so the page works from ``file://`` on a phone and from a podcast site,
as long as the two files stay side by side. Template, style and script are package
data in ``web/``.
"""

from __future__ import annotations

import base64
import html
import json
import re
from importlib import resources
from pathlib import Path

from voiceguide.built import page_path, sidecar_path, sidecar_texts
from voiceguide.built.captions import timestamp, to_webvtt
from voiceguide.plan import Plan
from voiceguide.routine import Routine

_SLOT = re.compile(r"\{\{(\w+)\}\}")


def chapters_webvtt(plan: Plan) -> str:
    """The chapters as a WebVTT chapters track: one cue per chapter, titled."""
    blocks = ["WEBVTT"]
    for c in plan.chapters:
        title = c.title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")
        blocks.append(f"{timestamp(c.start_s)} --> {timestamp(c.end_s)}\n{title}")
    return "\n\n".join(blocks) + "\n"


def page_html(plan: Plan, audio_name: str, description: str = "", language: str = "en") -> str:
    """The page for the session ``plan`` whose audio file is ``audio_name`` (in the same folder)."""
    data = {**plan.to_json(), "audio": audio_name}
    values = {
        "language": html.escape(language, quote=True),
        "title": html.escape(plan.title),
        "description": html.escape(description),
        "audio": html.escape(_url_path(audio_name), quote=True),
        "captions": _data_url(to_webvtt(plan)),
        "chapters": _data_url(chapters_webvtt(plan)),
        "data": _script_json(data),
        "style": _asset("page.css"),
        "script": _asset("page.js"),
    }
    return _SLOT.sub(lambda m: values[m.group(1)], _asset("page.html"))


def player_files(audio: Path, plan: Plan, routine: Routine) -> dict[Path, str]:
    """What ``build --player`` writes beside ``audio``: the page, and the plan side file that ``play`` reads."""
    return {
        page_path(audio): page_html(plan, audio.name, routine.description, routine.language),
        sidecar_path(audio, "plan"): sidecar_texts(plan)["plan"],
    }


def _asset(name: str) -> str:
    return resources.files("voiceguide.player").joinpath("web", name).read_text(encoding="utf-8")


def _data_url(text: str) -> str:
    return "data:text/vtt;charset=utf-8;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")


def _script_json(data: object) -> str:
    """JSON that can sit inside a <script> element: nothing in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _url_path(name: str) -> str:
    """A file name as a relative URL (spaces, #, ? and % percent-encoded)."""
    from urllib.parse import quote

    return quote(name, safe="")
