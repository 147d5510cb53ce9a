"""The manifest of a batch folder: every file with its inputs and a content hash, in JSON or CSV.

It is rewritten (atomically) after each file, so an interrupted batch knows what it
finished. An entry whose inputs and content hash still match lets the next run skip
that file. Entries of files that are gone are dropped.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceguide import __version__
from voiceguide.output import write_text_atomic

INPUT_FIELDS = (
    "routine", "routine_file", "routine_sha256", "music_sha256", "cover_sha256", "language", "length_s", "voice",
    "engine", "engine_version", "default_engine", "default_voice", "rate", "format", "music", "sidecars", "player", "voiceguide",
)  # fmt: skip
FILE_FIELDS = ("file", "sha256", "bytes", "duration_s", "inputs_sha256")


@dataclass(frozen=True)
class Entry:
    file: str
    sha256: str
    bytes: int
    duration_s: float
    inputs_sha256: str
    inputs: dict[str, Any]

    def row(self) -> dict[str, Any]:
        return {"file": self.file, "sha256": self.sha256, "bytes": self.bytes, "duration_s": round(self.duration_s, 3),
                "inputs_sha256": self.inputs_sha256, "inputs": self.inputs}  # fmt: skip


class Manifest:
    """The entries of ``path`` (``.csv``: CSV, else JSON), by file name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, Entry] = {}
        try:
            text = path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return
        except (OSError, UnicodeDecodeError):
            return  # unreadable: everything is made again, and the manifest replaced
        try:
            rows = _csv_rows(text) if self.csv else json.loads(text).get("files", [])
            for row in rows:
                entry = Entry(str(row["file"]), str(row["sha256"]), int(row["bytes"]), float(row["duration_s"]),
                              str(row["inputs_sha256"]), dict(row["inputs"]))  # fmt: skip
                self.entries[entry.file] = entry
        except (ValueError, KeyError, TypeError, AttributeError):
            self.entries.clear()  # damaged: treated as absent

    @property
    def csv(self) -> bool:
        return self.path.suffix.lower() == ".csv"

    def record(self, entry: Entry) -> None:
        self.entries[entry.file] = entry
        self.save()

    def save(self) -> None:
        folder = self.path.parent
        entries = [e for name, e in sorted(self.entries.items()) if (folder / name).is_file()]
        if self.csv:
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=[*FILE_FIELDS, *INPUT_FIELDS], extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            for e in entries:
                row = e.row()
                writer.writerow({**{k: row[k] for k in FILE_FIELDS}, **{k: _cell(e.inputs.get(k)) for k in INPUT_FIELDS}})
            text = out.getvalue()
        else:
            text = json.dumps({"voiceguide": __version__, "files": [e.row() for e in entries]}, indent=2, ensure_ascii=False) + "\n"
        write_text_atomic(self.path, text)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _csv_rows(text: str) -> list[dict[str, Any]]:
    return [
        {**{k: row[k] for k in FILE_FIELDS}, "inputs": {k: row[k] for k in INPUT_FIELDS if row.get(k)}}
        for row in csv.DictReader(io.StringIO(text))
    ]
