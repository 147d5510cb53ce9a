"""Every language: number words, phrase files, and plans spoken wholly in the routine's language (no audio here)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from importlib import resources

import jsonschema
import pytest
from click.testing import CliRunner

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide.built.captions import to_srt, to_webvtt
from voiceguide.cli import cli
from voiceguide.errors import NarratorError, RoutineError
from voiceguide.export.feed import Episode, FeedInfo, _episode_language, feed_language
from voiceguide.language import PHRASE_KEYS, known_languages, language, number_words
from voiceguide.narration import list_voices, voice_speaks
from voiceguide.narration.voices import resolve_voice
from voiceguide.plan import build_plan, load_routine, script, utterances
from voiceguide.session import check_narration, prepare

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")

# Written out by hand, as said when counting aloud: 1–20, then 21, 100 and 1000.
COUNTS = {
    "en": "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen"
    " nineteen twenty|twenty-one|one hundred|one thousand",
    "de": "eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn fünfzehn sechzehn siebzehn achtzehn"
    " neunzehn zwanzig|einundzwanzig|hundert|tausend",
    "fr": "un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize dix-sept dix-huit dix-neuf"
    " vingt|vingt et un|cent|mille",
    "es": "uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince dieciséis diecisiete dieciocho"
    " diecinueve veinte|veintiuno|cien|mil",
    "it": "uno due tre quattro cinque sei sette otto nove dieci undici dodici tredici quattordici quindici sedici diciassette"
    " diciotto diciannove venti|ventuno|cento|mille",
    "nl": "één twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien vijftien zestien zeventien achttien"
    " negentien twintig|eenentwintig|honderd|duizend",
    "pt": "um dois três quatro cinco seis sete oito nove dez onze doze treze catorze quinze dezasseis dezassete dezoito dezanove"
    " vinte|vinte e um|cem|mil",
}


@pytest.mark.parametrize("code", LANGUAGES)
def test_number_words_one_to_twenty_and_21_100_1000(code):
    first_twenty, twenty_one, hundred, thousand = COUNTS[code].split("|")
    assert [number_words(n, code) for n in range(1, 21)] == first_twenty.split()
    assert [number_words(n, code) for n in (21, 100, 1000)] == [twenty_one, hundred, thousand]


@pytest.mark.parametrize(
    ("code", "n", "words"),
    [
        ("en", 121, "one hundred and twenty-one"),
        ("de", 101, "hunderteins"),
        ("de", 374, "dreihundertvierundsiebzig"),
        ("fr", 71, "soixante et onze"),
        ("fr", 80, "quatre-vingts"),
        ("fr", 81, "quatre-vingt-un"),
        ("fr", 200, "deux cents"),
        ("fr", 280, "deux cent quatre-vingts"),
        ("es", 101, "ciento uno"),
        ("es", 555, "quinientos cincuenta y cinco"),
        ("it", 28, "ventotto"),
        ("it", 103, "centotré"),
        ("it", 180, "centottanta"),
        ("nl", 22, "tweeëntwintig"),
        ("nl", 101, "honderdeen"),
        ("pt", 101, "cento e um"),
        ("pt", 321, "trezentos e vinte e um"),
    ],
)
def test_numbers_past_a_hundred_follow_each_language(code, n, words):
    assert number_words(n, code) == words


def test_every_phrase_file_is_whole():
    assert set(LANGUAGES) <= set(known_languages())
    for code in known_languages():
        lang = language(code)
        assert all(getattr(lang.phrases, key).strip() for key in PHRASE_KEYS)
        assert len(lang.iso639_2) == 3 and lang.name
        assert all(lang.numbers.words(n) for n in range(1001))


def test_a_dialect_uses_its_language_and_an_unknown_code_is_refused():
    assert language("pt-BR").code == "pt-br" and language("pt-PT").code == "pt" and language("de_CH").code == "de"
    assert number_words(16, "pt-br") == "dezesseis" and number_words(16, "pt") == "dezasseis"
    with pytest.raises(LookupError, match="de, en, es"):
        language("xx")


# A routine with counting, both sides, a custom cue with {n} and {total}, a release and
# chapters: everything voiceguide says of its own. Written text is the language's name only.
def routine_in(code: str, custom: str) -> str:
    name = language(code).name
    return f"""
title: {name}
language: {code}
intro:
  - {name}.
techniques:
  - name: {name} A
    repetitions: 3
    hold: 1s
    release: true
    sides: each
  - name: {name} B
    repetitions: 4
    cue: "{custom}"
outro:
  - {name}.
