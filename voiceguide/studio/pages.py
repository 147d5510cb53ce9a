"""The studio's pages, rendered on the server (Jinja2); two small scripts of our own (static/form.js, static/studio.js) do the rest."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from voiceguide import registry
from voiceguide.routine.limits import RATE_RANGE
from voiceguide.studio.folders import check_name
from voiceguide.studio.state import Studio

_env = Environment(loader=PackageLoader("voiceguide.studio", "templates"), autoescape=select_autoescape(default=True))


def _page(template: str, **values: object) -> HTMLResponse:
    return HTMLResponse(_env.get_template(template).render(**values))


def _studio(request: Request) -> Studio:
    found: Studio = request.app.state.studio
    return found


async def library(request: Request) -> Response:
    entries = await run_in_threadpool(_studio(request).library.entries)
    return _page("library.html", entries=entries, languages=registry.languages())


async def editor(request: Request) -> Response:
    name = check_name(request.path_params["name"])
    _studio(request).library.path(name)  # 404 for a routine that does not exist
    choices = {
        "engines": registry.engine_names(), "beds": [(b.name, b.sound) for b in registry.BEDS.values()],
        "formats": registry.format_names(), "languages": registry.languages(), "rates": RATE_RANGE,
    }  # fmt: skip
    return _page("editor.html", name=name, **choices)


async def publish(request: Request) -> Response:
    output = _studio(request).folders.output
    sessions = sorted(
        p.name for p in output.iterdir() if p.is_file() and p.suffix in registry.audio_suffixes() and not p.name.startswith(".")
    )
    return _page("publish.html", sessions=sessions, formats=registry.feed_formats())


ROUTES = [
    Route("/", library),
    Route("/edit/{name}", editor),
    Route("/publish", publish),
]
