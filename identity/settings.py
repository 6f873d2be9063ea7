"""Resolution settings: blocking rules, comparisons as data, thresholds, steward constraints.

Comparisons follow Splink's shape: a comparison is an ordered list of levels, each a
condition with a human label; the first level whose condition holds wins. Because the
levels are data, the evidence stored for a link is simply each field's level label and
weight. Missing values are always neutral (weight 0) and need no level.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from identity.survivorship import SurvivorshipSettings

LevelKind = Literal[
    "exact",
    "exact_with",
    "swapped",
    "jaro_winkler",
    "edits",
    "days_within",
    "second_token_dropped",
    "second_token_differs",
    "other_value",
    "else",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ComparisonLevel(_Strict):
    """One graded outcome of comparing a field, e.g. "Jaro-Winkler >= 0.92"."""

    label: str
    kind: LevelKind
    threshold: float | None = Field(
        default=None,
        description="jaro_winkler (and optionally swapped): minimum similarity; edits: maximum "
        "Damerau-Levenshtein distance; days_within: maximum distance in days; "
        "second_token_differs: Jaro-Winkler of the second tokens below which they differ.",
    )
    other: str | None = Field(
        default=None,
        description="swapped: the feature to cross with; other_value: the "
        "feature on which the records must have no value in common; exact_with: the "
        "feature that must agree exactly too.",
    )
    feature: str | None = Field(
        default=None,
        description="Compare this feature instead of the comparison's own "
        "(e.g. names with nicknames resolved; exact on a multi-valued feature: a value in "
        "common, as a legal or preferred given name); other_value (multi-valued comparisons): the "
        "feature the records must have a value in common on, its values a part of the "
        "comparison's own (the employer of a personal mailbox is an employer).",
    )
    neutral: bool = Field(
        default=False,
        description="Weighs nothing: the evidence is counted by another "
        "comparison (a given and a family name swapped is one fact, seen from both names).",
    )
    conflict: bool = Field(
        default=False,
        description="Reaching it means two different entities (another second surname, "
        "another given name, another generation): it vetoes a match, whatever else agrees "
        "(an address a family shares), where the fitted m shows true matches reach it at "
        "most `conflict_max_m` often.",
    )
    m: float | None = Field(default=None, gt=0, le=1, description="Override of the EM estimate.")
    u: float | None = Field(default=None, gt=0, le=1, description="Override of the sampled u.")

    @model_validator(mode="after")
    def _parameters_present(self) -> ComparisonLevel:
        if (
            self.kind in ("jaro_winkler", "edits", "days_within", "second_token_differs")
            and self.threshold is None
        ):
            raise ValueError(f"level {self.label!r}: kind {self.kind} needs a threshold")
        if self.kind in ("swapped", "other_value", "exact_with") and not self.other:
            raise ValueError(f"level {self.label!r}: kind {self.kind} needs `other`")
        if self.kind == "other_value" and not self.feature:
            raise ValueError(f"level {self.label!r}: kind other_value needs `feature`")
        return self


class Comparison(_Strict):
    """How one feature of two records is compared, from the strongest level down."""

    name: str
    feature: str
    levels: list[ComparisonLevel]
    term_frequency: bool = Field(
        default=False,
        description="Exact agreement on a rare value weighs more than on a common one.",
    )
    shared_identifier: bool = Field(
        default=False,
        description="An identifier (email, phone) that different people share is down-weighted "
        "and never proof on its own.",
    )
    tells_apart: bool = Field(
        default=False,
        description="Disagreeing on it (names, another generation's birth "
        "date) means two different people: an email or phone that such a pair shares is "
        "shared (an inbox, a switchboard, a family mailbox) and never proof on its own.",
    )
    tells_apart_with: list[str] = Field(
        default_factory=list,
        description="Comparisons that, disagreeing beside this one, tell two people apart: "
        "two records each carrying a value of this feature no different people share (a "
        "phone of their own, not a switchboard), none in common, and another employer or job "
        "title, are two people; a mailbox they share is a family's, or one reissued after a "
        "leaver, and never proof on its own.",
    )
    conflict_on_else: bool = Field(
        default=False,
        description="Falling to the `else` level means the records cannot match (as "
        "`conflict` on that level).",
    )
    anchor: bool = Field(
        default=False,
        description="An identifier of one entity (email, phone, national "
        "id): pairs agreeing on an unshared value are matches known without the other "
        "fields, used to measure how often true matches differ on those.",
    )
    trained: bool = Field(
        default=True,
        description="Fit m by EM. False for evidence that different people "
        "share by design (an employer): EM would learn to find colleagues, not duplicates, "
        "so its m comes from the levels' `m` (or the initial guess).",
    )

    @model_validator(mode="after")
    def _ends_with_else(self) -> Comparison:
        if not self.levels or self.levels[-1].kind != "else":
            raise ValueError(f"comparison {self.name!r}: the last level must be of kind `else`")
        return self

    def conflict_levels(self) -> list[bool]:
        """Per level: reaching it vetoes a match (if the fitted m allows)."""
        last = len(self.levels) - 1
        return [
            lvl.conflict or (i == last and self.conflict_on_else)
            for i, lvl in enumerate(self.levels)
        ]


class BlockingRule(_Strict):
    """Records sharing every key (see `identity.blocking.BLOCKING_KEYS`) become candidates."""

    name: str
    keys: list[str] = Field(min_length=1)
    max_block_size: int | None = Field(
        default=None,
        ge=2,
        description="Blocks above this are skipped (default: the "
        "resolution's max_block_size). A name or an inbox shared by hundreds of records "
        "is a crowd of namesakes or colleagues: its pairs cost n² and link nobody.",
    )
    trains_m: bool = Field(
        default=True,
        description="Its pairs train m by EM. Off for a recall rule whose "
        "blocks are mostly namesakes (one email handle at several providers): they would "
        "teach EM that names alone make a match.",
    )


class DeterministicRule(_Strict):
    """A match decided by rule: `exact` comparisons at their first level, and `compatible`
    comparisons missing or above their `else` level (e.g. same email and compatible name)."""

    name: str
    exact: list[str] = Field(min_length=1)
    compatible: list[str] = Field(default_factory=list)


class EntitySettings(_Strict):
    blocking_rules: list[BlockingRule]
    comparisons: list[Comparison]
    deterministic_rules: list[DeterministicRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules_name_comparisons(self) -> EntitySettings:
        names = {c.name for c in self.comparisons}
        for c in self.comparisons:
            if set(c.tells_apart_with) - names:
                raise ValueError(
                    f"comparison {c.name!r}: tells_apart_with names unknown comparisons "
                    f"{sorted(set(c.tells_apart_with) - names)}"
                )
        for rule in self.deterministic_rules:
            unknown = set(rule.exact) | set(rule.compatible)
            if unknown - names:
                raise ValueError(
                    f"rule {rule.name!r}: unknown comparisons {sorted(unknown - names)}"
                )
        return self


def _name_levels(
    other: str, formal: str | None = None, alternates: str | None = None
) -> list[ComparisonLevel]:
    """Levels of a name; the given name carries a swap's weight, the family name none.
    Another given name is another person (twins share all else); another family name may
    be one person before and after marriage, so only the given name's `else` vetoes. A
    swap may keep one of two surnames ("Ruiz, Cristina" for Cristina Ruiz González), and
    a typo in a name a nickname stands for ("Jomsé" beside "Pepe") is near in formal names
    no nickname table holds, so neither is another given name."""
    nickname: list[ComparisonLevel] = []
    near_formal: list[ComparisonLevel] = []
    if formal:
        nickname.append(
            ComparisonLevel(label="same formal name (nickname)", kind="exact", feature=formal)
        )
        near_formal.append(
            ComparisonLevel(
                label="formal names Jaro-Winkler >= 0.88",
                kind="jaro_winkler",
                threshold=0.88,
                feature=formal,
            )
        )
    if alternates:  # the legal name on one record, the preferred one on the other
        nickname.append(
            ComparisonLevel(label="a preferred name in common", kind="exact", feature=alternates)
        )
    neutral = formal is None
    # the given name against the other's first surname; the family name's side of that
    crossed, crossing = ("family_first", None) if formal else (other, "family_first")
    return [
        ComparisonLevel(label="exact", kind="exact"),
        *nickname,
        ComparisonLevel(
            label=f"swapped with {other}", kind="swapped", other=other, neutral=neutral
        ),
        ComparisonLevel(
            label=f"swapped with {other}, one surname given",
            kind="swapped",
            other=crossed,
            feature=crossing,
            neutral=neutral,
        ),
        ComparisonLevel(label="Jaro-Winkler >= 0.92", kind="jaro_winkler", threshold=0.92),
        ComparisonLevel(
            label=f"swapped with {other}, Jaro-Winkler >= 0.88",
            kind="swapped",
            other=other,
            threshold=0.88,
            neutral=neutral,
        ),
        ComparisonLevel(label="Jaro-Winkler >= 0.80", kind="jaro_winkler", threshold=0.80),
        *near_formal,
        ComparisonLevel(label="different", kind="else", conflict=formal is not None),
    ]


def _family_levels() -> list[ComparisonLevel]:
    """Name levels, plus compound surnames: a second surname dropped on one side is one
    person, the same first surname with two different second ones is two (a Spanish son
    has his mother's surname second, his father his own mother's)."""
    levels = _name_levels("given_name")
    compound = [
        ComparisonLevel(
            label="same first surname, other second surname",
            kind="second_token_differs",
            threshold=0.85,
            conflict=True,
        ),
        ComparisonLevel(label="same first surname, second dropped", kind="second_token_dropped"),
    ]
    return [*levels[:2], *compound, *levels[2:]]


def _counted_with(others: tuple[str, ...]) -> list[ComparisonLevel]:
    """Neutral levels for exact agreement beside exact agreement on a finer part of the
    same address: a street, its postcode and its city are one fact, a household's, which
    weighed three times outweighed a father and son's different mailboxes and employers."""
    return [
        ComparisonLevel(
            label=f"exact, as the {other} (counted there)",
            kind="exact_with",
            other=other,
            neutral=True,
        )
        for other in others
    ]


