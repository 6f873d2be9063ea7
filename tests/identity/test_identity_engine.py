import json
from datetime import date
from itertools import combinations, pairwise

import numpy as np
import pytest
from personfixtures import make_person

from identity import engine
from identity.engine import BatchIndex, NormalizedRecord, index_records, resolve_batch
from identity.feature_sinks import feature_sink
from identity.features import feature_layout
from identity.records import OrganizationRecord, Provenance
from identity.scoring import FittedModel
from identity.settings import ResolutionSettings, StewardConstraints


def _same(result, i, j):
    return result.labels[i] == result.labels[j]


def _link(result, i, j):
    for link in [*result.links, *result.review]:
        if {link.left, link.right} == {i, j}:
            return link
    return None


def test_background_pairs_are_found(population):
    result = resolve_batch(population)
    found = sum(_same(result, i, i + 1) for i in range(0, len(population), 2))
    assert found == len(population) // 2
    assert len(np.unique(result.labels)) == len(population) // 2


def test_obvious_match_outscores_near_match_outscores_non_match(population):
    base = {
        "given_name": "Zoe",
        "family_name": "Quintana Bravo",
        "birth_date": date(1971, 3, 4),
        "postcode": "41001",
        "street": "avenida de la paz 3",
    }
    test = [
        make_person(**base),
        make_person(**base),  # obvious
        make_person(**dict(base, postcode="41002")),  # near: a postcode typo
        make_person(
            given_name="Zoe",
            family_name="Quintana Bravo",
            birth_date=date(1990, 9, 9),
            postcode="08001",
            street="gran via 100",
        ),  # non-match
    ]
    records = [*population, *test]
    n = len(population)
    result = resolve_batch(records)
    weights = {}
    for j in (n + 1, n + 2, n + 3):
        link = _link(result, n, j)
        weights[j] = link.match_weight if link else -np.inf
    assert weights[n + 1] > weights[n + 2] > weights[n + 3]
    assert _same(result, n, n + 1) and _same(result, n, n + 2) and not _same(result, n, n + 3)


def test_missing_values_are_neutral(population):
    base = {"given_name": "Zoe", "family_name": "Quintana Bravo", "birth_date": date(1971, 3, 4)}
    records = [
        *population,
        make_person(**base, street="calle sol 1"),
        make_person(**base),
        make_person(**base, street="calle sol 1"),
    ]
    n = len(population)
    result = resolve_batch(records)
    missing, full = _link(result, n, n + 1), _link(result, n, n + 2)
    street = {f.comparison: f for f in missing.fields}["street"]
    assert street.level == "missing" and street.weight == 0
    gap = full.match_weight - missing.match_weight
    street_full = {f.comparison: f for f in full.fields}["street"].weight
    assert gap == pytest.approx(street_full, abs=1e-2)


def test_evidence_names_levels_and_weights_that_sum_to_the_total(population):
    result = resolve_batch(population)
    link = result.links[0]
    prior = result.stats["person"]["prior_weight"]
    assert link.match_weight == pytest.approx(prior + sum(f.weight for f in link.fields), abs=0.02)
    assert {f.comparison for f in link.fields} >= {"given_name", "family_name", "birth_date"}
    assert all(f.level for f in link.fields)


def test_no_pair_is_scored_twice(population):
    result = resolve_batch(population)
    keys = (
        result.candidate_pairs[:, 0].astype(np.int64) * len(population)
        + result.candidate_pairs[:, 1]
    )
    assert len(np.unique(keys)) == len(keys)
    assert (result.candidate_pairs[:, 0] < result.candidate_pairs[:, 1]).all()
    evidence = [(link.left, link.right) for link in [*result.links, *result.review]]
    assert len(set(evidence)) == len(evidence)
    assert result.stats["person"]["candidate_pairs"] == len(result.candidate_pairs)


