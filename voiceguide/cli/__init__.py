"""The ``voiceguide`` command. The library raises VoiceguideError; here it becomes one line and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from voiceguide import __version__, terminal
from voiceguide.errors import RoutineError, VoiceguideError, resource_error, shown


class _Group(click.Group):
    """The command group; errors of every kind end here as one line each and an exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except RoutineError as err:  # one line per problem, each located
            for problem in err.problems:
                terminal.error(problem)
            ctx.exit(err.exit_code)
        except VoiceguideError as err:
            terminal.error(shown(err.message, err.hint) or type(err).__name__)
            ctx.exit(err.exit_code)
        except (MemoryError, OSError, RuntimeError) as err:  # the machine ran out of something: say what, not where in the code
            found = resource_error(err)
            if found is None:
                raise
            terminal.error(found)
            ctx.exit(found.exit_code)
        except KeyboardInterrupt:
            terminal.error("interrupted; nothing was written")
            ctx.exit(130)

    def main(
        self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
        standalone_mode: bool = True, **extra: Any,
    ) -> Any:  # fmt: skip
        """As click's, except that a bad invocation is one line too (click prints usage and a blank line around it)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as err:
            where = err.ctx.command_path if isinstance(err, click.UsageError) and err.ctx else prog_name or "voiceguide"
            terminal.error(f"{err.format_message().removesuffix('.')} — see '{where} --help'")
            sys.exit(err.exit_code)
        except click.Abort as err:  # Ctrl-C or end of input while click itself was reading
            interrupted = isinstance(err.__cause__, KeyboardInterrupt)
            terminal.error("interrupted; nothing was written" if interrupted else "aborted")
            sys.exit(130 if interrupted else 1)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="voiceguide")
def cli() -> None:
    """Turn routine files into voice-guided audio sessions.

    A routine (YAML) lists techniques with spoken steps, repetitions, holds and
    rests. voiceguide narrates it offline, times every pause exactly, and writes an
    audio file you can follow with your eyes closed.

    \b
    Start here:
      voiceguide list                        the built-in routines
      voiceguide plan gentle-foot-unwind     the timeline, second by second
      voiceguide build gentle-foot-unwind    the MP3, into output/
      voiceguide new my-routine              a routine of your own to start from
      voiceguide validate my-routine.yaml    check it
    """


COMMAND_MODULES = {  # each subcommand and the module that registers it
    "batch": "batch", "build": "build", "cache": "cache", "feed": "feed", "list": "routines", "listen": "listen", "music": "music", "new": "new",
    "plan": "routines", "play": "play", "say": "say", "studio": "studio", "validate": "routines", "voices": "voices",
}  # fmt: skip


def main() -> None:
    import importlib

    named = COMMAND_MODULES.get(sys.argv[1]) if len(sys.argv) > 1 else None
    if named is not None:
        importlib.import_module(f"voiceguide.cli.{named}")  # only the command asked for: it starts sooner
    else:
        from voiceguide.cli import commands  # noqa: F401  (every subcommand: for --help and "did you mean")
    cli.main(prog_name="voiceguide")


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(0)
