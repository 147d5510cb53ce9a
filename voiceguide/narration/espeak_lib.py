"""libespeak-ng from the ``espeakng-loader`` wheel, and the few direct calls voiceguide makes into it.

pyttsx3 opens ``libespeak-ng.so.1`` by soname. Loading the wheel's copy first with
``RTLD_GLOBAL`` makes that lookup bind to it, so no system package is needed
(audio-facts.md, pyttsx3 section). The calls here never start espeak's threads:
listing voices only needs the data path, not ``espeak_Initialize``.
"""

from __future__ import annotations

import ctypes
import os
from functools import cache

from voiceguide.errors import NarratorError
from voiceguide.narration.base import VoiceInfo

# espeak_PARAMETER values from speak_lib.h
RATE = 1
VOLUME = 2
GENDERS = {1: "male", 2: "female"}  # espeak_VOICE.gender; 0 is "not given"
LICENCE = "GPL-3.0-or-later"  # espeak-ng and its voice data


class _Voice(ctypes.Structure):
    """``espeak_VOICE`` from speak_lib.h. ``languages`` is raw: (priority byte, name, NUL) repeated, ending in a 0 byte."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


def data_path() -> str:
    """The wheel's espeak-ng-data folder."""
    import espeakng_loader

    return str(espeakng_loader.get_data_path())


@cache
def load() -> ctypes.CDLL:
    """Load the wheel's libespeak-ng once per process, globally, and declare the signatures used here."""
    try:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)
    except (ImportError, OSError, RuntimeError) as exc:
        raise NarratorError(
            f"cannot load espeak-ng from the espeakng-loader package ({exc})",
            hint="reinstall voiceguide's dependencies",
        ) from exc
    lib.espeak_Info.argtypes = [ctypes.c_void_p]
    lib.espeak_Info.restype = ctypes.c_char_p
    lib.espeak_ng_InitializePath.argtypes = [ctypes.c_char_p]
    lib.espeak_ng_InitializePath.restype = None
    lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
    lib.espeak_GetCurrentVoice.argtypes = []
    lib.espeak_GetCurrentVoice.restype = ctypes.POINTER(_Voice)
    lib.espeak_GetParameter.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.espeak_GetParameter.restype = ctypes.c_int
    lib.espeak_IsPlaying.argtypes = []
    lib.espeak_IsPlaying.restype = ctypes.c_int
    return lib


def prepare_for_pyttsx3() -> None:
    """Make the next ``pyttsx3.init("espeak")`` in this process use the wheel's library and data."""
    load()
    os.environ["ESPEAK_DATA_PATH"] = data_path()


def version() -> str:
    """The library's version, e.g. ``1.52.0``."""
    return str(load().espeak_Info(None).decode())


def _languages(raw: int | None) -> tuple[tuple[str, ...], tuple[int, ...]]:
    names: list[str] = []
    priorities: list[int] = []
    if not raw:
        return (), ()
    at = raw
    while True:
        priority = ctypes.string_at(at, 1)[0]
        if priority == 0:
            break
        name = ctypes.string_at(at + 1)  # up to the NUL
        names.append(name.decode("utf-8", "replace"))
        priorities.append(priority)
        at += 1 + len(name) + 1
    return tuple(names), tuple(priorities)


def list_voices() -> list[VoiceInfo]:
    """Every voice in the wheel's data, ids lower-cased as pyttsx3 reports them (e.g. ``gmw/en-us``)."""
    lib = load()
    lib.espeak_ng_InitializePath(data_path().encode())
    table = lib.espeak_ListVoices(None)
    voices: list[VoiceInfo] = []
    index = 0
    while table[index]:
        v = table[index].contents
        languages, priorities = _languages(v.languages)
        voices.append(
            VoiceInfo(
                id=(v.identifier or b"").decode("utf-8", "replace").lower(),
                name=(v.name or b"").decode("utf-8", "replace"),
                languages=languages,
                priorities=priorities,
                gender=GENDERS.get(v.gender, ""),
                licence=LICENCE,
            )
        )
        index += 1
    return voices


def busy() -> bool:
    """Whether espeak's command queue still holds work (parameters or text)."""
    return bool(load().espeak_IsPlaying())


def current_settings() -> tuple[str, int, int]:
    """(voice id lower-cased, rate, volume 0–200) that espeak will use for the next text."""
    lib = load()
    voice = lib.espeak_GetCurrentVoice()
    ident = voice.contents.identifier if voice else None
    return (
        (ident or b"").decode("utf-8", "replace").lower(),
        int(lib.espeak_GetParameter(RATE, 1)),
        int(lib.espeak_GetParameter(VOLUME, 1)),
    )
