"""Guards every connector shares (connectors.base): error bodies and paging cursors."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorError, PagingGuard, error_reason, json_object


def test_an_error_body_without_a_message_is_reported_with_its_text() -> None:
    assert error_reason(b'{"message": "Property x does not exist"}') == "Property x does not exist"
    assert error_reason('{"category": "VALIDATION_ERROR"}') == '{"category": "VALIDATION_ERROR"}'
    assert error_reason("<html>Bad Gateway</html>") == "<html>Bad Gateway</html>"
    assert error_reason(None) == "" and json_object("[1]") == {}


def test_a_paging_cursor_returned_twice_stops_the_read() -> None:
    guard = PagingGuard("list partnerships")
    guard.check("a")
    guard.check("b")
    with pytest.raises(ConnectorError, match=r"list partnerships: .* 'a' a second time"):
        guard.check("a")
