"""Write the registry's engines, beds and languages into the routine schema (voiceguide/routine/schema.json).

python scripts/schema_enums.py          # rewrite the schema's enums and lists from the registry
python scripts/schema_enums.py --check  # exit 1 if the file is stale (tests/test_schema.py runs this check)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from voiceguide import registry

SCHEMA = Path(__file__).resolve().parent.parent / "voiceguide" / "routine" / "schema.json"


def with_registry(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every list of what exists taken from the registry (changed in place and returned)."""
    engine = schema["$defs"]["narration"]["properties"]["engine"]
    engine["enum"] = list(registry.ENGINES)
    extras = [e.name for e in registry.ENGINES.values() if e.extra]
    engine["description"] = re.sub(
        r"else \w[\w-]*\)\..*$",
        f"else {registry.DEFAULT_ENGINE}). {' and '.join(extras)} need their extra and model; see 'voiceguide voices'.",
        engine["description"],
    )
    bed = schema["properties"]["music"]["oneOf"][2]["properties"]["bed"]
    bed["enum"] = [*registry.BEDS, "none"]
    bed["description"] = re.sub(r"\(default \w+;", f"(default {registry.DEFAULT_BED};", bed["description"])
    language = schema["properties"]["language"]
    language["description"] = re.sub(r"Known: [^;]*;", f"Known: {', '.join(registry.languages())};", language["description"])
    return schema


def text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    old = SCHEMA.read_text(encoding="utf-8")
    new = text(with_registry(json.loads(old)))
    if "--check" in argv:
        if new != old:
            print(f"{SCHEMA.name} is stale: run python scripts/schema_enums.py", file=sys.stderr)
            return 1
        return 0
    if new != old:
        SCHEMA.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