def _exact_or_edits(
    name: str,
    edits: int,
    counted_with: tuple[str, ...] = (),
    different_m: float | None = None,
    **options: Any,
) -> Comparison:
    return Comparison(
        name=name,
        feature=name,
        levels=[
            *_counted_with(counted_with),
            ComparisonLevel(label="exact", kind="exact"),
            ComparisonLevel(label=f"<= {edits} edits", kind="edits", threshold=edits),
            ComparisonLevel(label="different", kind="else", m=different_m),
        ],
        **options,
    )


def _exact_any(name: str, tells_apart_with: tuple[str, ...] = ()) -> Comparison:
    return Comparison(
        name=name,
        feature=name,
        levels=[
            ComparisonLevel(label="a value in common", kind="exact"),
            ComparisonLevel(label="none in common", kind="else"),
        ],
        term_frequency=True,
        shared_identifier=True,
        anchor=True,
        tells_apart_with=list(tells_apart_with),
    )


def _jaro_winkler(
    name: str, threshold: float, counted_with: tuple[str, ...] = (), **options: Any
) -> Comparison:
    return Comparison(
        name=name,
        feature=name,
        levels=[
            *_counted_with(counted_with),
            ComparisonLevel(label="exact", kind="exact"),
            ComparisonLevel(
                label=f"Jaro-Winkler >= {threshold}", kind="jaro_winkler", threshold=threshold
            ),
            ComparisonLevel(label="different", kind="else"),
        ],
        **options,
    )


