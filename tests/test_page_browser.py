"""The follow-along page in a real headless Chromium, loaded from file://: seeking, keys, layout, contrast, screenshots.

Needs Debian's ``chromium`` and ``chromium-driver`` (CI installs them); skipped with the reason where they are missing.
The browser has no sound output here: the tests move the audio's ``currentTime`` and wait for ``seeked``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from player_fixtures import build_session, track_of

from voiceguide.player.timeline import moment, next_chapter, previous_target

BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        BROWSER is None or DRIVER is None, reason="no chromium and chromedriver here (Debian: apt-get install chromium chromium-driver)"
    ),
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "output" / "player"
PHONE, DESKTOP = (390, 844), (1280, 800)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--autoplay-policy=no-user-gesture-required",
]

SEEK = """
const [t, done] = [arguments[0], arguments[arguments.length - 1]];
const a = document.getElementById("audio");
const text = (id) => document.getElementById(id).textContent;
const read = () => ({
  time: a.currentTime, step: text("step"), chapter: text("chapter"), repetition: text("repetition"), next: text("next"),
  countdown: document.getElementById("countdown").hidden ? null : text("countdown-label"), paused: a.paused,
});
const go = () => {
  a.addEventListener("seeked", () => requestAnimationFrame(() => done(read())), { once: true });
  a.currentTime = t;
};
if (t === null) requestAnimationFrame(() => done(read()));
else if (a.readyState >= 1) go();
else a.addEventListener("loadedmetadata", go, { once: true });
"""

COLOURS = """
const background = (el) => {
  for (; el; el = el.parentElement) {
    const c = getComputedStyle(el).backgroundColor;
    if (c !== "rgba(0, 0, 0, 0)" && c !== "transparent") return c;
  }
  return getComputedStyle(document.documentElement).backgroundColor;
};
return [...document.querySelectorAll("h1, #position, #chapter, #step, #repetition, #next, #elapsed, button, .chapters .time, .keys")]
  .map((el) => [el.id || el.className || el.tagName, getComputedStyle(el).color, background(el)]);
"""


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    return build_session(tmp_path_factory.mktemp("page"))


def chromium(profile: Path, *flags: str, script_timeout_s: float = 20):
    """Debian's Chromium, headless, driven by its chromedriver, with its own profile folder and the console kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", *flags]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.set_script_timeout(script_timeout_s)
    return driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


def open_page(browser, session: Path, size=PHONE, scheme="light"):
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
    width, height = size
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
    )
    browser.get(session.with_suffix(".html").as_uri())
    browser.get_log("browser")  # start each page with an empty console


def seek(browser, t):
    return browser.execute_async_script(SEEK, t)


def console_errors(browser) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]


def test_build_writes_the_page_beside_the_audio(session):
    page = session.with_suffix(".html")
    assert page.is_file() and 'src="follow-along.mp3"' in page.read_text(encoding="utf-8")


def test_seeking_into_every_spoken_cue_shows_its_words(browser, session):
    track = track_of(session)
    open_page(browser, session)
    spoken = [item for item in track.items if item.kind == "speech"]
    assert len(spoken) >= 10
    for item in spoken:
        t = item.start_s + (item.end_s - item.start_s) * 0.4
        shown = seek(browser, t)
        expected = moment(track, t)
        assert shown["step"] == item.text
        assert shown["chapter"] == expected.chapter_title
        assert shown["repetition"] == expected.repetition_text
        assert shown["next"] == (f"Next: {expected.next_words}" if expected.next_words else "")
    assert console_errors(browser) == []


def test_holds_show_their_countdown_and_the_words_stay(browser, session):
    track = track_of(session)
    open_page(browser, session)
    holds = [item for item in track.items if item.role == "hold"]
    assert len(holds) == 4
    shown = seek(browser, holds[-1].start_s + 0.5)
    assert shown["countdown"] == "Hold" and shown["step"] == "Two, last one." and shown["repetition"] == "Repetition 2 of 2 · left foot"
    assert console_errors(browser) == []


