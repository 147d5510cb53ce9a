"""The generated music beds: made in code, no audio assets, no licences.

Every bed is one loop whose end meets its start exactly, so it repeats without a seam
and without a crossfade: tones complete a whole number of cycles per loop, every slow
movement (a swell, a chord change, a wave) divides the loop, noise is made in the
frequency domain over exactly one loop (an inverse FFT is periodic by nature), and short
sounds (raindrops) are placed circularly. Random numbers come from a seeded PCG64 bit
stream read raw, so a bed is the same to the byte every time it is made here.

Each bed keeps a real share of its energy between 300 Hz and 6 kHz, where phone and
laptop speakers play, and moves slowly: nothing in it swells by more than a few dB
within a second or two, so a pause between two lines never sounds like a pump.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.fft
import numpy.random  # loaded now: beds are made in a thread, which should import nothing (see beds.py)

from voiceguide.render.dsp import resample_periodic

LOW_RATE = 11025  # tonal beds have nothing above 5 kHz: made at a quarter rate, then resampled (circularly)
PEAK = 0.5  # every bed is scaled to this sample peak; its level in the mix comes from its loudness


def _uniform(seed: int, n: int) -> np.ndarray:
    """``n`` floats in [0, 1) from a PCG64 stream read raw (the raw stream never changes between numpy versions)."""
    bits = np.random.PCG64(seed).random_raw(n)
    return (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _whole(frequency: float, loop_s: float) -> float:
    """The nearest frequency that completes a whole number of cycles in ``loop_s``."""
    return round(frequency * loop_s) / loop_s


def _lines(partials: list[tuple[float, float, float]], frames: int, rate: int) -> np.ndarray:
    """A sum of steady sines (frequency, amplitude, phase), each on a whole number of cycles, made by one inverse FFT."""
    spectrum = np.zeros(frames // 2 + 1, dtype=complex)
    for frequency, amplitude, phase in partials:
        k = round(frequency * frames / rate)
        if 0 < k < spectrum.size - 1:
            spectrum[k] += amplitude * frames / 2 * np.exp(1j * (phase - np.pi / 2))  # a sine of that amplitude
    return np.fft.irfft(spectrum, n=frames)


def _shaped_noise(frames: int, rate: int, magnitude: Callable[[np.ndarray], np.ndarray], seed: int) -> np.ndarray:
    """Noise with the spectrum ``magnitude(f)`` that loops exactly over ``frames``."""
    frequencies = np.fft.rfftfreq(frames, 1 / rate)
    phases = 2 * np.pi * _uniform(seed, frequencies.size)
    spectrum = magnitude(frequencies) * np.exp(1j * phases)
    spectrum[0] = 0.0
    return np.fft.irfft(spectrum, n=frames)


def _band(f: np.ndarray, low: float, high: float, slope: float = 2.0) -> np.ndarray:
    """A soft band-pass magnitude: rising below ``low``, falling above ``high`` (``slope`` orders each side)."""
    f = np.maximum(f, 1e-3)
    return 1.0 / np.sqrt((1 + (low / f) ** (2 * slope)) * (1 + (f / high) ** (2 * slope)))


def _cycle(t: np.ndarray, loop_s: float, cycles: int, phase: float = 0.0) -> np.ndarray:
    """A cosine running ``cycles`` whole cycles per loop, between 0 and 1."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * cycles * t / loop_s + phase)


def _finish(stereo: np.ndarray) -> np.ndarray:
    peak = float(np.abs(stereo).max())
    return (stereo * (PEAK / peak if peak > 0 else 0.0)).astype(np.float32)


# ---------------------------------------------------------------------------- pad

