"""Durations as routine files write them: ``5s``, ``1m30s``, ``2m``, ``1h``, ``1.5s`` or plain seconds."""

from __future__ import annotations

import math
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|s|ms)", re.IGNORECASE)
_WHOLE = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*(?:h|m|s|ms)\s*)+$", re.IGNORECASE)
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: object) -> float:
    """Return seconds for a duration value, or raise ValueError with a reason a user can act on."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 5s, 1m30s or 90")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            if not _WHOLE.match(text):
                raise ValueError(f"'{value}' is not a duration; write it as 5s, 1m30s, 2m, 1h or plain seconds") from None
            seconds = sum(float(n) * _UNIT_S[u.lower()] for n, u in _PART.findall(text))
    else:
        raise ValueError("expected a duration such as 5s, 1m30s or 90")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"'{value}' is not a duration of zero or more seconds")
    return seconds


def format_clock(seconds: float) -> str:
    """``75.25`` → ``1:15.3``; hours appear when needed (``1:02:03.0``)."""
    tenths = round(seconds * 10)
    h, rest = divmod(tenths, 36000)
    m, rest = divmod(rest, 600)
    s = rest / 10
    return f"{h}:{m:02d}:{s:04.1f}" if h else f"{m}:{s:04.1f}"


def format_duration(seconds: float) -> str:
    """``1830`` → ``30m30s``; short human form for messages."""
    total = round(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    parts = [f"{h}h" if h else "", f"{m}m" if m else "", f"{s}s" if s or not (h or m) else ""]
    return "".join(parts)
