"""Rendering: playing a plan into PCM blocks over a ducked music bed, then encoding it."""

SAMPLE_RATE = 44100
CHANNELS = 2
