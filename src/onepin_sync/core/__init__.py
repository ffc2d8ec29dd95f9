"""The pure core: models, canonical form and fingerprints, field diff, planner, classifier,
lockfile-entry transitions, ambiguous-create matching, pre-write guards and the plan document.

    models.py         frozen values flowing through the pipeline (specs, states, Plan)
    keys.py           what a workflow key, a workflow id and a recorded hash may be
    fingerprint.py    the only hashing of specs (desired and remote fingerprints)
    classify.py       the three-way verdict: unchanged, changed in git, drift, conflict
    planner.py        DesiredState + RemoteState + StateFile -> Plan
    transitions.py    lockfile entries earned by writes and read-backs
    matching.py       which listed workflow an unanswered create made
    guards.py         mass deletes, conflicts, workflows that moved since the plan
    results.py        what an apply did, per change
    diff.py           field-level differences (nodes and edges by id)
    redact.py         masking of secret values in every output
    plan_document.py  the versioned JSON plan (plan --json, plan --out)
    documents.py      the other commands' `--json` documents, and every document's schema
    catalog.py        the node catalogue the checks and the comparable form use

No IO, clock or environment, and nothing of ours but `errors`; `tests/test_architecture.py`
holds that transitively.
"""
