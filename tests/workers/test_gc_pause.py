import gc

import pytest

from workers.gc_pause import full_collections_paused


def test_full_collections_are_paused_and_thresholds_restored_even_on_error():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), full_collections_paused():
        inside = gc.get_threshold()
        with full_collections_paused():
            assert gc.get_threshold() == inside
        assert gc.get_threshold() == inside
        raise RuntimeError("bulk work failed")
    assert inside[:2] == before[:2] and inside[2] > 10**8
    assert gc.get_threshold() == before
    assert gc.isenabled()
