"""The ducking envelope in numbers: down before every line, held through short gaps, up slowly in real pauses."""

from __future__ import annotations

import numpy as np
import pytest

from voiceguide.render.envelope import DuckShape, MusicEnvelope

SHAPE = DuckShape(depth_db=12.0)
TOTAL_S = 60.0
GRID_S = 0.001


def gains_db(spans: list[tuple[float, float]], shape: DuckShape = SHAPE) -> tuple[np.ndarray, np.ndarray]:
    times = np.arange(0.0, TOTAL_S, GRID_S)
    gains = MusicEnvelope(spans, TOTAL_S, shape).gains(times).astype(np.float64)
    return times, 20 * np.log10(np.maximum(gains, 1e-6))  # the first sample of the fade-in is silence


def level(times: np.ndarray, db: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    return db[(times >= start_s) & (times < end_s)]


@pytest.mark.parametrize("gap_s", [0.2, 0.6, 1.0, 1.5, 2.0, 2.4])
def test_short_gaps_stay_down(gap_s: float) -> None:
    """Two lines with a gap shorter than the bridge: the music does not move between them."""
    first = (10.0, 12.0)
    second = (12.0 + gap_s, 14.0 + gap_s)
    times, db = gains_db([first, second])
    between = level(times, db, first[0], second[1])
    assert between.max() == pytest.approx(-SHAPE.depth_db, abs=1e-3)


def test_a_fast_count_stays_down() -> None:
    """Counts every 2.4 s (a short word, then a two-second hold): one stretch of speech."""
    counts = [(10.0 + 2.4 * k, 10.4 + 2.4 * k) for k in range(8)]
    times, db = gains_db(counts)
    assert level(times, db, counts[0][0], counts[-1][1]).max() == pytest.approx(-SHAPE.depth_db, abs=1e-3)


def test_music_is_down_before_a_line_starts() -> None:
    times, db = gains_db([(20.0, 22.0)])
    assert level(times, db, 20.0, 22.0).max() == pytest.approx(-SHAPE.depth_db, abs=1e-3)
    assert level(times, db, 20.0 - SHAPE.attack_s - 0.01, 20.0 - SHAPE.attack_s).min() > -0.01  # and not long before


def test_music_comes_back_slowly_and_smoothly_in_a_real_pause() -> None:
    line_end = 22.0
    times, db = gains_db([(20.0, line_end), (40.0, 42.0)])
    rising = level(times, db, line_end, line_end + 3.0)
    assert rising[-1] == pytest.approx(0.0, abs=1e-3)  # full level within the pause
    t = times[(times >= line_end) & (times < line_end + 3.0)] - line_end
    ten, ninety = t[np.argmax(rising > -0.9 * SHAPE.depth_db)], t[np.argmax(rising > -0.1 * SHAPE.depth_db)]
    assert ninety - ten >= 0.5  # hundreds of milliseconds, not a jump
    assert ten >= 0.15  # a moment of stillness after the voice first
    ducking = level(times, db, SHAPE.fade_in_s, TOTAL_S - SHAPE.fade_out_s)
    assert np.abs(np.diff(ducking)).max() * (0.01 / GRID_S) <= 0.5  # never more than 0.5 dB in 10 ms


def test_fades_at_both_ends() -> None:
    times, db = gains_db([])
    assert db[0] < -60 and db[-1] < -40
    assert level(times, db, SHAPE.fade_in_s, TOTAL_S - SHAPE.fade_out_s).min() > -0.01


def test_bridge_leaves_room_for_a_real_rise() -> None:
    with pytest.raises(ValueError, match="bridge"):
        DuckShape(bridge_s=1.0)
