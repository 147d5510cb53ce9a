"""The studio driven in Debian's Chromium through Selenium, as a person uses it: a routine from the template, a slip
found as it is typed and fixed, a line heard, the session built and followed while it plays, the MP3 downloaded.

Needs Debian's ``chromium`` and ``chromium-driver``; skipped with the reason where they are missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the studio extra is not installed (pip install 'voiceguide[studio]')")

from audio_checks import RATE, decode
from studio_server import TOKEN, running_studio
from test_page_browser import BROWSER, DRIVER, chromium

from voiceguide.routine.starter import starter_lines

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        BROWSER is None or DRIVER is None, reason="no chromium and chromedriver here (Debian: apt-get install chromium chromium-driver)"
    ),
]
# The screenshot goes where generated files go; docs/studio.png is a copy of it, made by hand when the page changes.
SCREENSHOT = Path(__file__).resolve().parents[1] / "output" / "studio.png"
WAIT_S = 300


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    with running_studio(tmp_path_factory.mktemp("library")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chromium(tmp_path_factory.mktemp("chromium-profile"), "--window-size=1280,2150", script_timeout_s=30)
    yield driver
    driver.quit()


def by_testid(browser, name: str):
    from selenium.webdriver.common.by import By

    return browser.find_element(By.CSS_SELECTOR, f'[data-testid="{name}"]')


def until(browser, condition, timeout_s: float = WAIT_S):
    """Wait for ``condition``; on a timeout, say what the page showed (its problems, progress and console)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(browser, timeout_s, poll_frequency=0.05).until(condition)
    except TimeoutException:
        shown = browser.execute_script(
            "const t = (id) => (document.getElementById(id) || {}).textContent;"
            "return {problems: t('problems'), progress: t('build-progress'), timeline: t('timeline-total'), step: t('step')};"
        )
        raise AssertionError(f"waited {timeout_s} s in vain; the page showed {shown}; console: {browser.get_log('browser')}") from None


