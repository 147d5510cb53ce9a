"""The built-in routines, shipped with voiceguide (this folder is the package voiceguide.routines)."""
