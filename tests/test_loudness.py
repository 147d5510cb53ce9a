"""The loudness meter against BS.1770-4's own numbers: filter coefficients and reference tones."""

from __future__ import annotations

import numpy as np
import pytest

from voiceguide.render.loudness import integrated_loudness, k_weighting

# BS.1770-4 Tables 1 and 2: the K-weighting stages at 48 kHz (b0, b1, b2, a0, a1, a2).
TABLE = [
    [1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0, -1.69065929318241, 0.73248077421585],
    [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621],
]


def test_k_weighting_matches_the_standard_at_48k():
    assert k_weighting(48000) == pytest.approx(np.array(TABLE), abs=1e-8)


@pytest.mark.parametrize("rate", [44100, 48000])
@pytest.mark.parametrize("level_dbfs", [-23.0, -33.0])
def test_stereo_1k_sine_reads_its_level(rate, level_dbfs):
    """EBU Tech 3341 case 1/2: a 1 kHz sine in both channels at L dBFS measures L LUFS (±0.1)."""
    t = np.arange(20 * rate) / rate
    tone = 10 ** (level_dbfs / 20) * np.sin(2 * np.pi * 1000 * t)
    assert integrated_loudness(np.stack([tone, tone], axis=1), rate) == pytest.approx(level_dbfs, abs=0.1)


def test_gating_ignores_silence():
    rate = 44100
    t = np.arange(10 * rate) / rate
    tone = 0.1 * np.sin(2 * np.pi * 1000 * t)
    with_silence = np.concatenate([tone, np.zeros(30 * rate)])
    # only the blocks straddling the tone's end differ
    assert integrated_loudness(with_silence, rate) == pytest.approx(integrated_loudness(tone, rate), abs=0.1)