def _address_comparisons() -> list[Comparison]:
    return [
        _exact_or_edits("postcode", 1, counted_with=("street",)),
        _jaro_winkler("street", 0.90),
        _jaro_winkler("city", 0.90, counted_with=("street", "postcode")),
    ]


PERSON_DEFAULTS = EntitySettings(
    blocking_rules=[
        BlockingRule(name="email", keys=["email"], max_block_size=100),
        BlockingRule(name="phone", keys=["phone"], max_block_size=100),
        BlockingRule(name="email_handle", keys=["email_handle"], max_block_size=50, trains_m=False),
        BlockingRule(name="national_id", keys=["national_id"]),
        BlockingRule(name="names", keys=["name_pair"], max_block_size=50),
        BlockingRule(name="surname_sound_birth_date", keys=["family_phonetic", "birth_date"]),
        BlockingRule(
            name="initial_surname_postcode", keys=["given_initial", "family_first", "postcode"]
        ),
        BlockingRule(name="birth_date_postcode", keys=["birth_date", "postcode"]),
        BlockingRule(name="given_name_birth_date", keys=["given_name", "birth_date"]),
        BlockingRule(name="street_postcode", keys=["street", "postcode"]),
        BlockingRule(name="street_city", keys=["street", "city"]),
        BlockingRule(
            name="surname_employer", keys=["employer", "family_first"], max_block_size=100
        ),
        BlockingRule(
            name="given_name_employer", keys=["employer", "given_formal"], max_block_size=100
        ),
        BlockingRule(
            name="formal_name_surname_city",
            keys=["given_formal", "family_first", "city"],
            max_block_size=100,
        ),
    ],
    comparisons=[
        Comparison(
            name="given_name",
            feature="given_name",
            levels=_name_levels("family_name", "given_formal", "given_names"),
            term_frequency=True,
            tells_apart=True,
        ),
        Comparison(
            name="family_name",
            feature="family_name",
            levels=_family_levels(),
            term_frequency=True,
        ),
        Comparison(
            name="generation",
            feature="generation",
            levels=[
                ComparisonLevel(label="same generation suffix (or none)", kind="exact"),
                ComparisonLevel(
                    label="another generation suffix (Jr. / Sr. / hijo / II)",
                    kind="else",
                    conflict=True,
                ),
            ],
            tells_apart=True,
        ),
        Comparison(
            name="birth_date",
            feature="birth_date",
            levels=[
                ComparisonLevel(label="exact", kind="exact"),
                ComparisonLevel(label="1 typo", kind="edits", threshold=1),
                ComparisonLevel(label="within a year", kind="days_within", threshold=366),
                ComparisonLevel(label="2 typos", kind="edits", threshold=2),
                ComparisonLevel(label="more than a year apart (another person)", kind="else"),
            ],
            conflict_on_else=True,
            tells_apart=True,
        ),
        # ids beyond a typo apart are two people's, whatever EM makes of namesakes at one
        # employer and postcode (an anchor: no anchor refit measures its m), so they veto
        _exact_or_edits(
            "national_id",
            2,
            different_m=0.005,
            conflict_on_else=True,
            anchor=True,
            tells_apart=True,
        ),
        _exact_any("email"),
        _exact_any("phone", tells_apart_with=("employer", "job_title")),
        Comparison(
            name="employer",
            feature="employer",
            levels=[
                ComparisonLevel(
                    label="other personal mailboxes at one employer",
                    kind="other_value",
                    feature="mailbox_employer",
                    other="email",
                    m=0.02,
                ),
                ComparisonLevel(label="an employer in common", kind="exact", m=0.88),
                ComparisonLevel(label="none in common", kind="else", m=0.1),
            ],
            trained=False,
        ),
        _jaro_winkler("job_title", 0.92, term_frequency=True),
        *_address_comparisons(),
    ],
    deterministic_rules=[
        DeterministicRule(
            name="same national id", exact=["national_id"], compatible=["given_name", "family_name"]
        ),
        DeterministicRule(
            name="same email and compatible name",
            exact=["email"],
            compatible=["given_name", "family_name", "birth_date"],
        ),
    ],
)

