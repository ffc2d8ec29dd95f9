"""FastAPI responses carrying the Onepin envelopes (see `envelope.py`) around `schemas.py` models.

Imports FastAPI/Starlette: load only with the emulator extra installed.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import JSONResponse

from onepin_sync.emulator.envelope import ApiProblem, error_body, success_body
from onepin_sync.emulator.schemas import ResponseModel, dump


class ApiJSONResponse(JSONResponse):
    """Compact UTF-8 JSON, falling back to `\\u` escapes for text UTF-8 cannot carry.

    Python's JSON parser accepts lone surrogates (`"\\ud800"`); echoing one back (in a validation
    summary or an error message) must not turn into a 500.
    """

    def render(self, content: Any) -> bytes:
        options: dict[str, Any] = {"allow_nan": False, "separators": (",", ":")}
        try:
            return json.dumps(content, ensure_ascii=False, **options).encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, **options).encode("ascii")


def ok(
    data: ResponseModel | Sequence[ResponseModel],
    *,
    status: int = 200,
    pagination: Mapping[str, Any] | None = None,
) -> ApiJSONResponse:
    """A success envelope around a response model (or a list of them)."""
    return ApiJSONResponse(success_body(dump(data), pagination), status_code=status)


def plain(data: ResponseModel | Sequence[ResponseModel], *, status: int = 200) -> ApiJSONResponse:
    """A response model as bare JSON, without the envelope (the control endpoint's answers)."""
    return ApiJSONResponse(dump(data), status_code=status)


def problem_response(problem: ApiProblem) -> ApiJSONResponse:
    """The error envelope for a raised `ApiProblem`, with its headers."""
    return ApiJSONResponse(
        error_body(problem.code, problem.message, problem.details),
        status_code=problem.status,
        headers=dict(problem.headers),
    )