def test_write_hear_build_follow_and_download(studio, browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.get(f"{studio.base}/?token={TOKEN}")
    assert browser.current_url == f"{studio.base}/"  # the token went into a cookie and out of the address
    assert "gentle-foot-unwind" in by_testid(browser, "routine-list").text

    by_testid(browser, "new-name").send_keys("evening-feet")
    by_testid(browser, "new-button").click()
    until(browser, lambda b: b.current_url.endswith("/edit/evening-feet"))
    yaml = by_testid(browser, "editor-yaml")
    until(browser, lambda b: "techniques:" in yaml.get_property("value") and "No problems" in by_testid(b, "problems").text)

    # A slip typed into the YAML view: its problem appears at its line without saving or submitting.
    browser.execute_script(  # the caret where a second technique goes: before the outro
        "const y = arguments[0]; const at = y.value.indexOf('\\noutro:'); y.focus(); y.setSelectionRange(at, at);", yaml
    )
    yaml.send_keys("\n  - name: Heel hold\n    steps:\n      - Cup the heel and hold it.\n    hold: 5 secs")
    text = yaml.get_property("value")
    line = text[: text.index("hold: 5 secs")].count("\n") + 1
    until(browser, lambda b: f"line {line}, column" in by_testid(b, "problems").text and "hold" in by_testid(b, "problems").text)
    assert "5s" in by_testid(browser, "problems").text  # the hint says how to write it
    assert [m.text.strip() for m in browser.find_elements("css selector", "#gutter .bad")] == [str(line)]  # marked at its line
    hold = browser.find_element("css selector", '#techniques input[data-t="1"][data-k="hold"]')
    until(browser, lambda b: "has-problem" in hold.get_attribute("class"))  # and at its field in the form
    yaml.send_keys(Keys.BACKSPACE * len(" secs"), "s")
    until(browser, lambda b: "No problems" in by_testid(b, "problems").text)

    # Each technique's fields in the form change the YAML in place, and the YAML the form.
    until(browser, lambda b: hold.get_property("value") == "5s" and "has-problem" not in hold.get_attribute("class"))
    rest = browser.find_element("css selector", '#techniques input[data-t="1"][data-k="rest"]')
    rest.send_keys("3s")
    until(browser, lambda b: "  - name: Heel hold\n    rest: 3s\n    steps:" in yaml.get_property("value"))
    repetitions = browser.find_element("css selector", '#techniques input[data-t="0"][data-k="repetitions"]')
    repetitions.clear()
    repetitions.send_keys("2")
    until(browser, lambda b: "    repetitions: 2 " in yaml.get_property("value") and "No problems" in by_testid(b, "problems").text)
    assert "4..8" not in yaml.get_property("value")  # replaced in place, its comment kept

    # The form and the YAML view stay in step.
    title = browser.find_element("id", "f-title")
    title.clear()
    title.send_keys("Evening feet")
    until(browser, lambda b: "title: Evening feet" in yaml.get_property("value"))
    browser.find_element("id", "save").click()
    until(browser, lambda b: b.find_element("id", "save-status").text == "Saved.")

    # The length slider reaches what the routine can be fitted to; moving it sets the build's length and the timeline.
    slider = by_testid(browser, "length-slider")
    until(browser, lambda b: slider.is_displayed() and b.find_element("id", "timeline-total").text)
    low, high, now = (int(slider.get_property(k)) for k in ("min", "max", "value"))
    assert low < now < high
    total = browser.find_element("id", "timeline-total").text
    browser.execute_script(
        "const s = arguments[0]; s.value = arguments[1]; s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change'));",
        slider,
        high,
    )
    length = browser.find_element("css selector", '#build-form [name="length"]')
    until(browser, lambda b: length.get_property("value") == f"{high}s" and b.find_element("id", "timeline-total").text != total)
    length.clear()
    length.send_keys("\t")  # leaving the field: the timeline is the routine's own again
    until(browser, lambda b: b.find_element("id", "timeline-total").text == total)

    # Hear one line before building.
    browser.find_element("id", "say-text").send_keys("Cup the heel and hold it.")
    browser.find_element("id", "say-button").click()
    until(browser, lambda b: b.execute_script("return document.getElementById('say-audio').currentTime") > 0.3)

    # Build, watching the progress: every state and value the page shows is recorded as it changes.
    browser.execute_script(
        """
        window.seen = [];
        const box = document.querySelector('[data-testid="build-progress"]');
        const bar = document.getElementById("build-bar");
        new MutationObserver(() => window.seen.push([box.dataset.state, bar.value]))
          .observe(box, { attributes: true, subtree: true, childList: true, characterData: true });
        """
    )
    by_testid(browser, "build-button").click()
    until(browser, lambda b: by_testid(b, "build-progress").get_attribute("data-state") in ("done", "failed"))
    assert by_testid(browser, "build-progress").get_attribute("data-state") == "done", by_testid(browser, "build-progress").text
    seen = browser.execute_script("return window.seen")
    states = [state for state, _ in seen]
    assert "running" in states and states.index("running") < states.index("done"), seen
    assert seen[-1] == ["done", 1], seen
    assert "100%" in by_testid(browser, "build-progress").text

    # Follow the session while it plays, in the player page's own view.
    player = by_testid(browser, "player")
    until(browser, lambda b: player.is_displayed())
    browser.switch_to.frame(player)
    until(browser, lambda b: b.execute_script("return document.getElementById('audio').readyState") >= 1)
    browser.find_element("id", "play").click()
    steps = []

    def said(b) -> bool:
        text = by_testid(b, "current-step").text
        if text and (not steps or steps[-1] != text):
            steps.append(text)
        return len(steps) >= 2

    until(browser, said, 120)
    assert steps[0] == starter_lines("en")["welcome"], steps
    browser.switch_to.default_content()
    browser.execute_script("window.scrollTo(0, 0)")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))
    browser.switch_to.frame(player)
    browser.execute_script("document.getElementById('audio').pause()")
    browser.switch_to.default_content()

    # Download the MP3: it decodes to the plan's length.
    download = by_testid(browser, "download")
    download.click()
    target = tmp_path / "evening-feet.mp3"
    until(browser, lambda b: target.exists() and not list(tmp_path.glob("*.crdownload")), 60)
    plan = json.loads((studio.folders.output / "evening-feet.plan.json").read_text())
    assert len(decode(target)) / RATE == pytest.approx(plan["duration_s"], abs=0.030)
    assert target.read_bytes() == (studio.folders.output / "evening-feet.mp3").read_bytes()
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_a_save_from_a_stale_tab_offers_to_reload(studio, browser):
    browser.get(f"{studio.base}/?token={TOKEN}")
    assert studio.json("POST", "/api/routines", {"name": "two-tabs"})[0] == 201
    browser.get(f"{studio.base}/edit/two-tabs")
    yaml = by_testid(browser, "editor-yaml")
    until(browser, lambda b: "techniques:" in yaml.get_property("value"))
    text, version = (studio.json("GET", "/api/routines/two-tabs")[1][k] for k in ("yaml", "version"))
    assert studio.json("PUT", "/api/routines/two-tabs", {"yaml": text + "# the other tab\n", "version": version})[0] == 200
    yaml.send_keys("# this tab\n")
    browser.find_element("id", "save").click()
    until(browser, lambda b: "changed elsewhere" in b.find_element("id", "save-status").text)
    assert browser.find_element("id", "reload").is_displayed()
    browser.find_element("id", "reload").click()
    until(browser, lambda b: "# the other tab" in yaml.get_property("value"))