def test_shared_inbox_and_switchboard_do_not_merge_different_people(population):
    colleagues = [
        make_person(
            given_name=g,
            family_name=f,
            emails=["info@acme.es"],
            phones=["915550000"],
            birth_date=date(1960 + i, 1 + i, 1 + i),
        )
        for i, (g, f) in enumerate(
            [
                ("Ana", "Ruiz Gil"),
                ("Luis", "Mora Vela"),
                ("Eva", "Soto Paz"),
                ("Juan", "Vidal Ros"),
                ("Rosa", "Pons Ortiz"),
            ]
        )
    ]
    family = [
        make_person(
            given_name="Maria",
            family_name="Garcia Lopez",
            emails=["casa@mail.es"],
            street="calle luna 4",
            postcode="28004",
            birth_date=date(1970, 5, 5),
        ),
        make_person(
            given_name="Manuel",
            family_name="Garcia Lopez",
            emails=["casa@mail.es"],
            street="calle luna 4",
            postcode="28004",
            birth_date=date(1999, 8, 8),
        ),
    ]
    records = [*population, *colleagues, *family]
    n = len(population)
    result = resolve_batch(records)
    labels = result.labels[n:]
    assert len(np.unique(labels)) == len(labels)
    link = _link(result, n, n + 1)
    if link is not None:
        email = {f.comparison: f for f in link.fields}["email"]
        assert email.weight <= ResolutionSettings().shared_identifier_max_weight


def test_same_email_and_compatible_name_is_a_rule_match(population):
    records = [
        *population,
        make_person(given_name="Bea", family_name="Nieto", emails=["bea.n@corp.es"]),
        make_person(given_name="Beatriz", family_name="Nieto", emails=["Bea.N@corp.es"]),
    ]
    n = len(population)
    result = resolve_batch(records)
    assert _same(result, n, n + 1)
    assert _link(result, n, n + 1).rule == "same email and compatible name"


def test_cannot_link_stops_a_chain(population):
    base = {
        "given_name": "Zoe",
        "family_name": "Quintana Bravo",
        "birth_date": date(1971, 3, 4),
        "postcode": "41001",
        "street": "avenida de la paz 3",
    }
    chain = [
        make_person(**base, record_id="a"),
        make_person(**base, record_id="b"),
        make_person(**base, record_id="c"),
    ]
    records = [*population, *chain]
    n = len(population)
    assert _same(resolve_batch(records), n, n + 2)
    constraints = StewardConstraints(cannot_link=[("crm/contact/a", "crm/contact/c")])
    result = resolve_batch(records, constraints=constraints)
    assert not _same(result, n, n + 2)
    assert _same(result, n, n + 1) or _same(result, n + 1, n + 2)
    assert result.stats["person"]["components_rechecked"] >= 1


def test_conflicting_birth_dates_stop_a_chain_through_a_record_without_one(population):
    records = [
        *population,
        make_person(
            given_name="Zoe",
            family_name="Quintana Bravo",
            postcode="41001",
            street="avenida de la paz 3",
            birth_date=date(1950, 1, 1),
        ),
        make_person(
            given_name="Zoe",
            family_name="Quintana Bravo",
            postcode="41001",
            street="avenida de la paz 3",
        ),
        make_person(
            given_name="Zoe",
            family_name="Quintana Bravo",
            postcode="41001",
            street="avenida de la paz 3",
            birth_date=date(1985, 6, 6),
        ),
    ]
    n = len(population)
    result = resolve_batch(records)
    assert not _same(result, n, n + 2)


def _household(**person: object) -> dict[str, object]:
    return {
        "street": "avenida de la paz 3",
        "postcode": "41001",
        "city": "Sevilla",
        **person,
    }


