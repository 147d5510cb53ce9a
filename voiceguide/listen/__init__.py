"""Spoken commands while a session plays: voice activity, a small recogniser, and the gate that keeps the guide from obeying itself."""
