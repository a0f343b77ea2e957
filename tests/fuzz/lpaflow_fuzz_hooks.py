"""Schemathesis hooks for tests/openapi_fuzz.rs.

A fuzzer reuses the few `Idempotency-Key` values it generates across requests with different bodies, which the
server rightly refuses (422 `idempotency_key_reused`: the key was used with another request). Each valid key is
replaced by a fresh one, so a schema-valid request is judged on its own; invalid keys are kept, so the refusal of
a malformed key is still tested. Replays of one key are tested by the API's own tests (idempotency.rs).
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"[!-~]{1,255}")


def _fresh_keys(headers):
    for name in list(headers or {}):
        value = headers[name]
        if name.lower() == "idempotency-key" and isinstance(value, str) and VALID_KEY.fullmatch(value):
            headers[name] = uuid.uuid4().hex


@schemathesis.hook
def map_headers(context, headers):
    """Generated headers (examples and fuzzing phases)."""
    _fresh_keys(headers)
    return headers


@schemathesis.hook
def before_call(context, case, kwargs):
    """The coverage phase's fixed values, right before they are sent. A valid key stays valid, so the case's
    metadata (positive or negative, which header a case leaves out) still holds: its hashes are brought up to
    date rather than the case revalidated, which would lose what the case tests."""
    _fresh_keys(case.headers)
    sync = getattr(case, "_sync_validated_hashes", None)
    if sync is not None:
        sync()