@pytest.mark.parametrize(
    ("elder", "younger"),
    [
        # father and son: one name, one address, the son signs "Jr." on one record
        (
            {"given_name": "Peter", "family_name": "Scott", "emails": ["peter@acme.com"]},
            {"given_name": "Peter", "family_name": "Scott Jr.", "emails": ["pete@init.com"]},
        ),
        # a Spanish father and son: the second surname is each one's mother's
        (
            {"given_name": "Manuel", "family_name": "Esteban Medina"},
            {"given_name": "Manuel", "family_name": "Esteban Ortega"},
        ),
        # birth dates a generation apart
        (
            {"given_name": "Manuel", "family_name": "Esteban", "birth_date": date(1950, 1, 1)},
            {"given_name": "Manuel", "family_name": "Esteban", "birth_date": date(1981, 5, 5)},
        ),
        # twins: one surname, birth date and address, two given names
        (
            {
                "given_name": "Isabel",
                "family_name": "Ruiz Martin",
                "birth_date": date(1987, 11, 26),
            },
            {
                "given_name": "Javier",
                "family_name": "Ruiz Martin",
                "birth_date": date(1987, 11, 26),
            },
        ),
    ],
)
def test_relatives_at_one_address_stay_apart_however_much_else_agrees(population, elder, younger):
    """Generation evidence and another given name veto a match that a household's address,
    phone and surname would make."""
    records = [
        *population,
        make_person(**_household(**elder, phones=["+34954000001"])),
        make_person(**_household(**younger, phones=["+34954000001"])),
    ]
    n = len(population)
    result = resolve_batch(records)
    assert not _same(result, n, n + 1)
    assert _link(result, n, n + 1) is None


@pytest.mark.parametrize(
    ("one", "other"),
    [
        # relatives with one name and a family mailbox, born six years apart
        ({"birth_date": date(1980, 1, 1)}, {"birth_date": date(1986, 6, 6)}),
    ],
)
def test_an_id_or_a_birth_date_beyond_a_typo_vetoes_the_same_email_rule(population, one, other):
    """Two people's national ids, or birth dates years apart, are two people: a mailbox,
    a name and an address they share neither link them by rule nor by score."""
    shared = {"given_name": "Alex", "family_name": "Esteban", "emails": ["esteban@casa.es"]}
    records = [
        *population,
        make_person(**_household(**shared, **one, phones=["+34954000001"])),
        make_person(**_household(**shared, **other, phones=["+34954000001"])),
    ]
    n = len(population)
    result = resolve_batch(records)
    assert not _same(result, n, n + 1)
    assert _link(result, n, n + 1) is None


def test_national_ids_beyond_a_typo_apart_veto_however_often_namesakes_agree(population):
    """Namesakes at one employer and address, each with an id of their own: however many
    such pairs EM takes for matches (learning that matches differ on the id), their ids
    veto a link, by score or by a mailbox they share."""
    namesakes = [
        make_person(
            "hr",
            **_household(
                given_name=f"Alex{chr(97 + k % 26)}{k}",
                family_name="Esteban",
                organization_name="Acme",
                job_title="Engineer",
                emails=[f"esteban{k}@acme.es"],
                national_id=f"{20000000 + 1111111 * side + k}Z",
            ),
        )
        for k in range(40)
        for side in (0, 1)
    ]
    n = len(population)
    result = resolve_batch([*population, *namesakes])
    assert not any(_same(result, n + i, n + i + 1) for i in range(0, len(namesakes), 2))


def test_a_preferred_name_joins_the_legal_one_another_given_name_would_veto(population):
    records = [
        *population,
        make_person(
            "hr",
            given_name="Roberto",
            preferred_name="Tito",
            family_name="Quintana",
            emails=["rq@acme.es"],
        ),
        make_person(given_name="Tito", family_name="Quintana", emails=["rq@acme.es"]),
    ]
    n = len(population)
    result = resolve_batch(records)
    assert _same(result, n, n + 1)
    given = {f.comparison: f.level for f in _link(result, n, n + 1).fields}["given_name"]
    assert given == "a preferred name in common"


def test_must_link_joins_records_the_model_keeps_apart(population):
    records = [
        *population,
        make_person(given_name="Kim", family_name="Lee"),
        make_person(given_name="Sung", family_name="Park"),
    ]
    n = len(population)
    assert not _same(resolve_batch(records), n, n + 1)
    result = resolve_batch(records, constraints=StewardConstraints(must_link=[(n, n + 1)]))
    assert _same(result, n, n + 1)


def test_resolution_is_deterministic(population):
    first, second = resolve_batch(population), resolve_batch(population)
    assert np.array_equal(first.labels, second.labels)
    weights = [[link.match_weight for link in r.links] for r in (first, second)]
    assert weights[0] == weights[1]


