"""A source record's key, `system/object/id`, is built and read back by one pair of
functions: the engine's results, steward decisions and the store's tables agree on it."""

import pytest

from identity import Provenance, record_key, record_key_parts


def test_a_key_reads_back_into_its_parts_even_with_slashes_in_the_id() -> None:
    key = record_key("files", "people", "2024/07/P-1")
    assert key == "files/people/2024/07/P-1"
    assert record_key_parts(key) == ("files", "people", "2024/07/P-1")
    assert Provenance(system="files", object="people", record_id="2024/07/P-1").key == key


@pytest.mark.parametrize("text", ["nokey", "a/b", "a//c", "/b/c"])
def test_a_text_that_is_no_key_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not system/object/id"):
        record_key_parts(text)
