"""voiceguide: routine files in, voice-guided audio sessions out.

The session flows one way: routine file → routine model → plan → narration clips →
rendered audio → encoded file and side files.
"""

__version__ = "0.1.0"
