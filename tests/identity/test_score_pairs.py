"""`score_pairs` decides a record's blocked pairs as `resolve_batch` does with the same
fitted model: match on demand scores with it instead of running the batch engine."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest

from emulators.synthetic.canonical import iter_person_records
from emulators.synthetic.generator import generate
from identity import (
    Link,
    LinkList,
    OrganizationRecord,
    PersonRecord,
    Record,
    ResolutionSettings,
    engine,
    resolve_batch,
    score_pairs,
)
from identity.comparisons import NULL_LEVEL, compare
from identity.records import Provenance

PEOPLE = 2000


def _answers(links: LinkList) -> list[tuple[Any, ...]]:
    return sorted(_answer(link) for link in links)


def _answer(link: Link) -> tuple[Any, ...]:
    return (link.left, link.right, link.probability, link.match_weight, link.rule, link.fields)


@pytest.fixture(scope="module")
def people() -> list[Record]:
    return [r for chunk in iter_person_records(generate(PEOPLE, 7)) for r in chunk]


def test_a_records_pairs_score_as_in_a_batch_resolve(people: list[Record]) -> None:
    settings = ResolutionSettings()
    model = resolve_batch(people, settings).stats["person"]["model"]
    probes = [
        *people[:40],  # a stored record again: links to itself and its duplicates
        *(p.model_copy(update={"phones": [f"+3461{i:07d}"]}) for i, p in enumerate(people[40:80])),
    ]
    decided = 0
    for probe in probes:
        batch = [probe, *people]
        expected = resolve_batch(batch, settings, model={"person": model}, focus=[0])
        pairs = expected.candidate_pairs[(expected.candidate_pairs == 0).any(axis=1)]
        links, review = score_pairs(batch, pairs, settings, model)
        assert _answers(links) == _answers(expected.links)
        assert _answers(review) == _answers(expected.review)
        decided += len(links) + len(review)
    assert decided > len(probes)  # the probes do meet records they link or review with


def _variant(person: PersonRecord, i: int) -> tuple[PersonRecord, PersonRecord]:
    """The person as stored and a probe of it, with fields emptied or changed so that a
    probe's pairs reach every kind of level: missing values, typos, swapped and compound
    names, nearby and distant birth dates (a veto), another generation (a veto), a
    nickname beside a near spelling of its formal name ('Cathy' for a stored 'Katherine':
    Catherine and Katherine are near, the names are not)."""
    given, family = person.given_name or "Ana", person.family_name or "Ruiz"
    born = person.birth_date or date(1980, 5, 17)
    changes: list[dict[str, Any]] = [
        {"emails": [], "phones": []},
        {"birth_date": None, "addresses": [], "organization_name": None},
        {"given_name": given[:-1] + "x", "birth_date": born + timedelta(days=200)},
        {"given_name": family, "family_name": given, "full_name": None},
        {"family_name": f"{family} Ortega", "birth_date": born.replace(year=born.year - 30)},
        {"family_name": family.split()[0], "national_id": "X1234567L"},
        {"family_name": f"{family} Jr.", "preferred_name": "Pepe"},
        {"given_name": None, "family_name": None, "full_name": f"{given} {family}"},
        {"birth_date": born.replace(day=born.day % 28 + 1), "phones": ["+34600000000"]},
        {"given_name": "Cathy"},
    ]
    change = changes[i % len(changes)]
    nickname = change.get("given_name") == "Cathy"
    stored = person.model_copy(update={"given_name": "Katherine"}) if nickname else person
    return stored, person.model_copy(update=change)


def test_changed_and_missing_fields_score_as_in_a_batch_resolve(people: list[Record]) -> None:
    """Probes of many shapes (`_variant`), on tables of a few records, against the batch
    engine on the whole batch: every level's condition, missing values and vetoes."""
    settings = ResolutionSettings()
    model = resolve_batch(people, settings).stats["person"]["model"]
    comparisons = settings.person.comparisons
    reached: set[tuple[str, int]] = set()
    for i, person in enumerate(people[100:190]):
        assert isinstance(person, PersonRecord)
        stored, probe = _variant(person, i)
        batch = [probe, *(stored if other is person else other for other in people)]
        expected = resolve_batch(batch, settings, model={"person": model}, focus=[0])
        pairs = expected.candidate_pairs[(expected.candidate_pairs == 0).any(axis=1)]
        links, review = score_pairs(batch, pairs, settings, model)
        assert _answers(links) == _answers(expected.links)
        assert _answers(review) == _answers(expected.review)
        members = sorted({0, *pairs.ravel().tolist()})
        _, tables = engine._read([batch[m] for m in members], settings, set())
        local = np.searchsorted(members, pairs)
        for comparison in comparisons:
            levels = compare(tables["person"], comparison, local[:, 0], local[:, 1]).levels
            reached |= {(comparison.name, int(level)) for level in levels}
    for comparison in comparisons:
        assert (comparison.name, 0) in reached, comparison.name
        if comparison.name not in ("family_name", "generation"):  # every record has a surname
            assert (comparison.name, NULL_LEVEL) in reached, comparison.name
        if comparison.name in ("given_name", "family_name"):
            assert {(comparison.name, i) for i in range(len(comparison.levels))} <= reached
    vetoes = [(c.name, i) for c in comparisons for i, v in enumerate(c.conflict_levels()) if v]
    assert len(reached.intersection(vetoes)) >= 3


