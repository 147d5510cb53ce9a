"""Stable episodes and what directories ask for: dates kept through rebuild, copy and touch; category, numbers, explicit,
the show's description and Apple's limits, read back with feedparser."""

from __future__ import annotations

import os
import shutil
import textwrap
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide.build import BuildOptions, build
from voiceguide.cli import cli
from voiceguide.errors import OutputError, RoutineError
from voiceguide.export.directory import category, cut_description
from voiceguide.export.feed import ITUNES
from voiceguide.routine import read_routine

BASE = "https://example.com/feet/"


def tiny(title: str, extra: str = "") -> str:
    """A routine of one short technique; ``extra``: more top-level lines (published:, explicit:)."""
    body = """
        music: none
        intro:
          - Welcome.
        techniques:
          - name: Toe press
            steps:
              - Press your toes.
            repetitions: 1
            hold: 1s
        outro:
          - Done.
    """
    return f"title: {title}\n" + (extra + "\n" if extra else "") + textwrap.dedent(body).lstrip()


def feed(folder: Path, *options: str, config: Path | None = None) -> feedparser.FeedParserDict:
    env = {"VOICEGUIDE_CONFIG": str(config or folder / "no-config.toml")}
    result = CliRunner(env=env).invoke(cli, ["feed", str(folder), "--base-url", BASE, "--title", "Feet", *options])
    assert result.exit_code == 0, result.output
    return feedparser.parse(str(folder / "feed.xml"))


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sessions built with side files: a later explicit one and an earlier one."""
    folder = tmp_path_factory.mktemp("season")
    routines = folder / "routines"
    routines.mkdir()
    for name, text in {
        "a-late": tiny("Late", "published: 2026-02-01T08:30:00Z\nexplicit: true"),
        "b-early": tiny("Early", "published: 2026-01-05"),
    }.items():
        (routines / f"{name}.yaml").write_text(text, encoding="utf-8")
        build(routines / f"{name}.yaml", BuildOptions(output=folder / "site", sidecars=True))
    return folder / "site"


@pytest.mark.slow
def test_dates_are_kept_through_rebuild_copy_and_touch(tmp_path: Path) -> None:
    routine = tmp_path / "once.yaml"
    routine.write_text(tiny("Once"), encoding="utf-8")
    site = tmp_path / "site"
    build(routine, BuildOptions(output=site, sidecars=True))
    first = feed(site).entries[0].published_parsed
    time.sleep(1.1)
    build(routine, BuildOptions(output=site, sidecars=True, force=True))  # a rebuild
    assert feed(site).entries[0].published_parsed == first
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in site.iterdir():
        shutil.copyfile(path, copy / path.name)  # new files, new modification times
    later = time.time() + 86400
    for path in copy.iterdir():
        os.utime(path, (later, later))  # and touched
    assert feed(copy).entries[0].published_parsed == first


@pytest.mark.slow
def test_published_explicit_numbers_season_and_category(season: Path) -> None:
    parsed = feed(season, "--category", "mental health", "--season", "2", "--episode", "5")
    assert not parsed.bozo
    items = {e.title: e for e in parsed.entries}
    assert time.strftime("%Y-%m-%d %H:%M", items["Late"].published_parsed) == "2026-02-01 08:30"
    assert time.strftime("%Y-%m-%d", items["Early"].published_parsed) == "2026-01-05"
    assert (items["Early"].itunes_episode, items["Late"].itunes_episode) == ("5", "6")  # in date order
    assert items["Late"].itunes_season == "2" and items["Early"].itunes_season == "2"
    explicit = {i.findtext("title"): i.findtext(f"{{{ITUNES}}}explicit") for i in ET.parse(season / "feed.xml").iter("item")}
    assert explicit == {"Late": "true", "Early": "false"}  # Apple's values (feedparser reads only yes/clean)
    assert [(t.term, t.scheme) for t in parsed.feed.tags][:2] == [
        ("Health & Fitness", "http://www.itunes.com/"),
        ("Mental Health", "http://www.itunes.com/"),
    ]


@pytest.mark.slow
def test_show_description_author_and_owner(season: Path, tmp_path: Path) -> None:
    parsed = feed(season)
    described = parsed.feed.subtitle
    assert described != "Feet" and "2 guided sessions" in described and "Late" in described and "Early" in described
    config = tmp_path / "config.toml"
    config.write_text('author = "Ann Author"\nemail = "ann@example.com"\n', encoding="utf-8")
    owned = feed(season, config=config)
    assert owned.feed.author_detail.name == "Ann Author" or owned.feed.author == "Ann Author"
    assert owned.feed.publisher_detail.email == "ann@example.com" and owned.feed.publisher_detail.name == "Ann Author"
    given = feed(season, "--owner", "Bo Owner", "--email", "bo@example.com", config=config)
    assert given.feed.publisher_detail.name == "Bo Owner" and given.feed.publisher_detail.email == "bo@example.com"


@pytest.mark.slow
def test_apple_limits(season: Path) -> None:
    long = " ".join(f"Sentence number {i} about the feet." for i in range(200))
    result = CliRunner().invoke(cli, ["feed", str(season), "--base-url", BASE, "--title", "Feet", "--description", long])
    assert result.exit_code == 0 and "4,000 Apple Podcasts takes" in result.output
    described = feedparser.parse(str(season / "feed.xml")).feed.subtitle
    assert len(described.encode()) <= 4000 and described.endswith("about the feet.") and long.startswith(described)
    refused = CliRunner().invoke(cli, ["feed", str(season), "--base-url", BASE, "--title", "T" * 256])
    assert refused.exit_code == 1 and "256 characters long, more than the 255" in refused.output and "shorter --title" in refused.output


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Health & Fitness", ("Health & Fitness", "")),
        ("mental health", ("Health & Fitness", "Mental Health")),
        ("Health & Fitness > Fitness", ("Health & Fitness", "Fitness")),
        ("Sports/Running", ("Sports", "Running")),
        ("technology", ("Technology", "")),
    ],
)
def test_categories(text: str, found: tuple[str, str]) -> None:
    assert category(text) == found


def test_a_category_not_apples_says_what_was_meant() -> None:
    with pytest.raises(OutputError) as refused:
        category("Helth & Fitnes")
    assert "not one of Apple's podcast categories" in refused.value.message and "'Health & Fitness'" in refused.value.hint
    bad = CliRunner().invoke(cli, ["feed", ".", "--base-url", BASE, "--title", "T", "--category", "Yoga"])
    assert bad.exit_code == 2 and "Apple's podcast categories" in bad.output


def test_a_long_description_is_cut_at_a_sentence() -> None:
    warnings: list[str] = []
    text = "Ä sentence here. " * 400
    cut = cut_description(text, "the description", warnings)
    assert len(cut.encode()) <= 4000 and cut.endswith("here.") and len(warnings) == 1
    assert cut_description("Short.", "x", warnings) == "Short." and len(warnings) == 1


def test_published_must_be_a_date(write_routine: Callable[[str, str], Path]) -> None:
    with pytest.raises(RoutineError) as refused:
        read_routine(write_routine(tiny("T", "published: next tuesday"), "bad.yaml"))
    assert refused.value.problems[0].line == 2 and "YYYY-MM-DD" in refused.value.problems[0].hint
    good = read_routine(write_routine(tiny("T", "published: 2026-03-01T09:00:00+01:00\nexplicit: true"), "good.yaml"))
    assert good.published is not None and good.published.isoformat() == "2026-03-01T08:00:00+00:00" and good.explicit
