import numpy as np
from personfixtures import make_person

from identity.blocking import blocked_features, candidate_keys, pairs_of_keys
from identity.features import build_features
from identity.settings import BlockingRule, ResolutionSettings

SETTINGS = ResolutionSettings()


def _pairs(records, rules, cap=1000):
    table = build_features(records, "person", SETTINGS)
    keys, stats, _ = candidate_keys(table, rules, cap)
    return {tuple(p) for p in pairs_of_keys(keys, table.n).tolist()}, stats


def test_email_rule_pairs_records_sharing_any_email():
    records = [
        make_person(given_name="Ana", emails=["ana@acme.es", "ana@home.es"]),
        make_person(given_name="Ana", emails=["ANA@home.es"]),
        make_person(given_name="Luis", emails=["luis@acme.es"]),
        make_person(given_name="Ana", emails=[]),
    ]
    pairs, stats = _pairs(records, [BlockingRule(name="email", keys=["email"])])
    assert pairs == {(0, 1)}
    assert stats[0].pairs == 1


def test_multi_key_rule_and_swapped_names():
    records = [
        make_person(given_name="Ana", family_name="Ruiz", postcode="28001"),
        make_person(given_name="Ruiz", family_name="Ana", postcode="28001"),
        make_person(given_name="Ana", family_name="Ruiz", postcode="08001"),
        make_person(given_name="Ana", family_name="Ruiz"),
    ]
    pairs, _ = _pairs(records, [BlockingRule(name="names", keys=["name_pair", "postcode"])])
    assert pairs == {(0, 1)}
    pairs, _ = _pairs(records, [BlockingRule(name="names", keys=["name_pair"])])
    assert pairs == {(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)}


def test_union_is_deduplicated_and_reported_per_rule():
    records = [
        make_person(given_name="Ana", family_name="Ruiz", national_id="1X", postcode="28001")
        for _ in range(3)
    ]
    rules = [
        BlockingRule(name="id", keys=["national_id"]),
        BlockingRule(name="pc", keys=["postcode"]),
    ]
    table = build_features(records, "person", SETTINGS)
    keys, stats, _ = candidate_keys(table, rules, 1000)
    assert pairs_of_keys(keys, table.n).tolist() == [[0, 1], [0, 2], [1, 2]]
    assert [s.pairs for s in stats] == [3, 3]


def test_exploding_block_is_capped_and_reported(caplog):
    shared = [make_person(given_name=f"p{i}", emails=["info@acme.es"]) for i in range(50)]
    pair = [make_person(given_name="x", emails=["x@acme.es"]) for _ in range(2)]
    pairs, stats = _pairs(shared + pair, [BlockingRule(name="email", keys=["email"])], cap=20)
    assert pairs == {(50, 51)}
    assert (stats[0].capped_blocks, stats[0].capped_records, stats[0].largest_block) == (1, 50, 50)
    assert "above 20 records skipped" in caplog.text


def test_derived_keys_tolerate_typos():
    records = [
        make_person(given_name="Ana", family_name="Smith", birth_date="1980-01-02"),
        make_person(given_name="Anna", family_name="Smyth", birth_date="1980-01-02"),
        make_person(given_name="Anna", family_name="Jones", birth_date="1980-01-02"),
    ]
    rule = BlockingRule(name="sound", keys=["family_phonetic", "birth_date"])
    pairs, _ = _pairs(records, [rule])
    assert pairs == {(0, 1)}
    assert np.asarray(list(pairs)).dtype.kind == "i"


def test_a_rule_can_cap_its_own_blocks():
    records = [
        make_person(given_name="Ana", family_name="Ruiz", national_id="1X") for _ in range(5)
    ]
    rules = [
        BlockingRule(name="names", keys=["name_pair"], max_block_size=4),
        BlockingRule(name="id", keys=["national_id"]),
    ]
    table = build_features(records, "person", SETTINGS)
    _, stats, _ = candidate_keys(table, rules, 1000)
    assert [(s.pairs, s.capped_blocks) for s in stats] == [(0, 1), (10, 0)]


def test_default_rules_pair_a_typo_at_one_employer():
    """A surname typo and two different work mailboxes (own and shared inbox) at one
    company: the given name and the employer still make the pair a candidate."""
    records = [
        make_person(given_name="Donna", family_name="Smith", emails=["donna.smith@pioneerlog.com"]),
        make_person(
            given_name="Donna",
            family_name="Smiuh",
            emails=["info@pioneerlog.com"],
            organization_name="Pioneerlog Solutions",
        ),
        make_person(given_name="Paul", family_name="Ortiz", emails=["p.ortiz@other.com"]),
    ]
    pairs, stats = _pairs(records, SETTINGS.person.blocking_rules)
    assert pairs == {(0, 1)}
    assert {s.name: s.pairs for s in stats}["given_name_employer"] == 1


def test_one_handle_at_two_providers_is_a_candidate():
    records = [
        make_person(given_name="Alejandro", emails=["alejandro.jimenez@initech.es"]),
        make_person(family_name="Jimenez", emails=["Alejandro_Jimenez@hotmail.com"]),
        make_person(given_name="Alejandro", emails=["alejandro.gil@initech.es"]),
    ]
    pairs, _ = _pairs(records, [BlockingRule(name="handle", keys=["email_handle"])])
    assert pairs == {(0, 1)}


def test_a_recall_rule_can_stay_out_of_training():
    """The handle rule finds namesakes as much as duplicates: its pairs are scored but
    do not train m."""
    rule = {r.name: r for r in SETTINGS.person.blocking_rules}["email_handle"]
    assert not rule.trains_m
    assert blocked_features(rule) == {"email"}


def test_a_record_in_a_block_twice_counts_once_toward_its_cap():
    """Two emails with one handle put a record in the handle's block twice: the block still
    holds two records, so a cap of two pairs them (as the store's blocking index counts)."""
    records = [
        make_person(given_name="Ana", emails=["ana.ruiz@acme.es", "ana_ruiz@home.es"]),
        make_person(given_name="Ana", emails=["anaruiz@mail.es"]),
    ]
    rule = BlockingRule(name="handle", keys=["email_handle"])
    pairs, stats = _pairs(records, [rule], cap=2)
    assert pairs == {(0, 1)}
    assert (stats[0].largest_block, stats[0].capped_blocks) == (2, 0)
