"""The studio's HTTP API (the page uses it; so can scripts): routines, checks, plans, spoken lines, builds and their events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from voiceguide.studio.folders import StudioError, check_name
from voiceguide.studio.options import build_options, narrator
from voiceguide.studio.state import Studio
from voiceguide.studio.work import bed_wav, plan_json, problem_json, problems, routine_of, say_wav

EVENT_POLL_S = 0.2


async def body(request: Request, *required: str) -> dict[str, Any]:
    """The request's JSON object; refused in one line when it is not JSON, not an object, or lacks a field."""
    raw = await request.body()
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        where = f" (line {err.lineno}, column {err.colno}: {err.msg})" if isinstance(err, json.JSONDecodeError) else ""
        raise StudioError(f"the request is not JSON{where}", 'send a JSON object, e.g. {"yaml": "title: …"}') from None
    if not isinstance(data, dict):
        raise StudioError("the request must be a JSON object", 'send e.g. {"yaml": "title: …"}')
    for key in required:
        if not isinstance(data.get(key), str):
            raise StudioError(f"the request needs '{key}' as a string", f'send e.g. {{"{key}": "…"}}')
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise StudioError("options must be a JSON object", 'send e.g. {"options": {"rate": 140}}')
    return data


def studio(request: Request) -> Studio:
    found: Studio = request.app.state.studio
    return found


async def list_routines(request: Request) -> Response:
    entries = await run_in_threadpool(studio(request).library.entries)
    return JSONResponse([e.to_json() for e in entries])


async def get_routine(request: Request) -> Response:
    text, version, builtin = studio(request).library.read(check_name(request.path_params["name"]))
    return JSONResponse({"name": request.path_params["name"], "yaml": text, "version": version, "builtin": builtin})


async def put_routine(request: Request) -> Response:
    data = await body(request, "yaml")
    name = check_name(request.path_params["name"])
    version = data.get("version")
    if version is not None and not isinstance(version, str):
        raise StudioError("version must be the string the routine was read with", "read the routine again")
    saved = studio(request).library.save(name, data["yaml"], version)
    return JSONResponse({"name": name, "version": saved})


async def new_routine(request: Request) -> Response:
    data = await body(request, "name")
    source = data.get("from")
    if source is not None and not isinstance(source, str):
        raise StudioError("from must be a routine's name", "leave it out for the template")
    code = data.get("language")
    if code is not None and not isinstance(code, str):
        raise StudioError("language must be a language's code", 'send e.g. {"language": "de"}')
    version = studio(request).library.create(data["name"], check_name(source) if source else None, code)
    return JSONResponse({"name": data["name"], "version": version}, status_code=201)


async def delete_routine(request: Request) -> Response:
    studio(request).library.delete(check_name(request.path_params["name"]))
    return JSONResponse({"name": request.path_params["name"], "trash": True})


async def validate(request: Request) -> Response:
    data = await body(request, "yaml")
    s = studio(request)
    source = s.source_for(data.get("name"))
    found = await run_in_threadpool(problems, data["yaml"], source, s.folders, narrator(data.get("options", {})))
    answer: dict[str, object] = {"problems": [problem_json(p) for p in found]}
    if data.get("outline") is True:
        from voiceguide.studio.outline import lists, outline

        answer["outline"] = await run_in_threadpool(outline, data["yaml"])
        answer["lists"] = await run_in_threadpool(lists, data["yaml"])
    return JSONResponse(answer)


async def plan(request: Request) -> Response:
    data = await body(request, "yaml")
    s = studio(request)
    who = narrator(data.get("options", {}))
    reach = data.get("reach") is True
    return JSONResponse(await run_in_threadpool(plan_json, data["yaml"], s.source_for(data.get("name")), s.folders, who, reach))


async def say(request: Request) -> Response:
    data = await body(request, "text")
    wav = await run_in_threadpool(say_wav, data["text"], narrator(data.get("options", {})))
    return Response(wav, media_type="audio/wav")


async def bed(request: Request) -> Response:
    wav = await run_in_threadpool(bed_wav, request.path_params["name"])
    return Response(wav, media_type="audio/wav")


async def start_build(request: Request) -> Response:
    data = await body(request)
    s = studio(request)
    if isinstance(data.get("yaml"), str):
        text, source = data["yaml"], s.source_for(data.get("name"))
    elif isinstance(data.get("name"), str):
        path, _ = s.library.path(check_name(data["name"]))
        text, source = path.read_text(encoding="utf-8"), s.source_for(data["name"])
    else:
        raise StudioError(
            'a build needs "yaml" (a routine\'s text) or "name" (a routine of the library)', 'send e.g. {"name": "my-routine"}'
        )
    _, options = build_options(data.get("options", {}), s.folders.output)
    routine = await run_in_threadpool(routine_of, text, source, s.folders)
    build = s.builds.add(routine, options)
    return JSONResponse({"id": build.id}, status_code=202)


async def get_build(request: Request) -> Response:
    s = studio(request)
    return JSONResponse(s.builds.get(request.path_params["id"]).to_json(s.folders.output))


async def cancel_build(request: Request) -> Response:
    s = studio(request)
    return JSONResponse(s.builds.cancel(request.path_params["id"]).to_json(s.folders.output))


async def build_events(request: Request) -> Response:
    """Server-sent events: the build's state whenever it changes; the stream ends when the build does."""
    s = studio(request)
    build = s.builds.get(request.path_params["id"])

    async def events() -> AsyncIterator[bytes]:
        sent = -1.0
        while True:
            if build.changed != sent:
                sent = build.changed
                yield f"event: build\ndata: {json.dumps(build.to_json(s.folders.output))}\n\n".encode()
            if build.finished or await request.is_disconnected():
                return
            await asyncio.sleep(EVENT_POLL_S)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"x-accel-buffering": "no"})


async def feed(request: Request) -> Response:
    from voiceguide.studio.publish import publish

    data = await body(request)
    return JSONResponse(await run_in_threadpool(publish, studio(request).folders, data))


async def upload(request: Request) -> Response:
    from voiceguide.studio.media import save_upload

    return JSONResponse(await save_upload(studio(request).folders, request.path_params["name"], request.stream()), status_code=201)


async def list_builds(request: Request) -> Response:
    s = studio(request)
    return JSONResponse([b.to_json(s.folders.output) for b in s.builds.all.values()])


ROUTES = [
    Route("/api/routines", list_routines),
    Route("/api/routines", new_routine, methods=["POST"]),
    Route("/api/routines/{name}", get_routine),
    Route("/api/routines/{name}", put_routine, methods=["PUT"]),
    Route("/api/routines/{name}", delete_routine, methods=["DELETE"]),
    Route("/api/validate", validate, methods=["POST"]),
    Route("/api/plan", plan, methods=["POST"]),
    Route("/api/say", say, methods=["POST"]),
    Route("/api/beds/{name}", bed),
    Route("/api/builds", list_builds),
    Route("/api/builds", start_build, methods=["POST"]),
    Route("/api/builds/{id}", get_build),
    Route("/api/builds/{id}", cancel_build, methods=["DELETE"]),
    Route("/api/builds/{id}/events", build_events),
    Route("/api/feed", feed, methods=["POST"]),
    Route("/api/media/{name}", upload, methods=["PUT"]),
]
