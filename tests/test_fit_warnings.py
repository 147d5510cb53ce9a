"""Fitting that tells: values without a range stretched past 3× or squeezed under a third are named; the built-in
routines carry ranges, so fitting them to 5–60 minutes keeps holds of at least 2 s or refuses in one line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from test_fit import lengths

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide.cli import cli
from voiceguide.errors import LimitError
from voiceguide.plan import load_routine
from voiceguide.plan.fit import fit
from voiceguide.routine import builtin_routines
from voiceguide.session import prepare

LENGTHS_MIN = (5, 10, 30, 60)

LOOSE = """
title: Loose
techniques:
  - name: Press
    repetitions: 4
    hold: 5s..8s
    rest: 1s
    steps:
      - {say: Press., pause: 2s}
    pause_after: 3s..6s
"""


def test_values_without_a_range_stretched_past_3x_are_named(write_routine):
    routine = load_routine(write_routine(LOOSE))
    fitted = fit(routine, 600, lengths(routine))
    rest = next(c for c in fitted.stretched if c.what == "rest")
    assert rest.before == 1 and rest.after == pytest.approx(fitted.factor)
    assert [c.what for c in fitted.stretched] == ["pause", "rest"]  # hold and pause_after have ranges
    line = fitted.warnings()[1]
    assert line.startswith(f"Press: rest 1s → {rest.after:.2f}".rstrip("0").rstrip("."))
    assert "× as written, and it has no range to bound it) — give it one, such as rest: 1s..3s" in line
    assert fitted.to_json()["warnings"] == fitted.warnings()


def test_values_squeezed_under_a_third_are_named(write_routine):
    routine = load_routine(write_routine("title: T\ntechniques:\n  - name: Hold\n    repetitions: 3\n    hold: 60s\n"))
    fitted = fit(routine, 40, lengths(routine))
    (hold,) = fitted.stretched
    assert hold.what == "hold" and hold.after < 20
    assert "× as written" in fitted.warnings()[0] and "such as hold: 20s..60s" in fitted.warnings()[0]
    assert fitted.warnings()[0].split("(")[1].startswith("1/")


def test_a_fit_within_3x_tells_nothing(write_routine):
    routine = load_routine(write_routine(LOOSE))
    unfitted = fit(routine, 45, lengths(routine))
    assert 1 / 3 <= unfitted.factor <= 3
    assert unfitted.stretched == () and unfitted.warnings() == []


def _check(name: str, fitted_or_error: object) -> None:
    if isinstance(fitted_or_error, LimitError):
        text = str(fitted_or_error)
        assert "\n" not in text and "cannot fit the session into" in text and "it can last from" in text
        return
    routine = fitted_or_error.routine  # type: ignore[attr-defined]
    holds = [t.hold_s for t in routine.techniques if t.hold_s > 0]
    assert min(holds) >= 2.0 - 1e-9, name
    assert fitted_or_error.warnings() == []  # type: ignore[attr-defined]  # every value has a range


@pytest.mark.parametrize(
    "minutes", [m if m in (5, 60) else pytest.param(m, marks=pytest.mark.slow) for m in LENGTHS_MIN]
)  # the shortest and the longest in the fast layer
@pytest.mark.parametrize("name", list(builtin_routines()))
def test_builtin_routines_fit_with_holds_of_2s_or_refuse_in_one_line(name, minutes):
    routine = load_routine(builtin_routines()[name])
    durations = lengths(routine)  # 60 ms a character, about what the narrators measure
    try:
        result: object = fit(routine, minutes * 60, durations)
    except LimitError as err:
        result = err
    _check(name, result)


@pytest.mark.slow
@pytest.mark.parametrize("minutes", LENGTHS_MIN)
@pytest.mark.parametrize("name", list(builtin_routines()))
def test_builtin_routines_fit_with_measured_narration(name, minutes):
    try:
        session = prepare(name, engine="pyttsx3", length_s=minutes * 60)
    except LimitError as err:
        _check(name, err)
        return
    assert session.fit is not None
    _check(name, session.fit)
    assert session.plan.duration_s == pytest.approx(minutes * 60, abs=1.0)


@pytest.mark.slow
def test_plan_and_build_print_each_warning_on_stderr(write_routine, tmp_path):
    path = write_routine(LOOSE)
    plan = CliRunner().invoke(cli, ["plan", str(path), "--length", "10m", "--engine", "pyttsx3"])
    assert plan.exit_code == 0, plan.output
    warned = [line for line in plan.stderr.splitlines() if line.startswith("warning: ")]
    assert [w.split(" → ")[0] for w in warned] == ["warning: Press: pause 2s", "warning: Press: rest 1s"]
    assert "warning" not in plan.stdout
    out = tmp_path / "s.wav"
    build = CliRunner().invoke(cli, ["build", str(path), "--length", "10m", "--engine", "pyttsx3", "--no-music", "-o", str(out)])
    assert build.exit_code == 0, build.output
    assert [line for line in build.stderr.splitlines() if line.startswith("warning: ")] == warned