PAD_LOOP_S = 48
# Slow chords in just intonation over A (110 Hz), a low A under four to five voices between
# 275 and 825 Hz: one chord every 12 s, each fading into the next.
_CHORDS = (
    (330.0, 440.0, 550.0, 660.0),  # A major
    (293.333, 440.0, 586.667, 733.333),  # D over A
    (330.0, 495.0, 660.0, 825.0),  # E over A
    (275.0, 440.0, 550.0, 733.333),  # F sharp minor over A
)
_HARMONICS = 5  # each voice a soft, slightly bright tone: harmonic k at 1/k^1.6
_DETUNE_HZ = 0.0625  # a second, quieter copy of each voice this far above: a slow, warm beating
_DETUNED_SHARE = 0.3


def pad(rate: int) -> np.ndarray:
    """A warm pad of slow chords, ``PAD_LOOP_S`` seconds of stereo."""
    frames = PAD_LOOP_S * LOW_RATE
    t = np.arange(frames) / LOW_RATE
    phases = 2 * np.pi * _uniform(1, 256)
    out = np.zeros((frames, 2))
    sections = len(_CHORDS)
    u = t / (PAD_LOOP_S / sections)
    for index, chord in enumerate(_CHORDS):
        # cosine windows centred on each section: neighbours' squares sum to one, so chords cross-fade at an even level
        distance = np.abs((u - index - 0.5 + sections / 2) % sections - sections / 2)
        weight = np.cos(np.pi * np.minimum(distance, 1) / 2)
        for channel in range(2):
            partials = [(_whole(110.0, PAD_LOOP_S), 0.5, phases[index])]
            for voice, frequency in enumerate(chord):
                amplitude = 0.42 / (1 + 0.35 * voice)
                for copy, share in ((0, 1.0), (1, _DETUNED_SHARE)):
                    f = _whole(frequency + copy * _DETUNE_HZ * (1 + channel + voice % 2), PAD_LOOP_S)
                    for k in range(1, _HARMONICS + 1):
                        p = phases[(index * 64 + voice * 16 + k * 2 + channel + copy * 7) % 256]
                        partials.append((k * f, share * amplitude / k**1.6, p))
            out[:, channel] += weight * _lines(partials, frames, LOW_RATE)
    breath = 0.85 + 0.15 * _cycle(t, PAD_LOOP_S, 2)  # a slow breath in the whole pad
    return _finish(resample_periodic(out * breath[:, None], PAD_LOOP_S * rate))


# ---------------------------------------------------------------------------- rain

RAIN_LOOP_S = 40
_DROPS_PER_S = 40
_DROP_S = 0.02  # each drop rings for up to this long


def rain(rate: int) -> np.ndarray:
    """Gentle rain: an even hiss softened above 4 kHz, with a light patter of drops over it."""
    frames = RAIN_LOOP_S * rate
    t = np.arange(frames) / rate
    out = np.zeros((frames, 2))
    tau = np.arange(round(_DROP_S * rate)) / rate
    count = _DROPS_PER_S * RAIN_LOOP_S
    for channel in range(2):
        hiss = _shaped_noise(frames, rate, lambda f: _band(f, 400.0, 3500.0, 1.0) * (1000.0 / np.maximum(f, 50.0)) ** 0.25, 10 + channel)
        # drops: a short falling blip each, at random times, pitches and sizes, placed circularly
        when, pitch, size, decay = _uniform(20 + channel, 4 * count).reshape(4, count)
        f0 = 1400.0 + 2600.0 * pitch
        shape = np.minimum(tau / 0.001, 1.0) * np.exp(-tau[None, :] / (0.002 + 0.004 * decay[:, None]))
        blips = np.sin(2 * np.pi * f0[:, None] * tau * (1 - 4.0 * tau)) * shape * (0.2 + 0.8 * size[:, None] ** 3)
        patter = np.zeros(frames)
        where = ((when * frames).astype(np.int64)[:, None] + np.arange(tau.size)) % frames
        np.add.at(patter, where.ravel(), blips.ravel())
        hiss /= np.sqrt(np.mean(hiss**2))
        patter /= np.sqrt(np.mean(patter**2))
        out[:, channel] = hiss + 0.3 * patter
    gusts = 0.8 + 0.2 * _cycle(t, RAIN_LOOP_S, 1) * _cycle(t, RAIN_LOOP_S, 3, 1.0)  # the rain thickens and thins
    return _finish(out * gusts[:, None])