def test_swapped_names_count_once(population):
    base = {"birth_date": date(1971, 3, 4), "postcode": "41001"}
    records = [
        *population,
        make_person(given_name="Zoe", family_name="Quintana", **base),
        make_person(given_name="Quintana", family_name="Zoe", **base),
    ]
    n = len(population)
    fields = {f.comparison: f for f in _link(resolve_batch(records), n, n + 1).fields}
    assert fields["given_name"].level.startswith("swapped") and fields["given_name"].weight > 0
    assert fields["family_name"].level.startswith("swapped") and fields["family_name"].weight == 0


def test_fitted_model_scores_a_small_batch_like_the_full_run(population):
    """A model stored as JSON and passed back in scores a batch exactly as the full run
    did: same prior, and the same weights even where they rest on term frequencies (a
    batch counting its own names would weigh them differently)."""
    full = resolve_batch(population)
    stored = json.loads(json.dumps(full.stats["person"]["model"].to_dict()))
    model = {"person": FittedModel.from_dict(stored)}
    batch = population[:40]
    again = resolve_batch(batch, model=model)
    assert again.stats["person"]["prior"] == full.stats["person"]["prior"]
    full_links = {
        (link.left, link.right): link.match_weight for link in full.links if link.right < len(batch)
    }
    batch_links = {(link.left, link.right): link.match_weight for link in again.links}
    assert batch_links == full_links and full_links
    without = {"person": FittedModel.from_dict({k: stored[k] for k in ("m", "u", "prior")})}
    counted_in_batch = {
        (link.left, link.right): link.match_weight
        for link in resolve_batch(batch, model=without).links
    }
    assert counted_in_batch.keys() == full_links.keys() and counted_in_batch != full_links
    refit = resolve_batch(batch)
    assert refit.stats["person"]["prior"] != full.stats["person"]["prior"]


def test_indexed_blocks_group_records_as_blocking_does(population):
    """Two records share a block text of some rule exactly when blocking pairs them."""
    records = [
        *population[:60],
        make_person(given_name="Zoe", family_name="Quintana", emails=["zoe@a.es", "zq@b.es"]),
        make_person(given_name="Quintana", family_name="Zoe", emails=["ZQ@b.es"]),
    ]
    keys = index_records(records).blocks
    assert set(keys) == {rule.name for rule in ResolutionSettings().person.blocking_rules}
    assert keys["email"][-2] == ("zoe@a.es", "zq@b.es") and keys["national_id"][-1] == ()
    assert keys["names"][-1] == keys["names"][-2]
    by_text: dict[tuple[str, str], list[int]] = {}
    for rule, column in keys.items():
        for index, texts in enumerate(column):
            for text in texts:
                by_text.setdefault((rule, text), []).append(index)
    implied = {pair for members in by_text.values() for pair in combinations(members, 2)}
    assert implied == set(map(tuple, resolve_batch(records).candidate_pairs.tolist()))


def test_a_resolved_batch_indexes_any_range_of_its_records_as_a_batch_of_them_would(population):
    """A full resolve indexes its records from the feature tables it resolved them with,
    a page at a time: each range of a batch of both kinds, with multi-valued keys across
    the range bounds, is indexed as `index_records` indexes those records alone."""
    organizations = [
        OrganizationRecord(
            name=f"Acme {i} S.L.",
            domains=[f"acme{i}.es"],
            provenance=Provenance(system="crm", object="account", record_id=f"o{i}"),
        )
        for i in range(5)
    ]
    two_emails = [
        make_person(
            given_name="Zoe", family_name=f"Quintana {i}", emails=[f"zoe{i}@a.es", f"zq{i}@b.es"]
        )
        for i in range(3)
    ]
    records = [
        *population[:40],
        two_emails[0],
        *organizations[:3],
        two_emails[1],
        *population[40:80],
        *organizations[3:],
        two_emails[2],
    ]
    given: list[BatchIndex] = []
    resolve_batch(records, index=given.append)
    [index] = given
    for bounds in ([0, len(records)], [0, 40, 41, 43, 45, 46, 86, len(records)]):
        for start, stop in pairwise(bounds):
            assert index.records(start, stop) == index_records(records[start:stop])
    assert index.records(40, 42).blocks["email"][0] == ("zoe0@a.es", "zq0@b.es")
    with pytest.raises(IndexError):
        index.records(80, len(records) + 1)


