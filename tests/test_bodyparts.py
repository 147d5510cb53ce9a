"""body_part: the side cues, switch cues and hands line name it in every language, with its grammar (no audio here)."""

from __future__ import annotations

import pytest

from voiceguide.errors import RoutineError
from voiceguide.language import known_languages, language
from voiceguide.language.bodyparts import BUILT_IN_PARTS
from voiceguide.plan import load_routine, script

# The plan's first side cue and switch cue for each language and body part, written out by hand.
CUES: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "foot": ("Start with your right foot.", "Now switch to your left foot."),
        "hand": ("Start with your right hand.", "Now switch to your left hand."),
        "arm": ("Start with your right arm.", "Now switch to your left arm."),
        "leg": ("Start with your right leg.", "Now switch to your left leg."),
        "knee": ("Start with your right knee.", "Now switch to your left knee."),
        "shoulder": ("Start with your right shoulder.", "Now switch to your left shoulder."),
        "side of the neck": ("Start with the right side of your neck.", "Now switch to the left side of your neck."),
    },
    "de": {
        "foot": ("Wir beginnen mit dem rechten Fuß.", "Jetzt wechseln wir zum linken Fuß."),
        "hand": ("Wir beginnen mit der rechten Hand.", "Jetzt wechseln wir zur linken Hand."),
        "arm": ("Wir beginnen mit dem rechten Arm.", "Jetzt wechseln wir zum linken Arm."),
        "leg": ("Wir beginnen mit dem rechten Bein.", "Jetzt wechseln wir zum linken Bein."),
        "knee": ("Wir beginnen mit dem rechten Knie.", "Jetzt wechseln wir zum linken Knie."),
        "shoulder": ("Wir beginnen mit der rechten Schulter.", "Jetzt wechseln wir zur linken Schulter."),
        "side of the neck": ("Wir beginnen mit der rechten Halsseite.", "Jetzt wechseln wir zur linken Halsseite."),
    },
    "fr": {
        "foot": ("On commence par le pied droit.", "On passe maintenant au pied gauche."),
        "hand": ("On commence par la main droite.", "On passe maintenant à la main gauche."),
        "arm": ("On commence par le bras droit.", "On passe maintenant au bras gauche."),
        "leg": ("On commence par la jambe droite.", "On passe maintenant à la jambe gauche."),
        "knee": ("On commence par le genou droit.", "On passe maintenant au genou gauche."),
        "shoulder": ("On commence par l'épaule droite.", "On passe maintenant à l'épaule gauche."),
        "side of the neck": ("On commence par le côté droit du cou.", "On passe maintenant au côté gauche du cou."),
    },
    "es": {
        "foot": ("Empezamos por el pie derecho.", "Ahora pasamos al pie izquierdo."),
        "hand": ("Empezamos por la mano derecha.", "Ahora pasamos a la mano izquierda."),
        "arm": ("Empezamos por el brazo derecho.", "Ahora pasamos al brazo izquierdo."),
        "leg": ("Empezamos por la pierna derecha.", "Ahora pasamos a la pierna izquierda."),
        "knee": ("Empezamos por la rodilla derecha.", "Ahora pasamos a la rodilla izquierda."),
        "shoulder": ("Empezamos por el hombro derecho.", "Ahora pasamos al hombro izquierdo."),
        "side of the neck": ("Empezamos por el lado derecho del cuello.", "Ahora pasamos al lado izquierdo del cuello."),
    },
    "it": {
        "foot": ("Iniziamo dal piede destro.", "Ora passiamo al piede sinistro."),
        "hand": ("Iniziamo dalla mano destra.", "Ora passiamo alla mano sinistra."),
        "arm": ("Iniziamo dal braccio destro.", "Ora passiamo al braccio sinistro."),
        "leg": ("Iniziamo dalla gamba destra.", "Ora passiamo alla gamba sinistra."),
        "knee": ("Iniziamo dal ginocchio destro.", "Ora passiamo al ginocchio sinistro."),
        "shoulder": ("Iniziamo dalla spalla destra.", "Ora passiamo alla spalla sinistra."),
        "side of the neck": ("Iniziamo dal lato destro del collo.", "Ora passiamo al lato sinistro del collo."),
    },
    "nl": {
        "foot": ("We beginnen met de rechtervoet.", "Nu wisselen we naar de linkervoet."),
        "hand": ("We beginnen met de rechterhand.", "Nu wisselen we naar de linkerhand."),
        "arm": ("We beginnen met de rechterarm.", "Nu wisselen we naar de linkerarm."),
        "leg": ("We beginnen met het rechterbeen.", "Nu wisselen we naar het linkerbeen."),
        "knee": ("We beginnen met de rechterknie.", "Nu wisselen we naar de linkerknie."),
        "shoulder": ("We beginnen met de rechterschouder.", "Nu wisselen we naar de linkerschouder."),
        "side of the neck": ("We beginnen met de rechterkant van de nek.", "Nu wisselen we naar de linkerkant van de nek."),
    },
    "pt": {
        "foot": ("Começamos pelo pé direito.", "Agora passamos para o pé esquerdo."),
        "hand": ("Começamos pela mão direita.", "Agora passamos para a mão esquerda."),
        "arm": ("Começamos pelo braço direito.", "Agora passamos para o braço esquerdo."),
        "leg": ("Começamos pela perna direita.", "Agora passamos para a perna esquerda."),
        "knee": ("Começamos pelo joelho direito.", "Agora passamos para o joelho esquerdo."),
        "shoulder": ("Começamos pelo ombro direito.", "Agora passamos para o ombro esquerdo."),
        "side of the neck": ("Começamos pelo lado direito do pescoço.", "Agora passamos para o lado esquerdo do pescoço."),
    },
}
CUES["pt-br"] = CUES["pt"]