# ---------------------------------------------------------------------------- surf

SURF_LOOP_S = 60
_WAVES = ((0.0, 1.0), (10.5, 0.8), (19.5, 0.95), (31.0, 0.75), (40.0, 1.0), (50.5, 0.85))  # (start s, size)


def surf(rate: int) -> np.ndarray:
    """Distant surf: waves rolling in every nine to twelve seconds and washing back, over a steady roar."""
    frames = SURF_LOOP_S * rate
    control = np.arange(SURF_LOOP_S * 100 + 1) / 100  # the waves' shapes, every 10 ms (the last point is the first again)
    swell = np.zeros(control.size)  # how much of a wave is breaking, 0…1
    wash = np.zeros(control.size)  # the foam running back, a little later
    for start, size in _WAVES:
        age = (control - start) % SURF_LOOP_S  # circular: a wave near the end runs on into the start
        fade = 1 - age / SURF_LOOP_S  # whatever is left of a wave when the next loop reaches it goes to zero
        rise = np.clip(age / 3.5, 0, 1)
        swell += size * (0.5 - 0.5 * np.cos(np.pi * rise)) * np.exp(-np.maximum(age - 3.5, 0) / 2.5) * fade
        late = np.maximum(age - 2.5, 0)
        wash += size * np.minimum(late / 1.5, 1) * np.exp(-late / 2.0) * fade
    t = np.arange(frames) / rate
    swell, wash = np.interp(t, control, swell), np.interp(t, control, wash)
    out = np.zeros((frames, 2))
    for channel in range(2):
        roar = _shaped_noise(frames, rate, lambda f: _band(f, 150.0, 900.0, 1.0), 30 + channel)
        foam = _shaped_noise(frames, rate, lambda f: _band(f, 900.0, 4500.0, 1.5), 40 + channel)
        roar /= np.sqrt(np.mean(roar**2))
        foam /= np.sqrt(np.mean(foam**2))
        out[:, channel] = roar * (0.62 + 0.38 * swell) + foam * (0.25 + 0.45 * wash)
    return _finish(out)


# ---------------------------------------------------------------------------- bowls

BOWLS_LOOP_S = 64
_BOWL_RATIOS = ((1.0, 1.0), (2.76, 0.42), (5.40, 0.18), (8.93, 0.07))  # partials of a singing bowl, and their strengths
_BOWLS = ((220.0, 0.7, 0.0), (293.333, 0.9, 2.1), (369.994, 0.8, 4.2))  # fundamental, strength, where its swell starts


def bowls(rate: int) -> np.ndarray:
    """Three singing bowls sung softly: steady tones that beat gently, swelling and fading over each other."""
    frames = BOWLS_LOOP_S * LOW_RATE
    t = np.arange(frames) / LOW_RATE
    phases = 2 * np.pi * _uniform(2, 64)
    out = np.zeros((frames, 2))
    for index, (fundamental, strength, phase) in enumerate(_BOWLS):
        swell = 0.45 + 0.55 * _cycle(t, BOWLS_LOOP_S, 1 + index % 2, phase)  # one or two slow swells a loop
        for channel in range(2):
            partials = []
            for number, (ratio, amplitude) in enumerate(_BOWL_RATIOS):
                f = _whole(fundamental * ratio, BOWLS_LOOP_S)
                beat = _whole(f + 0.3 + 0.25 * number + 0.1 * channel, BOWLS_LOOP_S)  # a bowl's two close modes beat
                p = phases[(index * 16 + number * 2 + channel) % 64]
                partials += [(f, strength * amplitude, p), (beat, 0.2 * strength * amplitude, p + 1.0)]
            out[:, channel] += swell * _lines(partials, frames, LOW_RATE)
    return _finish(resample_periodic(out, BOWLS_LOOP_S * rate))
