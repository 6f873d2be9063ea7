"""The true world behind the synthetic records: people, households and organizations.

Everything is held as numpy integer codes (indexes into the vocabulary, dates as days,
phone numbers as integers), so a person costs about 200 bytes and a million are built
with array operations in seconds; strings are only rendered when records are. The
structure plants the hard negatives real CRM data is full of: households sharing an
address, a landline and sometimes one mailbox; twins; a father and son with one name;
crowds of namesakes in one city; organizations whose switchboard and shared inbox sit
on many different people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emulators.synthetic import vocabulary as vocab
from emulators.synthetic.organizations import OWN_COMPANY, Organizations, build_organizations
from emulators.synthetic.sampling import (
    city_for,
    national_number,
    occurrence_rank,
    phone_parts,
    unique_numbers,
    zipf_choice,
)

GIVEN_NAMES: tuple[str, ...] = (
    vocab.SPANISH_FEMALE + vocab.SPANISH_MALE + vocab.ENGLISH_FEMALE + vocab.ENGLISH_MALE
)
SURNAMES: tuple[str, ...] = vocab.SPANISH_SURNAMES + vocab.ENGLISH_SURNAMES
_GIVEN_BLOCKS = {  # (spanish, female) -> (offset, size) in GIVEN_NAMES
    (True, True): (0, len(vocab.SPANISH_FEMALE)),
    (True, False): (len(vocab.SPANISH_FEMALE), len(vocab.SPANISH_MALE)),
    (False, True): (len(vocab.SPANISH_FEMALE) * 2, len(vocab.ENGLISH_FEMALE)),
    (False, False): (
        len(vocab.SPANISH_FEMALE) * 2 + len(vocab.ENGLISH_FEMALE),
        len(vocab.ENGLISH_MALE),
    ),
}
_SURNAME_BLOCKS = {
    True: (0, len(vocab.SPANISH_SURNAMES)),
    False: (len(vocab.SPANISH_SURNAMES), len(vocab.ENGLISH_SURNAMES)),
}
_BLOCK_OFFSET = np.concatenate([np.full(size, offset) for offset, size in _GIVEN_BLOCKS.values()])
_BLOCK_SIZE = np.concatenate([np.full(size, size) for _, size in _GIVEN_BLOCKS.values()])

EPOCH = np.datetime64("1970-01-01", "D")
TODAY_DAYS = int((np.datetime64("2026-03-01", "D") - EPOCH).astype(int))
NAMESAKES = (
    ("María", "García", "López", "Madrid"),
    ("José", "Martínez", "Sánchez", "Sevilla"),
    ("John", "Smith", None, "London"),
)


@dataclass(frozen=True)
class PopulationShape:
    """The knobs that differ between the demo sample and the scale benchmark."""

    employee_share: float = 0.03
    former_employee_share: float = 0.015
    job_change_share: float = 0.15
    people_per_org: int = 40  # of the population, of whom about 60% appear in records
    partner_org_share: float = 0.2


@dataclass(frozen=True)
class People:
    locale: np.ndarray
    female: np.ndarray
    given: np.ndarray  # index into GIVEN_NAMES
    middle: np.ndarray  # index into vocab.MIDDLE_INITIALS, -1 without
    surname1: np.ndarray  # index into SURNAMES
    surname2: np.ndarray  # index into SURNAMES, -1 for English names
    birth_days: np.ndarray  # days since 1970-01-01
    dni_number: np.ndarray  # -1 without a Spanish national id
    mobile: np.ndarray
    household: np.ndarray
    junior: np.ndarray  # a son who carries his father's name
    twin_of: np.ndarray  # the twin sibling's index, -1 for everyone else
    maiden: np.ndarray  # index into SURNAMES of a surname given up at marriage, -1 without
    org: np.ndarray
    prev_org: np.ndarray  # -1 for people who never changed jobs
    title: np.ndarray
    prev_title: np.ndarray
    email_style: np.ndarray
    prefers_personal: np.ndarray  # gives a private mailbox rather than the work one
    email_provider: np.ndarray
    email_rank: np.ndarray  # tie-breaking number for a handle already taken
    alt_provider: np.ndarray  # a second personal mailbox, -1 without
    work_rank: np.ndarray
    prev_work_rank: np.ndarray

    def __len__(self) -> int:
        return len(self.locale)


@dataclass(frozen=True)
class Households:
    city: np.ndarray
    street: np.ndarray
    number: np.ndarray
    postcode: np.ndarray  # two or three digits appended to the city's prefix
    landline: np.ndarray
    family_email_rank: np.ndarray  # -1: no shared family mailbox


@dataclass(frozen=True)
class Population:
    people: People
    households: Households
    orgs: Organizations


def _household_layout(rng: np.random.Generator, n_people: int) -> tuple[np.ndarray, np.ndarray]:
    """Household id and member position (0 head, 1 partner, 2+ children) per person."""
    sizes = rng.choice([1, 2, 3, 4], size=n_people, p=[0.5, 0.22, 0.16, 0.12])
    count = int(np.searchsorted(np.cumsum(sizes), n_people)) + 1
    household = np.repeat(np.arange(count), sizes[:count])[:n_people]
    starts = np.searchsorted(household, np.arange(count))
    return household, np.arange(n_people) - starts[household]


def build_population(n_people: int, seed: int, shape: PopulationShape) -> Population:
    """People in households (head, partner, children), with jobs, mailboxes and phones."""
    rng = np.random.default_rng([seed, 1])
    orgs = build_organizations(
        rng, max(20, n_people // shape.people_per_org), shape.partner_org_share
    )
    household, member = _household_layout(rng, n_people)
    n_households = int(household[-1]) + 1
    house_size = np.bincount(household)
    h_locale = rng.choice(4, size=n_households, p=[0.5, 0.22, 0.13, 0.15])
    locale = h_locale[household]
    spanish = np.isin(locale, list(vocab.SPANISH_LOCALES))

    female = rng.random(n_people) < 0.5
    female[member == 1] = ~female[np.flatnonzero(member == 1) - 1]
    junior = (member == 2) & (house_size[household] >= 3) & (rng.random(n_people) < 0.25)
    heads_of_juniors = np.flatnonzero(junior) - 2
    female[junior] = False
    female[heads_of_juniors] = False
    twins = (member == 3) & (rng.random(n_people) < 0.35)

    given = np.empty(n_people, dtype=np.int64)
    for (is_spanish, is_female), (offset, size) in _GIVEN_BLOCKS.items():
        mask = (spanish == is_spanish) & (female == is_female)
        given[mask] = offset + zipf_choice(rng, size, int(mask.sum()), 0.8)
    given[junior] = given[heads_of_juniors]
    twin_siblings = np.flatnonzero(twins) - 1
    same_name = np.flatnonzero(twins)[given[twins] == given[twin_siblings]]
    offset, size = _BLOCK_OFFSET[given[same_name]], _BLOCK_SIZE[given[same_name]]
    given[same_name] = offset + (given[same_name] - offset + 1) % size

    names = np.empty((4, n_households), dtype=np.int64)  # head s1, head s2, spouse s1, s2
    for is_spanish, (offset, size) in _SURNAME_BLOCKS.items():
        mask = np.isin(h_locale, list(vocab.SPANISH_LOCALES)) == is_spanish
        names[:, mask] = offset + zipf_choice(rng, size, 4 * int(mask.sum()), 0.85).reshape(4, -1)
    surname1 = names[0, household].copy()
    surname2 = np.where(spanish, names[1, household], -1)
    spouse = member == 1
    keeps_own = spouse & (spanish | (rng.random(n_people) < 0.3))
    surname1[keeps_own] = names[2, household[keeps_own]]
    surname2[spouse & spanish] = names[3, household[spouse & spanish]]
    child = member >= 2
    surname2[child & spanish] = names[2, household[child & spanish]]

    head_birth = TODAY_DAYS - rng.integers(25 * 365, 80 * 365, size=n_households)
    head_birth[house_size >= 3] -= 20 * 365
    birth = head_birth[household] + rng.integers(-6 * 365, 6 * 365, size=n_people)
    birth[member == 0] = head_birth[household[member == 0]]
    birth[child] = head_birth[household[child]] + rng.integers(22 * 365, 36 * 365, int(child.sum()))
    birth[twins] = birth[twin_siblings]
    twin_of = np.full(n_people, -1)
    twin_of[twins], twin_of[twin_siblings] = twin_siblings, np.flatnonzero(twins)

    h_city = city_for(rng, h_locale, 0.8)
    singles = np.flatnonzero(house_size[household] == 1)
    _plant_namesakes(rng, singles, locale, given, surname1, surname2, female, h_city, household)
    middle = np.where(
        (surname2 < 0) & (rng.random(n_people) < 0.35),
        rng.integers(0, len(vocab.MIDDLE_INITIALS), n_people),
        -1,
    )

    own_org, prev_org, title, prev_title = _careers(rng, locale, orgs, shape)
    style = rng.integers(0, 5, n_people)
    provider = zipf_choice(rng, 4, n_people, 1.2)
    first_letter = np.array([ord(g[0]) for g in GIVEN_NAMES])[given]
    handle_name = np.where(style == 2, first_letter, given)
    # "ana.garcia" and "anagarcia" are one Gmail mailbox: rank them as one handle, so two
    # different people never share a mailbox that only dots tell apart.
    handle_style = np.where(style == 1, 0, style)
    email_key = (((handle_style * 8 + provider) * 1000 + handle_name) * 1000 + surname1) * 1000 + (
        np.where(style == 4, surname2 + 1, 0)
    )
    alt = rng.integers(1, 4, n_people)
    people = People(
        locale=locale,
        female=female,
        given=given,
        middle=middle,
        surname1=surname1,
        surname2=surname2,
        birth_days=birth,
        dni_number=np.where(
            (locale == 0) & (rng.random(n_people) < 0.9),
            unique_numbers(np.arange(n_people), 10**8, salt=11),
            -1,
        ),
        mobile=_mobiles(locale, h_city[household]),
        household=household,
        junior=junior,
        twin_of=twin_of,
        maiden=np.where(spouse & ~keeps_own, names[2, household], -1),
        org=own_org,
        prev_org=prev_org,
        title=title,
        prev_title=prev_title,
        email_style=style,
        prefers_personal=rng.random(n_people) < 0.25,
        email_provider=provider,
        email_rank=occurrence_rank(email_key),
        alt_provider=np.where(rng.random(n_people) < 0.25, (provider + alt) % 4, -1),
        work_rank=occurrence_rank((given * 1000 + surname1) * 10**7 + own_org),
        prev_work_rank=occurrence_rank((given * 1000 + surname1) * 10**7 + prev_org),
    )
    return Population(people=people, households=_households(rng, h_city, house_size), orgs=orgs)


def _plant_namesakes(
    rng: np.random.Generator,
    singles: np.ndarray,
    locale: np.ndarray,
    given: np.ndarray,
    surname1: np.ndarray,
    surname2: np.ndarray,
    female: np.ndarray,
    h_city: np.ndarray,
    household: np.ndarray,
) -> None:
    """Turn some one-person households into crowds of one name in one city (in place)."""
    crowd = max(6, len(locale) // 600)
    chosen = rng.choice(singles, size=min(len(singles), crowd * len(NAMESAKES)), replace=False)
    city_names = [c[0] for c in vocab.CITIES]
    for group, (first, last1, last2, city) in enumerate(NAMESAKES):
        people = chosen[group * crowd : (group + 1) * crowd]
        city_index = city_names.index(city)
        locale[people] = vocab.CITIES[city_index][2]
        given[people] = GIVEN_NAMES.index(first)
        female[people] = first == "María"
        surname1[people] = SURNAMES.index(last1)
        surname2[people] = SURNAMES.index(last2) if last2 else -1
        h_city[household[people]] = city_index


def _careers(
    rng: np.random.Generator, locale: np.ndarray, orgs: Organizations, shape: PopulationShape
) -> tuple[np.ndarray, ...]:
    """Current and previous employer and title; the own company's staff and alumni."""
    n = len(locale)
    org = np.empty(n, dtype=np.int64)
    prev = np.empty(n, dtype=np.int64)
    for code in range(4):
        mask = locale == code
        options = np.flatnonzero(orgs.country == code)
        options = options[options != OWN_COMPANY]
        options = rng.permutation(options)
        org[mask] = options[zipf_choice(rng, len(options), int(mask.sum()), 0.75)]
        prev[mask] = options[zipf_choice(rng, len(options), int(mask.sum()), 0.75)]
    draw = rng.random(n)
    spanish = locale == 0
    org[spanish & (draw < shape.employee_share)] = OWN_COMPANY
    changed = draw > 1 - shape.job_change_share
    prev[spanish & (draw > 1 - shape.former_employee_share)] = OWN_COMPANY
    prev[~changed | (prev == org)] = -1
    titles = len(vocab.JOB_TITLES)
    return org, prev, rng.integers(0, titles, n), rng.integers(0, titles, n)


def _mobiles(locale: np.ndarray, city: np.ndarray) -> np.ndarray:
    """ES mobiles start with 6, GB with 7; US and MX mobiles carry the city's area code."""
    index = np.arange(len(locale))
    area, length, span = phone_parts(city)
    local = unique_numbers(index, span // 2, salt=7)
    numbers = national_number(area, local, length)
    numbers[locale == 0] = 600_000_000 + unique_numbers(index, 10**8, salt=13)[locale == 0]
    numbers[locale == 2] = 7_000_000_000 + unique_numbers(index, 10**9, salt=17)[locale == 2]
    return numbers


def _households(rng: np.random.Generator, city: np.ndarray, size: np.ndarray) -> Households:
    n = len(city)
    area, length, span = phone_parts(city)
    local = span // 2 + unique_numbers(np.arange(n), span // 4, salt=19)
    shares_mailbox = (size >= 2) & (rng.random(n) < 0.2)
    return Households(
        city=city,
        street=rng.integers(0, 8, n),
        number=rng.integers(1, 180, n),
        postcode=rng.integers(0, 60, n),
        landline=national_number(area, local, length),
        family_email_rank=np.where(shares_mailbox, np.cumsum(shares_mailbox) - 1, -1),
    )
