import numpy as np
import pytest
from personfixtures import make_person
from pydantic import ValidationError

from emulators.synthetic.canonical import iter_person_records
from emulators.synthetic.generator import generate
from identity import comparisons
from identity.comparisons import _common_values, compare
from identity.features import build_features
from identity.settings import ComparisonLevel, ResolutionSettings

SETTINGS = ResolutionSettings()


def _family_levels(pairs: list[tuple[str, str]]) -> list[str]:
    records = [make_person(given_name="Ana", family_name=name) for pair in pairs for name in pair]
    table = build_features(records, "person", SETTINGS)
    comparison = next(c for c in SETTINGS.person.comparisons if c.name == "family_name")
    left = np.arange(0, len(records), 2)
    outcome = compare(table, comparison, left, left + 1)
    return [comparison.levels[level].label for level in outcome.levels]


def test_compound_surnames_tell_a_dropped_second_surname_from_another_one():
    assert _family_levels(
        [
            ("García López", "García"),
            ("García López", "García Ortega"),
            ("García López", "García Lopes"),
            ("Sanchez", "Sanches"),
        ]
    ) == [
        "same first surname, second dropped",
        "same first surname, other second surname",
        "Jaro-Winkler >= 0.92",
        "Jaro-Winkler >= 0.92",
    ]


def test_birth_dates_years_apart_are_another_person_a_year_apart_a_typo():
    """A generation or a sibling's few years apart (beyond two typos) is another person;
    a wrong year (one off) is one person's typo."""
    records = [
        make_person(given_name="Ana", birth_date=day)
        for day in (
            "1950-03-01",
            "1983-07-09",
            "1977-03-01",
            "1983-07-09",
            "1982-07-09",
            "1983-07-09",
        )
    ]
    table = build_features(records, "person", SETTINGS)
    comparison = next(c for c in SETTINGS.person.comparisons if c.name == "birth_date")
    levels = compare(table, comparison, np.array([0, 2, 4]), np.array([1, 3, 5])).levels
    assert [comparison.levels[lv].label for lv in levels] == [
        "more than a year apart (another person)",
        "more than a year apart (another person)",
        "1 typo",
    ]


def _levels(name: str, records: list, pairs: int) -> list[str]:
    table = build_features(records, "person", SETTINGS)
    comparison = next(c for c in SETTINGS.person.comparisons if c.name == name)
    left = np.arange(0, 2 * pairs, 2)
    outcome = compare(table, comparison, left, left + 1)
    return [comparison.levels[lv].label if lv >= 0 else "missing" for lv in outcome.levels]


def test_a_postcode_and_a_city_beside_the_same_street_are_counted_once():
    """One household's address is one fact: the street weighs, the postcode and city
    beside it are neutral; without a street (or postcode) in common they weigh."""
    records = [
        make_person(street="Calle Mayor 3", postcode="28001", city="Madrid"),
        make_person(street="calle mayor, 3", postcode="28001", city="Madrid"),
        make_person(postcode="28001", city="Madrid"),
        make_person(street="Calle Mayor 3", postcode="28001", city="Madrid"),
        make_person(street="Calle Sol 1", postcode="28001", city="Madrid"),
        make_person(street="Calle Mayor 3", postcode="28009", city="Madrid"),
    ]
    assert _levels("postcode", records, 3) == [
        "exact, as the street (counted there)",
        "exact",
        "<= 1 edits",
    ]
    assert _levels("city", records, 3) == [
        "exact, as the street (counted there)",
        "exact, as the postcode (counted there)",
        "exact",
    ]
    city = next(c for c in SETTINGS.person.comparisons if c.name == "city").levels
    assert city[0].neutral and city[1].neutral and not city[2].neutral


def test_a_generation_suffix_against_none_or_another_is_its_own_level():
    names = [
        ("Scott Jr.", "Scott"),
        ("Scott Jr.", "Scott Sr."),
        ("Scott Jr", "Scott jr."),
        ("Scott", "Scott"),
    ]
    records = [make_person(given_name="Peter", family_name=n) for pair in names for n in pair]
    records += [
        make_person(given_name="Peter"),
        make_person(given_name="Peter", family_name="Scott"),
    ]
    assert _levels("generation", records, 5) == [
        "another generation suffix (Jr. / Sr. / hijo / II)",
        "another generation suffix (Jr. / Sr. / hijo / II)",
        "same generation suffix (or none)",
        "same generation suffix (or none)",
        "missing",
    ]
    assert _levels("family_name", records, 3)[0] == "exact"  # the suffix is not the name


def test_a_given_name_matches_the_other_records_preferred_name():
    """HR holds the legal name with the preferred one beside it; the CRM hears the
    preferred one: the given names agree through either, and only then."""
    records = [
        make_person(given_name="Roberto", preferred_name="Tito"),
        make_person(given_name="Tito"),
        make_person(given_name="Roberto", preferred_name="Tito"),
        make_person(given_name="Berto", preferred_name="Tito"),
        make_person(given_name="Roberto", preferred_name="Tito"),
        make_person(given_name="Javier"),
    ]
    assert _levels("given_name", records, 3) == [
        "a preferred name in common",
        "a preferred name in common",
        "different",
    ]


