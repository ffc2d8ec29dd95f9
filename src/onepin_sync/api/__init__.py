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