def test_keys_and_buttons_move_like_the_terminal_player(browser, session):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    track = track_of(session)
    open_page(browser, session)
    body = browser.find_element(By.TAG_NAME, "body")
    seek(browser, 0.5)
    expected = next_chapter(track, 0.5)
    for key in ("n", Keys.ARROW_RIGHT):
        body.send_keys(key)
        assert seek(browser, None)["time"] == pytest.approx(expected, abs=0.01)
        expected = next_chapter(track, expected)
    here = seek(browser, None)["time"]
    body.send_keys("p")  # near the chapter's start: the chapter before
    assert seek(browser, None)["time"] == pytest.approx(previous_target(track, here), abs=0.01)
    seek(browser, track.chapters[1].start_s + 5)
    body.send_keys(Keys.ARROW_LEFT)  # well into a chapter: its start
    assert seek(browser, None)["time"] == pytest.approx(track.chapters[1].start_s, abs=0.01)
    body.send_keys(" ")
    assert browser.execute_script("return document.getElementById('audio').paused") is False
    assert browser.find_element(By.ID, "play-label").text == "Pause"
    body.send_keys("q")
    assert browser.execute_script("return document.getElementById('audio').paused") is True
    chapters = browser.find_elements(By.CSS_SELECTOR, "#chapters button")
    assert len(chapters) == len(track.chapters)
    chapters[2].click()
    shown = seek(browser, None)
    assert shown["time"] == pytest.approx(track.chapters[2].start_s, abs=0.01) and shown["chapter"] == track.chapters[2].title
    assert chapters[2].get_attribute("aria-current") == "true"
    assert console_errors(browser) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_and_desktop_layout_and_screenshots(browser, session, scheme):
    from selenium.webdriver.common.by import By

    track = track_of(session)
    hold = [item for item in track.items if item.role == "hold"][2]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        open_page(browser, session, size, scheme)
        seek(browser, hold.start_s + 0.6)
        scroll_width = browser.execute_script("return document.documentElement.scrollWidth")
        assert scroll_width <= size[0], f"{name}: the page is wider than the screen"
        for button in browser.find_elements(By.CSS_SELECTOR, ".controls button"):
            assert button.size["height"] >= 44 and button.size["width"] >= 44  # touch targets
        step_px = float(browser.execute_script("return parseFloat(getComputedStyle(document.getElementById('step')).fontSize)"))
        assert step_px >= 24, "the words are large"
        browser.save_screenshot(str(SCREENSHOTS / f"follow-along-{name}-{scheme}.png"))
        assert console_errors(browser) == []


def _rgb(css: str) -> tuple[float, ...]:
    values = [float(v) for v in re.findall(r"[\d.]+", css)[:3]]
    return tuple(values)


def _luminance(rgb: tuple[float, ...]) -> float:
    linear = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_rendered_text_meets_wcag_aa_contrast(browser, session, scheme):
    open_page(browser, session, PHONE, scheme)
    seek(browser, 1.0)
    worst = 21.0
    for name, colour, background in browser.execute_script(COLOURS):
        high, low = sorted((_luminance(_rgb(colour)), _luminance(_rgb(background))), reverse=True)
        ratio = (high + 0.05) / (low + 0.05)
        worst = min(worst, ratio)
        assert ratio >= 4.5, f"{scheme}: {name} is {colour} on {background}, {ratio:.2f}:1"
    print(f"{scheme}: lowest text contrast {worst:.2f}:1")


def test_page_without_its_audio_says_what_to_do(browser, session, tmp_path):
    lonely = tmp_path / "page-only.html"
    lonely.write_text(session.with_suffix(".html").read_text(encoding="utf-8"), encoding="utf-8")
    browser.get(lonely.as_uri())
    notice = browser.execute_async_script(
        "const done = arguments[0]; const n = document.getElementById('notice');"
        "const check = () => n.textContent ? done(n.textContent) : setTimeout(check, 50); check();"
    )
    assert "follow-along.mp3" in notice and "same folder" in notice
