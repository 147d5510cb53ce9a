"""Routine files: the YAML format, its checks, and the model they load into."""

from voiceguide.routine.files import builtin_routines, find_routine
from voiceguide.routine.loader import read_routine
from voiceguide.routine.model import Music, Narration, Routine, Step, Technique

__all__ = ["Music", "Narration", "Routine", "Step", "Technique", "builtin_routines", "find_routine", "read_routine"]