"""


CUSTOM = {
    "en": "Press {n} of {total}.",
    "de": "Nummer {n} von {total}.",
    "fr": "Numéro {n} sur {total}.",
    "es": "Número {n} de {total}.",
    "it": "Numero {n} di {total}.",
    "nl": "Nummer {n} van {total}.",
    "pt": "Número {n} de {total}.",
}


def words_of(texts):
    return {w.lower() for text in texts for w in re.findall(r"\w+", text)}


def english_words() -> set[str]:
    en = language("en")
    p = en.phrases
    said = [getattr(p, key) for key in PHRASE_KEYS] + [en.numbers.words(n) for n in range(1, 5)]
    return words_of(said) - {"n", "total", "side"}


def plan_in(write_routine, code):
    routine = load_routine(write_routine(routine_in(code, CUSTOM[code])))
    events = script(routine)
    plan = build_plan(routine, events, {u: 0.05 * len(u.spoken) for u in utterances(events)})
    return routine, events, plan


@pytest.mark.parametrize("code", [c for c in LANGUAGES if c != "en"])
def test_a_plan_has_no_english_word_of_the_builtin_phrases(write_routine, code):
    _, events, plan = plan_in(write_routine, code)
    texts = [c.text for c in plan.cues if c.text] + [c.title for c in plan.chapters]
    assert not words_of(texts) & english_words(), texts
    p = language(code).phrases
    assert plan.chapters[0].title == p.introduction and plan.chapters[-1].title == p.closing
    assert plan.language == code and plan.to_json()["language"] == code
    assert {u.voice for u in utterances(events)} == {code}  # the voice follows the language


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", ["Start with your right foot.", "One.", "Three, last one.", "Now switch to your left foot.", "Press two of four."]),
        (
            "de",
            [
                "Wir beginnen mit dem rechten Fuß.",
                "Eins.",
                "Drei, ein letztes Mal.",
                "Jetzt wechseln wir zum linken Fuß.",
                "Nummer zwei von vier.",
            ],
        ),
        (
            "fr",
            [
                "On commence par le pied droit.",
                "Un.",
                "Trois, et c'est la dernière.",
                "On passe maintenant au pied gauche.",
                "Numéro deux sur quatre.",
            ],
        ),
        ("es", ["Empezamos por el pie derecho.", "Uno.", "Tres, y la última.", "Ahora pasamos al pie izquierdo.", "Número dos de cuatro."]),
        ("it", ["Iniziamo dal piede destro.", "Uno.", "Tre, e l'ultima.", "Ora passiamo al piede sinistro.", "Numero due di quattro."]),
        (
            "nl",
            [
                "We beginnen met de rechtervoet.",
                "Één.",
                "Drie, en de laatste.",
                "Nu wisselen we naar de linkervoet.",
                "Nummer twee van vier.",
            ],
        ),
        ("pt", ["Começamos pelo pé direito.", "Um.", "Três, e a última.", "Agora passamos para o pé esquerdo.", "Número dois de quatro."]),
    ],
)
def test_side_cues_counts_and_custom_cues_read_naturally(write_routine, code, expected):
    _, _, plan = plan_in(write_routine, code)
    said = [c.text for c in plan.cues if c.text]
    assert all(line in said for line in expected), said


def test_phrases_override_the_language(write_routine):
    path = write_routine(
        """
        title: Eigene Worte
        language: de
        phrases:
          last_cue: "Und {n}, zum Schluss."
          side_start: "{side} Fuß zuerst."
          right: Rechter
          closing: Ende
        techniques:
          - name: Zehen
            repetitions: 2
            sides: each
        """
    )
    routine = load_routine(path)
    events = script(routine)
    plan = build_plan(routine, events, dict.fromkeys(utterances(events), 1.0))
    said = [c.text for c in plan.cues if c.text]
    assert said[:3] == ["Zehen.", "Rechter Fuß zuerst.", "Eins."]
    assert "Und zwei, zum Schluss." in said and "Jetzt wechseln wir zum linken Fuß." in said
    assert plan.chapters[-1].title == "Zehen"  # no intro or outro: no opening or closing chapter


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("language: xx\n", (2, 11), "language 'xx' is not one voiceguide speaks — use one of de, en, es, fr, it, nl, pt, pt-br"),
        ("language: 'de 1'\n", (2, 11), "language 'de 1' is not a language code"),
        ("phrases: {lastcue: x}\n", (2, 11), "unknown key 'lastcue' in phrases — did you mean 'last_cue'?"),
        ("phrases: {switch: 'Now {n}.'}\n", (2, 19), "phrase switch uses the unknown placeholder {n} — use {side}"),
        ("phrases: {closing: 3.5}\n", None, None),
    ],
)
def test_bad_languages_and_phrases_are_located(write_routine, text, where, message):
    path = write_routine("title: T\n" + text + "techniques:\n  - name: A\n")
    if where is None:
        assert load_routine(path).phrases == (("closing", "3.5"),)
        return
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == where
    assert str(problem).startswith(f"{path}:{where[0]}:{where[1]}: {message}")


def test_a_dialect_keeps_its_code_for_the_voice(write_routine):
    path = write_routine("title: T\nlanguage: pt-BR\ntechniques:\n  - name: A\n    repetitions: 2\n")
    routine = load_routine(path)
    assert routine.language == "pt-br"
    assert [u.text for u in utterances(script(routine))] == ["A.", "Um.", "Dois, e a última."]
    assert {u.voice for u in utterances(script(routine))} == {"pt-br"}


def test_a_precautions_only_opening_is_named_for_them(write_routine):
    path = write_routine("title: T\nlanguage: es\nprecautions:\n  - Con cuidado.\ntechniques:\n  - name: A\n")
    routine = load_routine(path)
    events = script(routine)
    plan = build_plan(routine, events, dict.fromkeys(utterances(events), 1.0))
    assert [c.title for c in plan.chapters] == ["Precauciones", "A"]


def test_captions_name_their_language_where_the_format_can(write_routine):
    _, _, plan = plan_in(write_routine, "fr")
    vtt = to_webvtt(plan)
    assert vtt.startswith("WEBVTT\nLanguage: fr\n\n") and "Un.\n" in vtt
    assert to_srt(plan).startswith("1\n")  # SubRip has no header at all


def test_the_feed_language_comes_from_the_sessions():
    def episode(name: str, code: str) -> Episode:
        return Episode(name, name, "", "", 1.0, 1, datetime(2026, 1, 1, tzinfo=UTC), language=code)

    eps = [episode("a.mp3", "de"), episode("b.mp3", "de"), episode("c.mp3", "es")]
    assert feed_language(FeedInfo("T", "https://example.com/"), eps) == "de"
    assert feed_language(FeedInfo("T", "https://example.com/", language="fr"), eps) == "fr"
    assert feed_language(FeedInfo("T", "https://example.com/"), [episode("a.mp3", "")]) == "en"
    assert _episode_language({}, {"language": "spa"}) == "es" and _episode_language({"language": "pt-br"}, {}) == "pt-br"


def test_a_dialect_without_a_voice_of_its_own_gets_its_languages():
    voices = list_voices()
    assert resolve_voice("de-ch", voices, "pyttsx3") == resolve_voice("de", voices, "pyttsx3")
    with pytest.raises(NarratorError, match="unknown voice"):
        resolve_voice("xx-yy", voices, "pyttsx3")


def test_list_shows_each_routine_with_its_language():
    out = CliRunner().invoke(cli, ["list"], catch_exceptions=False).stdout
    assert re.search(r"^gentle-foot-unwind\s+en\s+Gentle foot unwind$", out, re.M)


def test_the_schema_knows_phrases_and_release_true():
    schema = json.loads(resources.files("voiceguide.routine").joinpath("schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert set(schema["properties"]["phrases"]["properties"]) == set(PHRASE_KEYS)
    good = {"title": "T", "language": "de", "phrases": {"right": "rechte"}, "techniques": [{"name": "A", "release": True}]}
    assert not list(validator.iter_errors(good))
    assert list(validator.iter_errors({**good, "phrases": {"lastcue": "x"}}))
    assert all(code in schema["properties"]["language"]["description"] for code in known_languages())


def test_validate_points_at_an_unknown_language(write_routine):
    path = write_routine("title: T\nlanguage: xx\ntechniques:\n  - name: A\n")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip() == (
        f"{path}:2:11: language 'xx' is not one voiceguide speaks"
        " — use one of de, en, es, fr, it, nl, pt, pt-br (a dialect such as de-ch uses its language's phrases)"
    )


def test_a_persons_own_voice_gives_way_to_the_routines_language(write_routine, monkeypatch):
    monkeypatch.setenv("VOICEGUIDE_CONFIG", str(write_routine("", "no-config.toml")))
    monkeypatch.setenv("VOICEGUIDE_VOICE", "gmw/en-us")
    assert voice_speaks("gmw/en-us", "en") and voice_speaks("roa/pt-br", "pt") and not voice_speaks("gmw/en-us", "de")
    for code, voice in (("en", "gmw/en-us"), ("de", "de")):
        path = write_routine(f"title: T\nlanguage: {code}\nmusic: none\ntechniques:\n  - name: A\n", f"{code}.yaml")
        session = prepare(path)
        assert {c.utterance.voice for c in session.plan.cues if c.utterance} == {voice}


def test_a_voice_the_file_names_must_speak_the_routines_language(write_routine):
    path = write_routine("title: T\nlanguage: de\nintro:\n  - Hallo.\nnarration:\n  voice: en-us\ntechniques:\n  - name: A\n")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"{path}:6:10: voice gmw/en-us of engine pyttsx3 speaks en-us, en, not de, the routine's language"
        " — leave voice: out to take the language's own, or pick one from 'voiceguide voices --language de'"
    )
    routine = load_routine(path)
    assert check_narration(routine, voice="en-us") == []  # the command line may choose any voice
    dialect = write_routine("title: T\nlanguage: pt-br\nnarration: {voice: roa/pt}\ntechniques:\n  - name: A\n", "pt.yaml")
    assert check_narration(load_routine(dialect)) == []  # a voice of the same language, another country
