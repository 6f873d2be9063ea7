import gc

import pytest

from workers.gc_pause import collector_off, full_collections_paused


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


def test_collector_is_off_inside_and_on_again_after_even_on_error():
    with pytest.raises(RuntimeError), collector_off():
        assert not gc.isenabled()
        with collector_off():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it as it found it
        raise RuntimeError("bulk work failed")
    assert gc.isenabled()


def test_collector_left_off_when_it_was_off_before():
    gc.disable()
    try:
        with collector_off():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
