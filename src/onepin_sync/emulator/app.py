"""Assembles one emulator: state, FastAPI routes, error envelopes, and the traffic layer on top.

`create_app(options)` opens the database at once (so a bad `--db` fails before the server starts)
and returns the ASGI app for uvicorn; the database closes at lifespan shutdown or on `app.close()`.
Every error, including FastAPI's own request validation, unknown routes (404 `NOT_FOUND`) and
wrong methods (405), leaves in the Onepin error envelope; request validation becomes 422
`VALIDATION_ERROR` with `details: [{field, message}]`. Imports FastAPI: load only with the extra.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from onepin_sync.emulator import auth_routes, catalog_routes, control_routes, workflow_routes
from onepin_sync.emulator.clock import EmulatorClock
from onepin_sync.emulator.envelope import ApiProblem, FieldError, format_field, validation_problem
from onepin_sync.emulator.faults import FaultBook
from onepin_sync.emulator.keys import KeyRing
from onepin_sync.emulator.options import EmulatorOptions
from onepin_sync.emulator.ratelimit import TokenBucketLimiter
from onepin_sync.emulator.requestlog import RequestLog
from onepin_sync.emulator.responses import problem_response
from onepin_sync.emulator.state import EmulatorState
from onepin_sync.emulator.store import WorkflowStore
from onepin_sync.emulator.traffic import EmulatorApp


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return problem_response(exc)


async def _on_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [FieldError(format_field(e.get("loc", ())), str(e.get("msg"))) for e in exc.errors()]
    return problem_response(validation_problem(details))


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"No route for {request.method} {request.url.path}."
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
    else:
        message = str(exc.detail)
    return problem_response(ApiProblem(exc.status_code, message, headers=exc.headers))


async def _on_crash(request: Request, exc: Exception) -> Response:
    return problem_response(ApiProblem(500, f"Internal error in the emulator: {exc!r}"))


def create_app(options: EmulatorOptions | None = None) -> EmulatorApp:
    """A ready-to-serve emulator built from `options` (the defaults: a private in-memory one).

    Raises EmulatorError for an unusable database.
    """
    options = options or EmulatorOptions()
    clock = EmulatorClock()
    limiter = None
    if options.rate_limit_per_min:
        limiter = TokenBucketLimiter(
            options.rate_limit_per_min,
            start_spent=options.rate_limit_spent,
            headers=options.rate_limit_headers,
            wall=lambda: clock.now().timestamp(),  # `X-RateLimit-Reset` is read against `Date`
        )
    book = FaultBook()
    for rule in options.faults:
        book.add(rule)
    state = EmulatorState(
        store=WorkflowStore.open(options.db_path, clock),
        keys=KeyRing(options.extra_keys()),
        faults=book,
        log=RequestLog(),
        limiter=limiter,
        latency_seconds=options.latency_ms / 1000.0,
        profile=options.server_profile(),
        clock=clock,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        state.store.close()

    api = FastAPI(
        title="Onepin API emulator",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    api.state.emulator = state
    api.add_exception_handler(ApiProblem, _on_problem)
    api.add_exception_handler(RequestValidationError, _on_request_validation)
    api.add_exception_handler(HTTPException, _on_http_error)
    api.add_exception_handler(Exception, _on_crash)
    api.include_router(auth_routes.router)
    api.include_router(catalog_routes.router)
    api.include_router(workflow_routes.router)
    if options.control:
        api.include_router(control_routes.router)
    return EmulatorApp(api, state)
