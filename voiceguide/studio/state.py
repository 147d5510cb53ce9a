"""What one running studio holds: its folders, the library, the queue of builds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from voiceguide.studio.builds import Builds
from voiceguide.studio.folders import Folders, check_name
from voiceguide.studio.library import Library

UNTITLED = "untitled"  # the name of a routine sent as text without one


@dataclass
class Studio:
    folders: Folders
    library: Library = field(init=False)
    builds: Builds = field(init=False)

    def __post_init__(self) -> None:
        self.folders.make()
        self.library = Library(self.folders)
        self.library.clean()
        self.builds = Builds(self.folders)

    def source_for(self, name: object) -> Path:
        """Where a routine sent as text would be saved: its name in the library (its files are found from there)."""
        return self.folders.routine(check_name(name) if isinstance(name, str) and name else UNTITLED)
