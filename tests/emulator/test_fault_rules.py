"""FaultRule validation, the `--fault` syntax, the fault book's targeting, and the limiter."""

import pytest
from pydantic import ValidationError

from onepin_sync.emulator.faults import FaultBook, FaultRule, parse_fault_spec
from onepin_sync.emulator.ratelimit import TokenBucketLimiter


def test_kinds_get_their_default_status() -> None:
    assert FaultRule(kind="status").status == 503
    assert FaultRule(kind="commit_then_fail").status == 502
    assert FaultRule(kind="reset").status is None


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "status=503,method=post,times=3",
            FaultRule(kind="status", status=503, method="POST", times=3),
        ),
        ("reset,path=/workflows$", FaultRule(kind="reset", path="/workflows$")),
        ("latency, seconds=0.25, times=0", FaultRule(kind="latency", seconds=0.25, times=0)),
        (
            "commit_then_fail,reset=true,nth=2",
            FaultRule(kind="commit_then_fail", reset=True, nth=2),
        ),
        ("kind=shift", FaultRule(kind="shift")),
        ("status=429,retry_after=5", FaultRule(kind="status", status=429, retry_after="5")),
        (
            '{"kind": "status", "status": 500, "path": "a,b", "retry_after": 2}',
            FaultRule(kind="status", status=500, path="a,b", retry_after=2),
        ),
        (
            "status=503,body_contains=Welcome Call",
            FaultRule(kind="status", body_contains="Welcome Call"),
        ),
    ],
)
def test_fault_specs(spec: str, expected: FaultRule) -> None:
    assert parse_fault_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("method=POST", "kind"),
        ("teleport", "expected key=value"),
        ("status=abc", "status"),
        ("latency", "seconds"),
        ("reset,reset=true", "commit_then_fail only"),
        ("status=503,seconds=1", "latency only"),
        ("status=503,retry_after=tomorrow", "HTTP-date"),
        ("status=503,path=(", "regex"),
        ("{not json", "invalid JSON"),
        ("status=503,color=red", "color"),
        ("status=302", "status"),
    ],
)
def test_bad_fault_specs_say_what_is_wrong(spec: str, complaint: str) -> None:
    with pytest.raises(ValueError, match="fault") as caught:
        parse_fault_spec(spec)

    assert complaint in str(caught.value)


def test_rules_are_frozen() -> None:
    rule = FaultRule(kind="reset")

    with pytest.raises(ValidationError):
        rule.nth = 3  # type: ignore[misc]


def test_matchers_are_anded() -> None:
    book = FaultBook()
    book.add(
        FaultRule(
            kind="status", method="POST", path="^/api/v1/workflows$", body_contains="x", times=0
        )
    )

    def fires(method: str, path: str, body: bytes) -> bool:
        return book.decide(method, path, body, None).terminal is not None

    assert fires("POST", "/api/v1/workflows", b'{"name":"x"}')
    assert not fires("GET", "/api/v1/workflows", b'{"name":"x"}')
    assert not fires("POST", "/api/v1/workflows/validate", b'{"name":"x"}')
    assert not fires("POST", "/api/v1/workflows", b'{"name":"y"}')


def test_workspace_matcher() -> None:
    book = FaultBook()
    book.add(FaultRule(kind="shift", workspace_id="ABC-1", times=0))

    assert book.decide("GET", "/", b"", "abc-1").shift
    assert not book.decide("GET", "/", b"", "abc-2").shift
    assert not book.decide("GET", "/", b"", None).shift


def test_latencies_add_up_and_labels_list_every_fired_kind() -> None:
    book = FaultBook()
    book.add(FaultRule(kind="latency", seconds=0.5))
    book.add(FaultRule(kind="latency", seconds=0.25))
    book.add(FaultRule(kind="reset"))

    decision = book.decide("GET", "/", b"", None)

    assert decision.delay_seconds == 0.75
    assert decision.terminal == FaultRule(kind="reset")
    assert decision.label == "latency,latency,reset"
    assert book.decide("GET", "/", b"", None).label is None


def test_no_rules_no_decision() -> None:
    book = FaultBook()

    assert book.decide("GET", "/", b"", None).label is None
    book.add(FaultRule(kind="reset"))
    assert book.clear() == 1
    assert book.describe() == []


def test_token_bucket_refills_over_time() -> None:
    now = [0.0]
    limiter = TokenBucketLimiter(60, clock=lambda: now[0])  # one token per second

    assert all(limiter.acquire("k") is None for _ in range(60))
    assert limiter.acquire("k") == 1
    assert limiter.acquire("other") is None
    now[0] = 0.5
    assert limiter.acquire("k") == 1  # half a token is not enough
    now[0] = 1.0
    assert limiter.acquire("k") is None
    now[0] = 1000.0
    assert sum(limiter.acquire("k") is None for _ in range(100)) == 60  # capped at one minute


def test_a_spent_bucket_starts_empty_and_refills_at_the_rate() -> None:
    now = [0.0]
    limiter = TokenBucketLimiter(60, clock=lambda: now[0], start_spent=True)

    assert limiter.acquire("k") == 1
    now[0] = 3.0
    assert sum(limiter.acquire("k") is None for _ in range(10)) == 3


def test_rate_limit_headers_describe_the_bucket() -> None:
    now = [0.0]
    limiter = TokenBucketLimiter(60, clock=lambda: now[0], headers=True, wall=lambda: 5000.0)
    for _ in range(20):
        limiter.acquire("k")
    now[0] = 0.5

    assert limiter.headers("k") == {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": "40",  # 40.5 tokens
        "X-RateLimit-Reset": "5020",  # full again in 19.5 s, rounded up to a whole second
    }
    assert TokenBucketLimiter(60).headers("k") == {}  # off by default


def test_token_bucket_wait_scales_with_the_rate() -> None:
    limiter = TokenBucketLimiter(1, clock=lambda: 0.0)

    assert limiter.acquire("k") is None
    assert limiter.acquire("k") == 60
    with pytest.raises(ValueError, match="at least 1"):
        TokenBucketLimiter(0)
