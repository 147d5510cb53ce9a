"""The shipped JSON Schema agrees with the loader: same keys, built-in routines valid, bad ones not."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from voiceguide.routine import builder, builtin_routines

SCHEMA = json.loads(resources.files("voiceguide.routine").joinpath("schema.json").read_text(encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(SCHEMA)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@pytest.mark.parametrize(
    ("where", "keys"),
    [
        (SCHEMA["properties"], builder.ROOT_KEYS),
        (SCHEMA["$defs"]["technique"]["properties"], builder.TECHNIQUE_KEYS),
        (SCHEMA["$defs"]["narration"]["properties"], builder.NARRATION_KEYS),
        (SCHEMA["properties"]["music"]["oneOf"][2]["properties"], builder.MUSIC_KEYS),
    ],
)
def test_schema_keys_match_the_loader(where, keys):
    assert set(where) == set(keys)


@pytest.mark.parametrize("name", list(builtin_routines()))
def test_builtin_routines_match_the_schema(name):
    data = yaml.safe_load(builtin_routines()[name].read_text(encoding="utf-8"))
    VALIDATOR.validate(data)


@pytest.mark.parametrize(
    "data",
    [
        {"title": "T"},
        {"title": "T", "techniques": []},
        {"title": "T", "techniques": [{"name": "A", "repetitons": 3}]},
        {"title": "T", "techniques": [{"name": "A", "hold": "5 secs"}]},
        {"title": "T", "narration": {"rate": 900}, "techniques": [{"name": "A"}]},
        {"title": "T", "techniques": [{"name": "A", "steps": [{"chime": True, "pause": "2s"}]}]},
    ],
)
def test_schema_rejects_what_the_loader_rejects(data):
    assert list(VALIDATOR.iter_errors(data))


def test_the_schema_lists_what_the_registry_holds():
    """The engines, beds and languages in schema.json are the registry's (scripts/schema_enums.py writes them)."""
    script = Path(__file__).resolve().parent.parent / "scripts" / "schema_enums.py"
    spec = importlib.util.spec_from_file_location("schema_enums", script)
    assert spec is not None and spec.loader is not None
    enums = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(enums)
    shipped = enums.SCHEMA.read_text(encoding="utf-8")
    assert enums.text(enums.with_registry(json.loads(shipped))) == shipped, "schema.json is stale: run python scripts/schema_enums.py"
