"""What podcast directories ask of a feed: Apple's categories, a show description, and Apple's length limits.

Apple Podcasts ("A podcaster's guide to RSS"): a category from its list (with an optional
sub-category of that category), a description of at most 4,000 bytes, and titles of at
most 255 characters.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from voiceguide.errors import OutputError

MAX_DESCRIPTION_BYTES = 4000
MAX_TITLE_CHARS = 255
DEFAULT_CATEGORY = ("Health & Fitness", "")

# Apple Podcasts categories and their sub-categories (podcasters.apple.com, category list).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": ("Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden", "Video Games"),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": ("Business News", "Daily News", "Entertainment News", "News Commentary", "Politics", "Sports News", "Tech News"),
    "Religion & Spirituality": ("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality"),
    "Science": (
        "Astronomy",
        "Chemistry",
        "Earth Sciences",
        "Life Sciences",
        "Mathematics",
        "Natural Sciences",
        "Nature",
        "Physics",
        "Social Sciences",
    ),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"),
    "Sports": (
        "Baseball",
        "Basketball",
        "Cricket",
        "Fantasy Sports",
        "Football",
        "Golf",
        "Hockey",
        "Rugby",
        "Running",
        "Soccer",
        "Swimming",
        "Tennis",
        "Volleyball",
        "Wilderness",
        "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}


def _names() -> dict[str, tuple[str, str]]:
    """Every way to name a category, folded: "health & fitness", "mental health", "health & fitness > mental health"."""
    found: dict[str, tuple[str, str]] = {}
    for main, subs in CATEGORIES.items():
        found[main.casefold()] = (main, "")
        for sub in subs:
            found.setdefault(sub.casefold(), (main, sub))
            found[f"{main} > {sub}".casefold()] = (main, sub)
    return found


def category(text: str) -> tuple[str, str]:
    """(category, sub-category or "") for "Health & Fitness", "Mental Health" or "Health & Fitness > Mental Health";
    OutputError with the nearest names otherwise."""
    key = re.sub(r"\s*[>/:]\s*", " > ", " ".join(text.split())).casefold()
    names = _names()
    if key in names:
        return names[key]
    near = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
    shown = [" > ".join(p for p in names[n] if p) for n in near]
    hint = f"did you mean {' or '.join(repr(s) for s in dict.fromkeys(shown))}?" if shown else f"one of {', '.join(CATEGORIES)}"
    raise OutputError(f"'{text}' is not one of Apple's podcast categories", hint=hint)


def checked_title(title: str, whose: str, fix: str) -> str:
    """``title`` if Apple takes it (at most 255 characters); OutputError with ``fix`` otherwise."""
    if len(title) > MAX_TITLE_CHARS:
        raise OutputError(f"{whose} is {len(title):,} characters long, more than the {MAX_TITLE_CHARS} Apple Podcasts takes", hint=fix)
    return title


def cut_description(text: str, whose: str, warnings: list[str]) -> str:
    """``text`` cut at the end of a sentence to at most 4,000 bytes of UTF-8 (a warning says so); else as it is."""
    if len(text.encode("utf-8")) <= MAX_DESCRIPTION_BYTES:
        return text
    room = text.encode("utf-8")[: MAX_DESCRIPTION_BYTES - 3].decode("utf-8", "ignore")
    ends = [m.end() for m in re.finditer(r"[.!?…](?=\s|$)", room)]
    cut = room[: ends[-1]] if ends else room.rsplit(" ", 1)[0] + "…"
    warnings.append(
        f"{whose} is {len(text.encode('utf-8')):,} bytes, more than the {MAX_DESCRIPTION_BYTES:,} Apple Podcasts takes:"
        f" cut after {len(cut.encode('utf-8')):,} bytes, at the end of a sentence"
    )
    return cut


def show_description(titles: Sequence[tuple[str, float | None]]) -> str:
    """A sentence about the show made from its sessions' titles and lengths, for a feed given no description."""
    named = [f"{title} ({round(seconds / 60)} min)" if seconds else title for title, seconds in titles]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    count = "One guided session" if len(named) == 1 else f"{len(named)} guided sessions"
    return f"{count}, narrated and timed to follow with your eyes closed: {listed}."
