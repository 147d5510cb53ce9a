"""The studio as an ASGI application: the API, the pages, the files of builds, all behind the guard."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from voiceguide.studio import api, pages
from voiceguide.studio.folders import Folders
from voiceguide.studio.guard import Access, Guard
from voiceguide.studio.state import Studio


async def output_file(request: Request) -> Response:
    studio: Studio = request.app.state.studio
    path = studio.folders.output_file(request.path_params["path"])
    return FileResponse(path, content_disposition_type="inline")


async def not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    message = "this method is not allowed here" if status == 405 else "no such page"
    return JSONResponse({"message": message, "hint": "docs/studio.md lists the studio's API"}, status_code=status)


def create_app(folders: Folders, access: Access) -> Starlette:
    static = Path(str(resources.files("voiceguide.studio").joinpath("static")))
    routes = [
        *api.ROUTES,
        *pages.ROUTES,
        Route("/files/{path:path}", output_file),
        Mount("/static", StaticFiles(directory=static), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Guard, access=access)], exception_handlers={HTTPException: not_found})
    app.state.studio = Studio(folders)
    return app
