"""FastAPI responses carrying the Onepin envelopes (see `envelope.py` for the shapes).

Imports FastAPI/Starlette: load only with the emulator extra installed.
"""

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

from onepin_sync.emulator.envelope import ApiProblem, error_body, success_body


def ok(
    data: Any, *, status: int = 200, pagination: Mapping[str, Any] | None = None
) -> JSONResponse:
    """A success envelope around `data`."""
    return JSONResponse(success_body(data, pagination), status_code=status)


def problem_response(problem: ApiProblem) -> JSONResponse:
    """The error envelope for a raised `ApiProblem`, with its headers."""
    return JSONResponse(
        error_body(problem.code, problem.message, problem.details),
        status_code=problem.status,
        headers=dict(problem.headers),
    )
