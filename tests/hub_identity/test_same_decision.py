"""A stored pair decides what a fresh one does when its values and evidence are the same:
the evidence's text as SQLite keeps it, or its values as PostgreSQL's JSONB gives them
back (keys in an order of its own, spaces added)."""

from __future__ import annotations

from typing import Any

from hub.resolve.identity_tables import same_decision
from hub.store.db import JSONText

EVIDENCE = '[{"comparison":"email","level":"exact","weight":7.25}]'
ROW: dict[str, Any] = {
    "entity_kind": "person",
    "probability": 0.98,
    "match_weight": 7.25,
    "rule": None,
    "evidence": JSONText(EVIDENCE),
}
STORED = ("person", 0.98, 7.25, None)


def test_the_same_text_is_the_same_decision() -> None:
    assert same_decision((*STORED, EVIDENCE), ROW)


def test_the_same_values_in_jsonb_order_are_the_same_decision() -> None:
    jsonb = '[{"level": "exact", "weight": 7.25, "comparison": "email"}]'
    assert same_decision((*STORED, jsonb), ROW)


def test_other_evidence_is_another_decision() -> None:
    moved = '[{"level": "exact", "weight": 7.5, "comparison": "email"}]'
    assert not same_decision((*STORED, moved), ROW)


def test_another_probability_is_another_decision() -> None:
    assert not same_decision(("person", 0.97, 7.25, None, EVIDENCE), ROW)
