"""Narration: turning utterances into trimmed speech clips, cached on disk, never hanging."""
