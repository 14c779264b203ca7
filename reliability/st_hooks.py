"""Schemathesis hooks (``SCHEMATHESIS_HOOKS=reliability.st_hooks``): every 4xx answer is
RFC 9457 problem+json, and a 422 names the fields it refuses (DESIGN section 5)."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.check
def problem_json_4xx(ctx: Any, response: Any, case: Any) -> bool | None:
    """4xx: ``application/problem+json`` with a status; 422: ``errors[*].field`` named."""
    status = int(response.status_code)
    if not 400 <= status < 500:
        return None
    content_type = str((response.headers.get("content-type") or [""])[0])
    if status == 405 and not content_type:
        return None
    assert content_type.startswith("application/problem+json"), (
        f"{status} answered as {content_type!r}, not application/problem+json"
    )
    body = response.json()
    assert isinstance(body, dict) and body.get("status") == status, f"problem body {body!r}"
    if status == 422:
        errors = body.get("errors") or []
        assert errors and all(e.get("field") for e in errors), (
            f"422 without the fields named: {body!r}"
        )
    return None