def test_the_form_adds_a_technique_with_its_steps_and_removes_it(studio, browser):
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{studio.base}/?token={TOKEN}")
    assert studio.json("POST", "/api/routines", {"name": "form-only"})[0] == 201
    browser.get(f"{studio.base}/edit/form-only")
    yaml = by_testid(browser, "editor-yaml")
    until(browser, lambda b: "No problems" in by_testid(b, "problems").text)
    count = len(browser.find_elements("css selector", "#techniques fieldset"))
    first = browser.find_element("css selector", '#techniques textarea[data-t="0"][data-k="steps"]')
    assert "pause: 2s" in first.get_property("value").split("\n")  # a pause step is shown as written

    by_testid(browser, "add-technique").click()
    until(browser, lambda b: len(b.find_elements("css selector", "#techniques fieldset")) == count + 1)
    name = browser.find_element("css selector", f'#techniques input[data-t="{count}"][data-k="name"]')
    name.clear()
    name.send_keys("Heel hold")
    steps = browser.find_element("css selector", f'#techniques textarea[data-t="{count}"][data-k="steps"]')
    steps.clear()
    steps.send_keys("Cup the heel, and hold it.\npause: 2s")
    browser.find_element("css selector", f'#techniques input[data-t="{count}"][data-k="chime"]').click()
    pause_after = browser.find_element("css selector", f'#techniques input[data-t="{count}"][data-k="pause_after"]')
    pause_after.send_keys("3s")
    browser.find_element("css selector", f'#techniques input[data-t="{count}"][data-k="sides"]').send_keys("each")
    browser.find_element("css selector", f'#techniques input[data-t="{count}"][data-k="switch"]').send_keys("Now the {side} foot.")
    written = '  - name: Heel hold\n    switch: "Now the {side} foot."\n    sides: each\n    pause_after: 3s\n    chime: true\n    steps:\n      - "Cup the heel, and hold it."\n      - pause: 2s\n'
    until(browser, lambda b: written in yaml.get_property("value") and "No problems" in by_testid(b, "problems").text)

    # The intro as lines, and a slip in a step marked at the steps field.
    intro = browser.find_element("id", "f-intro")
    intro.send_keys("\nSettle in.")
    until(browser, lambda b: "  - Settle in.\n" in yaml.get_property("value") and "No problems" in by_testid(b, "problems").text)
    steps.send_keys("\npause: 2 secs")
    until(browser, lambda b: "has-problem" in steps.get_attribute("class"))
    steps.send_keys(Keys.BACKSPACE * len(" secs"), "s")
    until(browser, lambda b: "No problems" in by_testid(b, "problems").text and "has-problem" not in steps.get_attribute("class"))

    # Removing asks first; dismissed, nothing changes.
    before = yaml.get_property("value")
    by_testid(browser, f"remove-technique-{count}").click()
    browser.switch_to.alert.dismiss()
    assert yaml.get_property("value") == before
    by_testid(browser, f"remove-technique-{count}").click()
    browser.switch_to.alert.accept()
    until(browser, lambda b: len(b.find_elements("css selector", "#techniques fieldset")) == count)
    until(browser, lambda b: "Heel hold" not in yaml.get_property("value") and "No problems" in by_testid(b, "problems").text)