ORGANIZATION_DEFAULTS = EntitySettings(
    blocking_rules=[
        BlockingRule(name="tax_id", keys=["tax_id"]),
        BlockingRule(name="domain", keys=["domain"]),
        BlockingRule(name="phone", keys=["phone"]),
        BlockingRule(name="name", keys=["name"]),
        BlockingRule(name="name_token_city", keys=["name_tokens", "city"]),
    ],
    comparisons=[
        Comparison(
            name="name",
            feature="name",
            levels=[
                ComparisonLevel(label="exact", kind="exact"),
                ComparisonLevel(label="Jaro-Winkler >= 0.94", kind="jaro_winkler", threshold=0.94),
                ComparisonLevel(label="Jaro-Winkler >= 0.85", kind="jaro_winkler", threshold=0.85),
                ComparisonLevel(label="different", kind="else"),
            ],
            term_frequency=True,
            tells_apart=True,
        ),
        _exact_or_edits("tax_id", 1, conflict_on_else=True, anchor=True, tells_apart=True),
        _exact_any("domain"),
        _exact_any("phone"),
        *_address_comparisons(),
    ],
    deterministic_rules=[
        DeterministicRule(name="same tax id", exact=["tax_id"]),
        DeterministicRule(
            name="same domain and compatible name", exact=["domain"], compatible=["name"]
        ),
    ],
)


