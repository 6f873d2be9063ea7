import pytest

from identity.golden_ids import assign_golden_ids, current_id


def _run(clusters: dict[str, int], previous: dict[str, str], **kw):
    result = assign_golden_ids(clusters, previous, **kw)
    return {k: result.ids[label] for k, label in clusters.items()}, result


def test_first_run_mints_deterministic_ids():
    ids, result = _run({"a": 0, "b": 0, "c": 1}, {})
    again, _ = _run({"c": 7, "a": 3, "b": 3}, {})
    assert ids == again
    assert ids["a"] == ids["b"] != ids["c"] and len(result.minted) == 2
    assert not result.merges and not result.splits


def test_unchanged_and_grown_clusters_keep_their_id():
    ids, _ = _run({"a": 0, "b": 0, "c": 1}, {})
    grown, result = _run({"a": 5, "b": 5, "d": 5, "c": 6}, ids)
    assert grown["a"] == grown["d"] == ids["a"] and grown["c"] == ids["c"]
    assert not result.minted


def test_merge_keeps_the_oldest_id_and_records_the_other():
    previous = {"a": "g-new", "b": "g-old"}
    ids, result = _run({"a": 0, "b": 0}, previous, age={"g-old": 1, "g-new": 2})
    assert ids == {"a": "g-old", "b": "g-old"}
    assert result.merges == [("g-new", "g-old")]


def test_split_keeps_id_on_larger_part_and_mints_for_the_rest():
    previous = dict.fromkeys("abc", "g1")
    ids, result = _run({"a": 0, "b": 0, "c": 1}, previous)
    assert ids["a"] == ids["b"] == "g1" and ids["c"] != "g1"
    assert result.splits == [("g1", ids["c"])] and result.minted == [ids["c"]]


def test_sequence_of_merges_and_splits_old_ids_always_resolve():
    history: dict[str, str] = {}
    known: set[str] = set()
    age: dict[str, int] = {}
    state: dict[str, str] = {}
    runs = [
        {"a": 0, "b": 1, "c": 2, "d": 3},  # four people
        {"a": 0, "b": 0, "c": 1, "d": 1},  # two merges
        {"a": 0, "b": 0, "c": 0, "d": 0},  # everything merges
        {"a": 0, "b": 0, "c": 0, "d": 1},  # d split off
        {"a": 0, "b": 0, "c": 1, "d": 1},  # c leaves with d
    ]
    seen_ids: list[set[str]] = []
    for step, clusters in enumerate(runs):
        result = assign_golden_ids(clusters, state, age=age, known_ids=known)
        for gid in result.minted:
            age[gid] = step
        for old, into in result.merges:
            history[old] = into
        known |= set(result.ids.values())
        state = {k: result.ids[label] for k, label in clusters.items()}
        seen_ids.append(set(state.values()))
        for gid in known:
            resolved = current_id(gid, history)
            assert resolved in known
    first = assign_golden_ids(runs[0], {}).ids
    oldest = min(first.values(), key=lambda g: (age[g], g))
    assert state["a"] == state["b"] == oldest
    assert state["c"] == state["d"] != oldest
    assert len({*seen_ids[3]}) == 2 and len(known) == 5  # one id minted for the split


def test_current_id_follows_chains_and_rejects_cycles():
    assert current_id("g1", {"g1": "g2", "g2": "g3"}) == "g3"
    assert current_id("g9", {"g1": "g2"}) == "g9"
    with pytest.raises(ValueError, match="cycle"):
        current_id("g1", {"g1": "g2", "g2": "g1"})


def test_retired_ids_are_reported():
    _, result = _run({"b": 0}, {"a": "g1", "b": "g2"})
    assert result.retired == ["g1"]
