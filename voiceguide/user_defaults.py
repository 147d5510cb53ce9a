"""A person's own narrator (engine and voice) and cache limit, from the environment or a small config file.

``$VOICEGUIDE_ENGINE`` and ``$VOICEGUIDE_VOICE`` win over the file
``$VOICEGUIDE_CONFIG``, else ``$XDG_CONFIG_HOME/voiceguide/config.toml``, else
``~/.config/voiceguide/config.toml``, which may say::

    engine = "kokoro"
    voice = "af_heart"
    cache_limit = "5GB"   # the clip cache is trimmed to this after each build (default 2GB)
    author = "Your name"  # a feed's author and owner, unless voiceguide feed --author says
    email = "you@example.com"  # a feed's owner e-mail, unless --email says

The engine for a line is the command line's, else the routine's, else this one,
else ``DEFAULT_ENGINE``. This voice is used only with this engine, and only where
neither the command line nor the routine names a voice.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from voiceguide import registry
from voiceguide.errors import VoiceguideError
from voiceguide.folders import user_folder
from voiceguide.narration.upkeep import DEFAULT_LIMIT_BYTES, parse_size
from voiceguide.registry import DEFAULT_ENGINE

ENGINE_VARIABLE = "VOICEGUIDE_ENGINE"
VOICE_VARIABLE = "VOICEGUIDE_VOICE"
KEYS = ("engine", "voice", "cache_limit", "author", "email")
EXAMPLES = {"engine": "kokoro", "voice": "af_heart", "cache_limit": "5GB", "author": "Your name", "email": "you@example.com"}


class ConfigError(VoiceguideError):
    """The user's config file or environment names something voiceguide cannot use."""


def config_path() -> Path:
    if os.environ.get("VOICEGUIDE_CONFIG"):
        return Path(os.environ["VOICEGUIDE_CONFIG"])
    return user_folder("config") / "config.toml"


@dataclass(frozen=True)
class UserDefaults:
    engine: str | None = None
    voice: str | None = None
    cache_limit: int = DEFAULT_LIMIT_BYTES  # bytes the clip cache is trimmed to after a build
    author: str = ""  # a feed's author and owner, unless its options say
    email: str = ""  # a feed's owner e-mail, unless --email says

    def engine_for(self, command_line: str | None, routine: str | None = None) -> str:
        """The engine to use: command line, routine, this person's default, then voiceguide's."""
        return command_line or routine or self.engine or DEFAULT_ENGINE

    def voice_for(self, engine: str) -> str | None:
        """This person's voice if ``engine`` is their engine (voiceguide's default when they named none)."""
        return self.voice if engine == (self.engine or DEFAULT_ENGINE) else None


def _from_file(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc})", hint="fix or remove the file") from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r}", hint=f"it may hold {', '.join(KEYS)}")
    for key, value in data.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f'{path}: {key} must be a non-empty string, e.g. {key} = "{EXAMPLES[key]}"')
    return {k: v.strip() for k, v in data.items()}


def user_defaults() -> UserDefaults:
    """This person's defaults; raises ConfigError naming the file or variable that is wrong."""
    found = _from_file(config_path())
    source = {"engine": str(config_path()), "voice": str(config_path())}
    for key, variable in (("engine", ENGINE_VARIABLE), ("voice", VOICE_VARIABLE)):
        if os.environ.get(variable, "").strip():
            found[key] = os.environ[variable].strip()
            source[key] = f"${variable}"
    engine = found.get("engine")
    if engine is not None and engine not in registry.ENGINES:
        raise ConfigError(f"{source['engine']}: engine {engine!r} is not one of {', '.join(registry.ENGINES)}")
    limit = DEFAULT_LIMIT_BYTES
    if "cache_limit" in found:
        try:
            limit = parse_size(found["cache_limit"])
        except ValueError:
            raise ConfigError(
                f"{source['engine']}: cache_limit {found['cache_limit']!r} is not a size", hint='write it as "500MB" or "2GB"'
            ) from None
    return UserDefaults(engine, found.get("voice"), limit, found.get("author", ""), found.get("email", ""))