def test_a_batch_gives_its_block_rows_column_wise_as_it_gives_them_by_record(population):
    """A store indexing every record of a full resolve takes each rule's rows over the
    whole batch (`block_rows`): the (record, rule, text) rows `records` gives, each once
    (a record whose two emails share a handle), in order of record."""
    records = [
        *population[:60],
        make_person(given_name="Zoe", family_name="Q", emails=["zq@b.es", "zq@c.es"]),
        OrganizationRecord(
            name="Acme S.L.",
            domains=["acme.es"],
            provenance=Provenance(system="crm", object="account", record_id="o1"),
        ),
    ]
    given: list[BatchIndex] = []
    resolve_batch(records, index=given.append)
    [index] = given
    paged = index.records(0, len(records))
    by_record = {
        (paged.kinds[position], rule, position, text)
        for rule, column in paged.blocks.items()
        for position, texts in enumerate(column)
        for text in texts
    }
    columns = [
        (kind, rule.name, position, texts[number])
        for kind, rule, positions, numbers, texts in index.block_rows()
        for position, number in zip(positions.tolist(), numbers.tolist(), strict=True)
    ]
    assert len(columns) == len(set(columns)) and set(columns) == by_record
    assert [row for row in columns if row[2] == 60 and row[1] == "email_handle"] == [
        ("person", "email_handle", 60, "zq")
    ]
    for _, _, positions, _, _ in index.block_rows():
        assert (np.diff(positions) >= 0).all()


def test_given_candidate_pairs_that_hold_every_decision_resolve_like_blocking(population):
    """A partitioned resolve scores the pairs of its block ranges and hands on only those
    it links or sends to review: resolved again with just those pairs and the fitted
    model, the batch clusters, links and reviews as with every blocked pair."""
    full = resolve_batch(population)
    model = {"person": full.stats["person"]["model"]}
    decided = np.array(
        [(link.right, link.left) for link in [*full.links, *full.review]], dtype=np.int64
    )
    again = resolve_batch(population, model=model, pairs=decided)
    assert (again.labels == full.labels).all()
    assert _evidence(again) == _evidence(full) and len(decided) < len(full.candidate_pairs)
    with pytest.raises(ValueError, match="without a fitted person model"):
        resolve_batch(population, pairs=decided)


def _evidence(result):
    return [
        (link.left, link.right, link.match_weight, [(f.level, f.weight) for f in link.fields])
        for link in [*result.links, *result.review]
    ]


def test_normalized_records_resolve_like_the_records_they_were_normalized_from(population):
    """A store keeps each record's normalized values so an incremental resolve reads its
    neighbours without parsing them: in any mix with parsed records, of both kinds, they
    give the same pairs, evidence and clusters, fitted afresh or with a stored model, and
    steward keys name them."""
    organizations = [
        OrganizationRecord(
            name=f"Acme {i % 7} S.L.",
            domains=[f"acme{i % 7}.es"],
            emails=[f"info@acme{i % 7}.es"],
            provenance=Provenance(system="crm", object="account", record_id=f"o{i}"),
        )
        for i in range(40)
    ]
    second_email = [
        make_person(given_name="Zoe", family_name="Quintana", emails=["zoe@a.es", "zq@b.es"]),
        make_person(given_name="Zoraida", family_name="Ferrer", emails=["ZQ@b.es"]),
    ]
    records = [*population[:150], *organizations, *population[150:], *second_email]
    values = index_records(records).values
    single, multi = feature_layout("person")
    assert values[0][single.index("given_name")] and values[0][len(single) + multi.index("email")]
    normalized = [
        NormalizedRecord(r.provenance.key, r.kind, v) for r, v in zip(records, values, strict=True)
    ]
    constraints = StewardConstraints(
        cannot_link=[(records[0].provenance.key, records[1].provenance.key)]
    )
    parsed = resolve_batch(records, constraints=constraints)
    model = {kind: parsed.stats[kind]["model"] for kind in ("person", "organization")}
    scored = resolve_batch(records, constraints=constraints, model=model)
    mixes = [normalized, [*normalized[:100], *records[100:200], *normalized[200:]]]
    for batch in mixes:
        for want, got in (
            (parsed, resolve_batch(batch, constraints=constraints)),
            (scored, resolve_batch(batch, constraints=constraints, model=model)),
        ):
            assert np.array_equal(want.labels, got.labels)
            assert np.array_equal(want.candidate_pairs, got.candidate_pairs)
            assert _evidence(want) == _evidence(got)
    assert not _same(parsed, 0, 1)
    assert [len(records) - 2, len(records) - 1] in parsed.candidate_pairs.tolist()