def test_a_name_swapped_against_one_of_two_surnames_is_a_swap():
    """ "Ruiz, Cristina" typed into a form for Cristina Ruiz González: her given name is the
    other's family name and her first surname the other's given name."""
    records = [
        make_person(given_name="Cristina", family_name="Ruiz González"),
        make_person(given_name="Ruiz", family_name="Cristina"),
        make_person(given_name="Cristina", family_name="Ruiz González"),
        make_person(given_name="González", family_name="Cristina"),
    ]
    assert _levels("given_name", records, 2) == [
        "swapped with family_name, one surname given",
        "different",
    ]
    assert _levels("family_name", records, 2) == [
        "swapped with given_name, one surname given",
        "different",
    ]


def test_a_typo_in_a_name_a_nickname_stands_for_is_no_other_given_name():
    """ "Jomsé" (José mistyped) beside "Pepe" (José's nickname): neither the names nor a
    nickname table match them, their formal names are near; "Ana" and "Pepe" stay apart."""
    records = [
        make_person(given_name="Jomsé"),
        make_person(given_name="Pepe"),
        make_person(given_name="Ana"),
        make_person(given_name="Pepe"),
    ]
    assert _levels("given_name", records, 2) == ["formal names Jaro-Winkler >= 0.88", "different"]


def test_a_job_title_is_compared_folded_then_by_similarity():
    """A contact's title is the same fact typed in two systems: case and accents are no
    difference, a slip of a letter is near, another title is another."""
    pairs = [
        ("Técnico de Sistemas", "TECNICO DE SISTEMAS"),
        ("Procurement Manager", "Procurment Manager"),
        ("Procurement Manager", "Data Analyst"),
        ("CTO", None),
    ]
    records = [make_person(given_name="Ana", job_title=title) for pair in pairs for title in pair]
    assert _levels("job_title", records, 4) == [
        "exact",
        "Jaro-Winkler >= 0.92",
        "different",
        "missing",
    ]


def test_two_own_mailboxes_at_one_employer_have_their_own_level():
    """Two people's own mailboxes at one company are colleagues' evidence, not one
    person's; a shared inbox or a personal address beside a work one is not."""
    pairs = [
        ("ana.ruiz@acme.es", "ana.ruiz2@acme.es"),
        ("ana.ruiz@acme.es", "info@acme.es"),
        ("ana.ruiz@acme.es", "ana.ruiz@gmail.com"),
        ("ana.ruiz@acme.es", "ANA.RUIZ@acme.es"),
    ]
    records = [
        make_person(given_name="Ana", emails=[email], organization_name="Acme")
        for pair in pairs
        for email in pair
    ]
    table = build_features(records, "person", SETTINGS)
    comparison = next(c for c in SETTINGS.person.comparisons if c.name == "employer")
    left = np.arange(0, len(records), 2)
    levels = compare(table, comparison, left, left + 1).levels
    assert [comparison.levels[lv].label for lv in levels] == [
        "other personal mailboxes at one employer",
        "an employer in common",
        "an employer in common",
        "an employer in common",
    ]


@pytest.mark.parametrize(
    "level",
    [
        {"kind": "jaro_winkler"},
        {"kind": "swapped"},
        {"kind": "exact_with"},
        {"kind": "other_value", "other": "email"},
    ],
)
def test_a_level_missing_its_parameters_is_refused(level):
    with pytest.raises(ValidationError, match=level["kind"]):
        ComparisonLevel(label="x", **level)


def test_common_values_match_brute_force_for_narrow_and_wide_records():
    """Pairs of records with 0 to 12 emails (more than the padded width): the shared
    value found is the rarest of the shared ones, whichever way it is looked up."""
    rng = np.random.default_rng(3)
    pool = [f"p{i}@corp.es" for i in range(30)]
    emails = [list(rng.choice(pool, size=rng.integers(0, 13), replace=False)) for _ in range(120)]
    table = build_features(
        [make_person(given_name="Ana", emails=e) for e in emails], "person", SETTINGS
    )
    left, right = rng.integers(0, 120, 3000), rng.integers(0, 120, 3000)
    has, agreed = _common_values(table, "email", left, right)
    count = {v: sum(v in set(e) for e in emails) for v in pool}
    for k, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        shared = set(emails[a]) & set(emails[b])
        assert has[k] == bool(shared)
        if shared:
            rarest = min(
                shared, key=lambda v: (count[v], table.multi["email"].values.tolist().index(v))
            )
            assert table.multi["email"].values[agreed[k]] == rarest


def test_few_pairs_score_each_pair_as_many_pairs_score_each_distinct_one(monkeypatch):
    """Below `_DEDUPLICATED_FROM` pairs (a match on demand), similarities are computed per
    pair instead of per distinct pair of values: the same levels."""
    records = [r for chunk in iter_person_records(generate(300, 3)) for r in chunk]
    table = build_features(records, "person", SETTINGS)
    rng = np.random.default_rng(5)
    left, right = rng.integers(0, len(records), (2, 5000))
    left[:2000] = right[:2000] // 2 * 2  # records next to each other: duplicates, relatives
    for comparison in SETTINGS.person.comparisons:
        deduplicated = compare(table, comparison, left, right)
        monkeypatch.setattr(comparisons, "_DEDUPLICATED_FROM", 10**9)
        each = compare(table, comparison, left, right)
        monkeypatch.undo()
        assert (deduplicated.levels == each.levels).all(), comparison.name
        assert (deduplicated.agreed == each.agreed).all(), comparison.name
        assert len(set(deduplicated.levels.tolist())) > 1, comparison.name
