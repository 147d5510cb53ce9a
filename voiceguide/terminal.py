"""The one way text reaches the terminal: every line through ``text.printable``, one message a line.

Results go to stdout, notes, errors and progress to stderr.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

import click

from voiceguide.text import counted, json_text, printable

__all__ = ["PREFIX", "clear_status", "counted", "echo", "error", "json_text", "printable", "status", "table"]

PREFIX = "voiceguide: "


def echo(text: object = "", err: bool = False) -> None:
    """Print one line (a result on stdout, or with ``err`` a note on stderr)."""
    click.echo(printable(text), err=err)


def error(message: object) -> None:
    """The one line of an error, on stderr: ``voiceguide: what — how to fix``."""
    click.echo(PREFIX + printable(message), err=True)


def status(text: str) -> None:
    """Redraw the status line on stderr in place (progress): a carriage return, the text, no newline."""
    sys.stderr.write("\r" + printable(text))
    sys.stderr.flush()


def clear_status(width: int) -> None:
    """Blank the status line of ``width`` columns and return to its start."""
    sys.stderr.write("\r" + " " * width + "\r")
    sys.stderr.flush()


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Print a header and rows as columns as wide as their widest cell (the last column ragged), on stdout."""
    shown = [tuple(printable(cell) for cell in row) for row in [header, *rows]]
    widths = [max(len(row[i]) for row in shown) for i in range(len(header))]
    for row in shown:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=False)) + "  " + row[-1])


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send what C libraries write to file descriptor 2 to the null device for a moment (ALSA's pages of complaints on a machine without sound)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