def test_a_stream_of_records_resolves_like_a_list(population):
    """The engine reads any iterable once, in chunks, and labels records in input order."""
    listed = resolve_batch(population)
    streamed = resolve_batch(record for record in population)
    assert np.array_equal(listed.labels, streamed.labels)
    assert np.array_equal(listed.candidate_pairs, streamed.candidate_pairs)


def test_a_batch_of_several_chunks_is_coded_in_a_worker_and_resolves_like_one_chunk(
    population, monkeypatch
):
    """Values of a batch larger than a chunk are coded in a forked worker; the tables it
    sends back give the same pairs, weights and clusters as coding in this process, for
    both entity kinds, and steward keys are found in every chunk."""
    organizations = [
        OrganizationRecord(
            name=f"Acme {i % 7} S.L.",
            domains=[f"acme{i % 7}.es"],
            provenance=Provenance(system="crm", object="account", record_id=f"o{i}"),
        )
        for i in range(40)
    ]
    records = [*population[:150], *organizations, *population[150:]]
    constraints = StewardConstraints(
        must_link=[(records[3].provenance.key, records[-1].provenance.key)]
    )
    one_chunk = resolve_batch(records, constraints=constraints)
    sinks: list[bool] = []

    def spied_sink(settings, forked):
        sinks.append(forked)
        return feature_sink(settings, forked)

    monkeypatch.setattr(engine, "CHUNK_SIZE", 64)
    monkeypatch.setattr(engine, "feature_sink", spied_sink)
    chunked = resolve_batch(iter(records), constraints=constraints)
    assert sinks == [True]
    assert np.array_equal(one_chunk.labels, chunked.labels)
    assert [3, len(records) - 1] in chunked.candidate_pairs.tolist()  # the must-link's pair
    assert np.array_equal(one_chunk.candidate_pairs, chunked.candidate_pairs)
    assert [(link.left, link.right, link.match_weight) for link in one_chunk.links] == [
        (link.left, link.right, link.match_weight) for link in chunked.links
    ]
    assert {"person", "organization"} <= chunked.stats.keys()


def test_rules_and_comparisons_split_over_a_worker_resolve_like_one_process(
    population, monkeypatch
):
    """With many records and pairs, a forked worker takes its share of the blocking rules,
    the rules' masks, the comparisons and the EM sessions: candidate pairs, rule
    statistics, levels, weights and clusters are those of doing everything here (run
    twice, so the second fork follows a process whose rapidfuzz threads have run)."""
    here = resolve_batch(population)
    monkeypatch.setattr(engine, "PARALLEL_COMPARE_PAIRS", 1)
    monkeypatch.setattr(engine, "PARALLEL_BLOCKING_RECORDS", 1)
    for _ in range(2):
        split = resolve_batch(population)
        assert np.array_equal(here.candidate_pairs, split.candidate_pairs)
        assert here.stats["person"]["blocking"] == split.stats["person"]["blocking"]
        assert np.array_equal(here.labels, split.labels)
        assert [
            (link.left, link.right, link.match_weight, [f.level for f in link.fields])
            for link in here.links
        ] == [
            (link.left, link.right, link.match_weight, [f.level for f in link.fields])
            for link in split.links
        ]


def test_steward_keys_are_found_in_a_stream(population):
    records = [
        *population,
        make_person(record_id="x1", given_name="Zoe", family_name="Quintana"),
        make_person(record_id="x2", given_name="Hugo", family_name="Bravo"),
    ]
    n = len(population)
    constraints = StewardConstraints(must_link=[("crm/contact/x1", "crm/contact/x2")])
    result = resolve_batch(iter(records), constraints=constraints)
    assert _same(result, n, n + 1)


