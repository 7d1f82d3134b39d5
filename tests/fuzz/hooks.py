"""Schemathesis hooks for portal-api: strategies for the custom scalars, and the check
that matters here: no answer may be a server error (HTTP 5xx, an INTERNAL_SERVER_ERROR,
or an error without a client code). Client refusals (NOT_FOUND, FORBIDDEN,
BAD_USER_INPUT, ...) are expected outcomes of random input."""

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

schemathesis.graphql.scalar(
    "Decimal", st.from_regex(r"\A-?[0-9]{1,7}(\.[0-9]{1,5})?\Z", fullmatch=True).map(nodes.String)
)
schemathesis.graphql.scalar(
    "Date", st.dates().map(lambda d: nodes.String(d.isoformat()))
)
schemathesis.graphql.scalar(
    "BigInt", st.integers(min_value=-(2**63), max_value=2**63 - 1).map(nodes.Int)
)
schemathesis.graphql.scalar(
    "JSON", st.just(nodes.String("{}"))
)
schemathesis.graphql.scalar(
    "Upload", st.just(nodes.Null)
)

CLIENT_CODES = {
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "QUERY_TOO_COMPLEX",
    "RATE_LIMITED",
}


@schemathesis.check
def no_server_error(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise AssertionError("the answer is not JSON")
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code not in CLIENT_CODES:
            raise AssertionError(f"server error {code!r}: {error.get('message')}")