def said(path) -> list[str]:
    """What the plan says, without the technique names (A, B)."""
    return [e.utterance.text for e in script(load_routine(path)) if e.utterance is not None and e.utterance.text not in ("A.", "B.")]


def test_every_shipped_language_has_its_table_here():
    assert set(CUES) == set(known_languages())
    assert all(set(parts) == set(BUILT_IN_PARTS) for parts in CUES.values())


@pytest.mark.parametrize(("code", "part"), [(code, part) for code in CUES for part in BUILT_IN_PARTS])
def test_each_body_part_in_each_language(write_routine, code, part):
    path = write_routine(
        f"""
        title: Sides
        language: {code}
        body_part: {part}
        techniques:
          - name: A
            sides: each
            repetitions: 1
            cue: none
            hold: 2s
        """
    )
    assert said(path) == list(CUES[code][part])


@pytest.mark.parametrize("code", sorted(CUES))
def test_a_technique_names_its_own_body_part_over_the_routine_s(write_routine, code):
    path = write_routine(
        f"""
        title: Sides
        language: {code}
        body_part: hand
        techniques:
          - {{name: A, sides: each, cue: none, hold: 1s}}
          - {{name: B, sides: each, cue: none, hold: 1s, body_part: knee}}
        """
    )
    assert said(path) == [*CUES[code]["hand"], *CUES[code]["knee"]]


def test_without_body_part_the_sides_are_feet(write_routine):
    path = write_routine(
        """
        title: Sides
        techniques:
          - {name: A, sides: each, cue: none, hold: 1s}
        """
    )
    assert said(path) == list(CUES["en"]["foot"])


def test_hands_line_and_custom_cues_take_side_part_and_plural(write_routine):
    path = write_routine(
        """
        title: Sides
        language: fr
        body_part: hand
        techniques:
          - name: A
            sides: each
            cue: none
            hold: 1s
            side_start: "Posez la {part} {side} à plat."
            switch:
              say: "Changez de {part}."
              hands: "Les deux {parts} se rejoignent, la {part} {side} dessous."
        """
    )
    assert said(path) == [
        "Posez la main droite à plat.",
        "Changez de main.",
        "Les deux mains se rejoignent, la main gauche dessous.",
    ]


def test_any_other_noun_is_said_as_written_in_english(write_routine):
    path = write_routine(
        """
        title: Wrists
        body_part: wrist
        techniques:
          - {name: A, sides: each, cue: none, hold: 1s, switch: {say: "Now your {side} {part}.", hands: "Both {parts} loose."}}
        """
    )
    assert said(path) == ["Start with your right wrist.", "Now your left wrist.", "Both wrists loose."]


def test_an_unknown_body_part_in_another_language_is_a_located_problem(write_routine):
    path = write_routine(
        """
        title: Handgelenke
        language: de
        techniques:
          - name: A
            sides: each
            body_part: wrist
        """
    )
    with pytest.raises(RoutineError) as err:
        load_routine(path)
    (problem,) = err.value.problems
    assert (problem.line, problem.column) == (6, 16)
    assert "body_part 'wrist' has no Deutsch words built in" in problem.message
    assert "phrases:" in problem.hint and "side_start:" in problem.hint


def test_an_unknown_body_part_is_fine_once_phrases_say_its_cues(write_routine):
    path = write_routine(
        """
        title: Handgelenke
        language: de
        body_part: Handgelenk
        phrases:
          side_start: "Zuerst das {side} {part}."
          switch: "Jetzt das {side} {part}."
          right: rechte
          left: linke
        techniques:
          - {name: A, sides: each, cue: none, hold: 1s}
        """
    )
    assert said(path) == ["Zuerst das rechte Handgelenk.", "Jetzt das linke Handgelenk."]


def test_an_unknown_body_part_is_fine_where_no_side_is_named(write_routine):
    path = write_routine(
        """
        title: Nacken
        language: de
        body_part: Nacken
        techniques:
          - {name: A, hold: 1s}
        """
    )
    assert said(path) == []


def test_every_language_file_names_every_built_in_part():
    for code in known_languages():
        assert {p.name for p in language(code).body_parts} == set(BUILT_IN_PARTS)


def test_the_plan_and_the_player_name_the_side_s_body_part(write_routine):
    from voiceguide.plan import build_plan
    from voiceguide.player.timeline import Track, moment

    path = write_routine("title: T\nbody_part: hand\ntechniques:\n  - {name: A, sides: each, repetitions: 2, cue: none, hold: 1s}\n")
    routine = load_routine(path)
    events = script(routine)
    plan = build_plan(routine, events, {e.utterance: 1.0 for e in events if e.utterance})
    cues = plan.to_json()["cues"]
    assert {(c.get("side"), c.get("part")) for c in cues if "side" in c} == {("right", "hand"), ("left", "hand")}
    hold = next(c for c in cues if c.get("role") == "hold")
    now = moment(Track.from_plan_json(plan.to_json()), (hold["start_s"] + hold["end_s"]) / 2)
    assert now.repetition_text == "Repetition 1 of 2 · right hand"
