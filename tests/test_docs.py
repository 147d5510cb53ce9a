"""The README and the pages under docs/ hold together: every relative link reaches a file (and a heading, when it
names one), and every whole routine they show validates."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from installed import VOICEGUIDE

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCED = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`]*`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)|<img\s[^>]*\bsrc=\"([^\"]+)\"")


def prose(text: str) -> str:
    """The text without code, where brackets and parentheses are not links."""
    return INLINE_CODE.sub("", FENCED.sub("", text))


def anchors(page: Path) -> set[str]:
    """The anchors GitHub makes of a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", FENCED.sub("", page.read_text(encoding="utf-8")), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        n, unique = 0, slug
        while unique in found:
            n += 1
            unique = f"{slug}-{n}"
        found.add(unique)
    return found


def relative_links(page: Path) -> list[str]:
    links = [a or b for a, b in LINK.findall(prose(page.read_text(encoding="utf-8")))]
    return [link for link in links if not re.match(r"^[a-z][a-z0-9+.-]*:", link)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_reaches_a_file_and_its_heading(page: Path) -> None:
    broken = []
    for link in relative_links(page):
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            broken.append(f"{link}: no such heading")
    assert broken == []


def test_the_readme_links_to_a_page_for_each_topic() -> None:
    links = {link.partition("#")[0] for link in relative_links(ROOT / "README.md")}
    topics = ("voices", "publishing", "following", "studio", "batch", "performance", "routines")
    assert {f"docs/{topic}.md" for topic in topics} <= links


def whole_routines(page: Path) -> list[str]:
    """The YAML blocks of a page that are routines of their own (they start with a title)."""
    return re.findall(r"^```yaml\n(title:.*?)^```", page.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)


def test_every_whole_routine_shown_validates(tmp_path: Path) -> None:
    files = []
    for page in PAGES:
        for i, text in enumerate(whole_routines(page)):
            files.append(tmp_path / f"{page.stem}-{i}.yaml")
            files[-1].write_text(text, encoding="utf-8")
    assert {f.name for f in files} >= {"README-0.yaml", "routines-0.yaml"}
    done = subprocess.run([*VOICEGUIDE, "validate", *map(str, files)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_readme_is_short_and_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", text, re.DOTALL)
    assert first_block is not None
    assert [line.split()[0] for line in first_block.group(1).splitlines()] == ["scripts/demo", "scripts/test"]
    assert len(text.splitlines()) <= 200  # the rest belongs in docs/