class ResolutionSettings(_Strict):
    """The `resolution:` section of relhub.yaml."""

    person: EntitySettings = PERSON_DEFAULTS
    organization: EntitySettings = ORGANIZATION_DEFAULTS
    match_probability: float = Field(default=0.99, gt=0, lt=1)
    review_probability: float = Field(default=0.5, gt=0, lt=1)
    strong_link_probability: float = Field(
        default=0.9999,
        gt=0,
        lt=1,
        description="Links below this are weak: they may not bridge two multi-record clusters.",
    )
    conflict_max_m: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="A conflict level vetoes matches only if true matches reach it at most "
        "this often (fitted m).",
    )
    anchor_min_pairs: int = Field(
        default=100,
        ge=1,
        description="Pairs tied by an unshared identifier needed to "
        "re-estimate how often true matches differ on a field (else EM's m stands). At "
        "100, a level no anchor pair reaches gets m <= 0.005, below `conflict_max_m`.",
    )
    max_block_size: int = Field(default=2000, ge=2, description="Larger blocks are skipped.")
    u_sample_pairs: int = Field(default=300_000, ge=1000)
    em_max_iterations: int = Field(default=50, ge=1)
    em_tolerance: float = Field(default=1e-5, gt=0)
    max_expected_matches: float = Field(
        default=1.0,
        gt=0,
        description="Estimating the prior, a record counts in at most this "
        "many matches (namesakes and colleagues must not look like one person's duplicates).",
    )
    shared_identifier_max_weight: float = Field(
        default=1.0, description="Cap (log2) on agreement on a value different people share."
    )
    survivorship: SurvivorshipSettings = Field(default_factory=SurvivorshipSettings)
    seed: int = 20240601
    nicknames: bool = True
    gmail_dots: bool = True
    plus_tags: bool = True
    default_phone_region: str | None = "ES"

    @model_validator(mode="after")
    def _review_below_match(self) -> ResolutionSettings:
        if self.review_probability > self.match_probability:
            raise ValueError("review_probability must not exceed match_probability")
        return self

    def for_kind(self, kind: str) -> EntitySettings:
        return self.person if kind == "person" else self.organization


class StewardConstraints(_Strict):
    """Steward decisions; a pair names two records by index (int) or record key (str)."""

    must_link: list[tuple[int | str, int | str]] = Field(default_factory=list)
    cannot_link: list[tuple[int | str, int | str]] = Field(default_factory=list)