def test_a_record_without_a_given_name_does_not_make_an_email_shared(population):
    """A record that names no one ("Brooks") cannot show that two people carry an email:
    the email still proves the match instead of being capped as a shared inbox's."""
    records = [
        *population,
        make_person(given_name="Kenneth", family_name="Brooks", emails=["kb@gmail.com"]),
        make_person(family_name="Brooks", emails=["KB@gmail.com"]),
    ]
    n = len(population)
    link = _link(resolve_batch(records), n, n + 1)
    assert link is not None and link.rule == "same email and compatible name"
    assert {f.comparison: f.weight for f in link.fields}["email"] > 1.0


def test_swapped_names_do_not_make_an_email_shared(population):
    """ "Ortega Lucas" is "Lucas Ortega" with the names swapped, not a second person on
    the same mailbox: the email still proves the match."""
    records = [
        *population,
        make_person(given_name="Lucas", family_name="Ortega", emails=["lo@corp.es"]),
        make_person(given_name="Ortega", family_name="Lucas", emails=["lo@corp.es"]),
    ]
    n = len(population)
    link = _link(resolve_batch(records), n, n + 1)
    assert link is not None and link.rule == "same email and compatible name"


@pytest.mark.parametrize(("given", "other"), [("Guadalupe", "Lupe"), ("Linda", "Lnda")])
def test_a_nickname_or_a_typo_does_not_make_an_email_shared(population, given, other):
    """ "Lupe" is Guadalupe and "Lnda" is Linda mistyped, not a second person on the
    mailbox: the email keeps its full weight instead of a shared inbox's capped one."""
    records = [
        *population,
        make_person(given_name=given, family_name="Iturbe", emails=["gi@corp.es"]),
        make_person(given_name=other, family_name="Iturbe", emails=["gi@corp.es"]),
    ]
    n = len(population)
    link = _link(resolve_batch(records), n, n + 1)
    assert link is not None
    assert {f.comparison: f.weight for f in link.fields}["email"] > 1.0


def test_two_given_names_on_one_mailbox_make_it_shared(population):
    """Ana and Pablo Iturbe on one family mailbox are two people: the email is capped."""
    records = [
        *population,
        make_person(given_name="Ana", family_name="Iturbe", emails=["casa@gmail.com"]),
        make_person(given_name="Pablo", family_name="Iturbe", emails=["casa@gmail.com"]),
    ]
    n = len(population)
    result = resolve_batch(records)
    link = _link(result, n, n + 1)
    assert not _same(result, n, n + 1)
    assert link is None or {f.comparison: f.weight for f in link.fields}["email"] <= 1.0


def test_a_reused_work_mailbox_does_not_join_two_second_surnames(population):
    """Two people with one given name and first surname at one company, years apart,
    get the same mailbox; their second surnames differ, so the email is no rule match."""
    records = [
        *population,
        make_person(
            given_name="Antonio", family_name="Garcia Sanchez", emails=["antonio.garcia@beacon.mx"]
        ),
        make_person(
            given_name="Antonio", family_name="Garcia Ortega", emails=["antonio.garcia@beacon.mx"]
        ),
    ]
    n = len(population)
    result = resolve_batch(records)
    link = _link(result, n, n + 1)
    assert link is None or link.rule is None


def test_focus_scores_only_the_pairs_touching_its_records(population):
    """A focused resolve decides exactly the pairs of the full one that touch the focus,
    and compares no other pair."""
    full = resolve_batch(population)
    model = {
        "person": FittedModel.from_dict(
            json.loads(json.dumps(full.stats["person"]["model"].to_dict()))
        )
    }
    full = resolve_batch(population, model=model)
    focus = {0, 5, 9}
    focused = resolve_batch(population, model=model, focus=focus)

    def touching(links):
        return {
            (link.left, link.right, round(link.match_weight, 6))
            for link in links
            if link.left in focus or link.right in focus
        }

    assert touching(focused.links) == touching(full.links) != set()
    assert touching(focused.review) == touching(full.review)
    assert all(a in focus or b in focus for a, b in focused.candidate_pairs.tolist())
