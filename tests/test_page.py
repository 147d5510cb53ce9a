"""The follow-along page as text: self-contained, safely escaped, and readable in both colour schemes (WCAG contrast)."""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from importlib import resources

import pytest
from player_fixtures import build_session

from voiceguide.export.feed import FeedInfo, write_feed
from voiceguide.plan import Chapter, Cue, Plan, Utterance
from voiceguide.player.page import chapters_webvtt, page_html

AA_TEXT = 4.5  # WCAG 2.x SC 1.4.3, normal-size text
AA_GRAPHICS = 3.0  # SC 1.4.11, bars, outlines and focus rings
PAIRS = [  # (foreground, background, minimum): every colour pair the stylesheet puts together
    ("--fg", "--bg", AA_TEXT),
    ("--muted", "--bg", AA_TEXT),
    ("--fg", "--surface", AA_TEXT),
    ("--muted", "--surface", AA_TEXT),
    ("--accent-fg", "--accent", AA_TEXT),
    ("--accent", "--bg", AA_GRAPHICS),
    ("--accent", "--surface", AA_GRAPHICS),
    ("--muted", "--bg", AA_GRAPHICS),
]


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour written #rgb or #rrggbb."""
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def scheme_colours() -> dict[str, dict[str, str]]:
    css = resources.files("voiceguide.player").joinpath("web", "page.css").read_text(encoding="utf-8")
    dark_block = re.search(r"@media \(prefers-color-scheme: dark\)\s*\{\s*:root\s*\{(.*?)\}", css, re.S)
    light_block = re.search(r"^:root\s*\{(.*?)\}", css, re.S | re.M)
    assert dark_block and light_block

    def variables(block: str) -> dict[str, str]:
        return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{3,6})\s*;", block))

    return {"light": variables(light_block.group(1)), "dark": variables(dark_block.group(1))}


def test_contrast_reference_values():
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the well-known just-failing grey


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_colour_pair_meets_wcag_aa(scheme):
    colours = scheme_colours()[scheme]
    assert set(colours) == set(scheme_colours()["light"]), "both schemes set the same colours"
    ratios = {(fg, bg): contrast(colours[fg], colours[bg]) for fg, bg, _ in PAIRS}
    print(scheme, {f"{fg} on {bg}": round(r, 2) for (fg, bg), r in ratios.items()})
    for fg, bg, minimum in PAIRS:
        assert ratios[fg, bg] >= minimum, f"{scheme}: {fg} on {bg} is {ratios[fg, bg]:.2f}:1, below {minimum}:1"


def tiny_plan(title: str = "Evening </script><b>reset</b> & more") -> Plan:
    def say(text: str, start: float, end: float, chapter: int) -> Cue:
        return Cue("speech", start, end, chapter, Utterance(text, text, "en", 150, 1.0))

    cues = (say("Welcome <friend> & </script>.", 0, 2, 0), Cue("pause", 2, 5, 0), say("Press.", 5, 6, 1))
    return Plan(title, 6.0, (Chapter("Intro", 0, 5), Chapter("Press & hold", 5, 6)), cues)


def test_page_is_self_contained():
    page = page_html(tiny_plan(), "my session #1.mp3")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page), "no network: nothing is fetched from elsewhere"
    assert "@import" not in page and '<link rel="stylesheet"' not in page
    assert 'src="my%20session%20%231.mp3"' in page  # the audio, linked beside the page
    assert page.count("<script") == 2 and "{{" not in page


def test_text_is_escaped_everywhere():
    page = page_html(tiny_plan(), "a.mp3", description='Say "hi" <now>')
    assert "</script><b>" not in page and "<b>reset" not in page
    assert "&lt;/script&gt;&lt;b&gt;reset" in page and 'content="Say &quot;hi&quot; &lt;now&gt;"' in page
    data = re.search(r'<script type="application/json" id="session-data">(.*?)</script>', page, re.S)
    assert data is not None
    parsed = json.loads(data.group(1))
    assert parsed["title"] == tiny_plan().title and parsed["cues"][0]["text"] == "Welcome <friend> & </script>."
    assert parsed["audio"] == "a.mp3"


def test_captions_and_chapters_ride_along_as_webvtt():
    page = page_html(tiny_plan(), "a.mp3")
    tracks = dict(re.findall(r'<track kind="(\w+)"[^>]*src="data:text/vtt;charset=utf-8;base64,([^"]+)"', page))
    captions = base64.b64decode(tracks["captions"]).decode("utf-8")
    chapters = base64.b64decode(tracks["chapters"]).decode("utf-8")
    assert captions.startswith("WEBVTT") and "Welcome &lt;friend&gt; &amp; &lt;/script&gt;." in captions
    assert chapters == chapters_webvtt(tiny_plan())
    assert "00:00:05.000 --> 00:00:06.000\nPress &amp; hold" in chapters


def test_page_has_the_accessibility_hooks():
    page = page_html(tiny_plan(), "a.mp3")
    assert re.search(r'aria-live="polite"[^>]*>\s*<p id="step"', page)
    assert re.search(r'<div id="now"[^>]* lang="de"', page_html(tiny_plan(), "a.mp3", language="de"))  # the words in their language
    assert 'name="viewport" content="width=device-width' in page and 'lang="en"' in page
    for key in ("p ArrowLeft", "n ArrowRight", "Space"):
        assert f'aria-keyshortcuts="{key}"' in page


@pytest.mark.slow
def test_feed_links_to_the_page_when_it_exists(tmp_path):
    audio = build_session(tmp_path / "site")
    other = audio.with_name("other.mp3")
    other.write_bytes(audio.read_bytes())  # the same session without a page
    feed = write_feed(audio.parent, FeedInfo("Feet", "https://example.com/feet"))
    items = ET.parse(feed.path).getroot().findall("./channel/item")
    by_url = {item.find("enclosure").get("url"): item for item in items}
    with_page = by_url["https://example.com/feet/follow-along.mp3"]
    assert with_page.findtext("link") == "https://example.com/feet/follow-along.html"
    assert (with_page.findtext("description") or "").endswith("Follow along on screen: https://example.com/feet/follow-along.html")
    without = by_url["https://example.com/feet/other.mp3"]
    assert without.find("link") is None and "Follow along" not in (without.findtext("description") or "")
