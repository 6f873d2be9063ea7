"""Every operation of /openapi.json, called by schemathesis with generated valid and
invalid input under an admin token (none when the case is about a missing one): no
server error, and every answer (status code,
content type, headers, body) as the schema documents it.

The operations are driven through hypothesis here rather than by schemathesis' pytest
plugin, which does not run under pytest 9. One check is left out: `positive_data_acceptance`
(a request the schema allows must not be refused), because some rules cannot be written
in OpenAPI and are answered 422 by design: exactly one search criterion, an email or a
phone number that parses."""

from __future__ import annotations

import pytest
import schemathesis
from deskfixtures import Desk, bearer, client_for
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

EXAMPLES = 30  # per operation and mode


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_is_as_documented(desk: Desk, mode: GenerationMode) -> None:
    admin = bearer(desk.engine, "admin", name=f"schemathesis-{mode.value}")
    schema = schemathesis.openapi.from_asgi("/openapi.json", client_for(desk).app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            # a negative case may be one without the Authorization header: keep it without
            headers = admin if "Authorization" in (case.headers or {}) else {}
            case.call_and_validate(
                headers=headers, excluded_checks=[checks.positive_data_acceptance]
            )

        call()
