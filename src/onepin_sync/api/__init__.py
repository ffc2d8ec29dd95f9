"""The Onepin API over HTTP.

    session.py   one httpx session per run: limiter, retries, error mapping, --debug lines
    retry.py     when a failed request is retried and how long to wait (pure functions)
    limiter.py   adaptive concurrency and request pacing
    decoding.py  response bodies: the success envelope's data, error bodies in every shape
    client.py    the workflow endpoints (list, get, create, patch, delete, validate)
    remote.py    the `WorkflowApi` port the planner and executor need, and reading the
                 remote side of a plan (one listing plus GETs for managed ids it missed)

Imports only `core/` and `errors` of ours; never files/, state/, commands/, views/ or cli/.
"""

import sys

# httpx's `__init__` imports its command-line tool (`httpx._main`: rich.progress, rich.syntax,
# pygments, click) whenever those are installed, as they are beside onepin-sync; we never call it.
# Marked absent before httpx first loads, httpx falls back to its stub `main` (a documented
# fallback for installs without `httpx[cli]`), which halves httpx's import time on every run.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