def test_a_model_kept_for_many_batches_scores_the_same(people: list[Record]) -> None:
    """`for_many_batches` finds the term frequencies through maps instead of walking the
    stored lists: the same counts, so the same links and weights to the bit."""
    settings = ResolutionSettings()
    model = resolve_batch(people, settings).stats["person"]["model"]
    kept = model.for_many_batches()
    assert model.frequencies and kept.frequencies
    for feature, counts in model.frequencies.items():
        head_and_tail = dict.fromkeys([*counts.values[:50], "never-seen", *counts.values[-50:]])
        values = np.array(list(head_and_tail), dtype=object)  # distinct, as a column's values
        assert kept.frequencies[feature].of(values).tolist() == counts.of(values).tolist()
    for i, probe in enumerate(people[:30]):
        batch = [probe.model_copy(update={"phones": [f"+3462{i:07d}"]}), *people]
        pairs = [(0, other) for other in range(1, len(batch))]
        for got, wanted in zip(
            score_pairs(batch, pairs, settings, kept),
            score_pairs(batch, pairs, settings, model),
            strict=True,
        ):
            assert _answers(got) == _answers(wanted)


def test_records_of_two_kinds_are_refused(people: list[Record]) -> None:
    company = OrganizationRecord(
        name="Acme", provenance=Provenance(system="s", object="o", record_id="1")
    )
    model = resolve_batch(people[:300]).stats["person"]["model"]
    with pytest.raises(ValueError, match="one entity kind"):
        score_pairs([people[0], company], np.array([[0, 1]]), ResolutionSettings(), model)


def test_weights_held_for_few_pairs_are_those_computed_per_use(
    people: list[Record], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few pairs' weight columns are held once per scoring; the pairs of a resolve too
    large to hold them get the same weights, computed each time they are read."""
    settings = ResolutionSettings()
    model = resolve_batch(people, settings).stats["person"]["model"]
    batch = [people[0].model_copy(update={"phones": ["+34610000000"]}), *people[:300]]
    pairs = [(0, other) for other in range(1, len(batch))]
    held = score_pairs(batch, pairs, settings, model)
    monkeypatch.setattr(engine, "HELD_WEIGHT_PAIRS", 0)
    computed = score_pairs(batch, pairs, settings, model)
    assert any(len(links) for links in held)
    for got, wanted in zip(computed, held, strict=True):
        assert _answers(got) == _answers(wanted)
