"""Which person each record is about, which system holds it, and every random draw it needs.

All draws are made up front as arrays, so rendering a chunk needs no generator state:
the output does not depend on the chunk size, and a chunk can be rendered alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from emulators.synthetic.organizations import OWN_COMPANY
from emulators.synthetic.population import Population

SYSTEMS: tuple[str, ...] = ("salesforce", "hubspot", "partner_portal", "hr", "files")
SCALE_MIX: dict[str, float] = {
    "salesforce": 0.4,
    "hubspot": 0.25,
    "partner_portal": 0.1,
    "hr": 0.05,
    "files": 0.2,
}
RECORDS_PER_PERSON = (np.array([1, 2, 3, 4, 5]), np.array([0.5, 0.28, 0.13, 0.06, 0.03]))
PARTNER_KIND = 2


class Draw:
    """Columns of ``RecordPlan.draws``: one uniform number per decision.

    Plain int constants rather than an IntEnum: they are read tens of times per record.
    """

    ERA: Final = 0
    NICKNAME: Final = 1
    GIVEN_TYPO: Final = 2
    FAMILY_TYPO: Final = 3
    SWAP: Final = 4
    FOLD: Final = 5
    CASE: Final = 6
    SURNAME_FORM: Final = 7
    MIDDLE: Final = 8
    SUFFIX: Final = 9
    EMAIL_KIND: Final = 10
    EMAIL_STYLE: Final = 11
    MAILBOX: Final = 12
    PHONE_KIND: Final = 13
    BIRTH_NOISE: Final = 14
    ID_STYLE: Final = 15
    COMPANY: Final = 16
    OBJECT: Final = 17
    MODIFIED: Final = 18
    PRESENCE: Final = 19  # first of the per-field presence draws


PRESENCE_FIELDS: tuple[str, ...] = (
    "given_name",
    "email",
    "personal_email",
    "phone",
    "mobile",
    "birth_date",
    "national_id",
    "street",
    "city",
    "postcode",
    "company",
    "job_title",
)


@dataclass(frozen=True)
class RecordPlan:
    person: np.ndarray
    system: np.ndarray  # index into SYSTEMS
    serial: np.ndarray  # running number within the system, for its record ids
    draws: np.ndarray  # (n, Draw.PRESENCE + len(PRESENCE_FIELDS)) float32
    entropy: np.ndarray  # int64 bits for typos and formats

    def __len__(self) -> int:
        return len(self.person)


def plan_records(
    population: Population, n_records: int, seed: int, mix: dict[str, float], duplicate_share: float
) -> RecordPlan:
    """Spread ``n_records`` over the population, one system per record.

    A person's records go to distinct systems (in a weighted random order) unless the
    person is one of the ``duplicate_share`` who are held twice in one system. Staff
    always show up in the HR system and most partner staff in the partner portal, so
    people overlap across systems the way they do in a real company.
    """
    rng = np.random.default_rng([seed, 2])
    people = population.people
    order = _system_order(population, rng, mix)
    eligible = (order >= 0).sum(axis=1)
    duplicated = rng.random(len(people)) < duplicate_share
    counts = rng.choice(RECORDS_PER_PERSON[0], size=len(people), p=RECORDS_PER_PERSON[1])
    counts = np.where(duplicated, np.maximum(counts, 2), np.minimum(counts, eligible))
    enough = int(np.searchsorted(np.cumsum(counts), n_records)) + 1
    if enough > len(people):
        raise ValueError(f"population of {len(people)} too small for {n_records} records")
    person = np.repeat(np.arange(enough), counts[:enough])[:n_records]
    position = np.arange(n_records) - np.searchsorted(person, person)
    slot = np.where(duplicated[person], np.maximum(position - 1, 0), position) % eligible[person]
    system = order[person, slot]

    shuffle = rng.permutation(n_records)
    person, system = person[shuffle], system[shuffle]
    serial = np.empty(n_records, dtype=np.int64)
    for code in range(len(SYSTEMS)):
        mask = system == code
        serial[mask] = np.arange(int(mask.sum()))
    width = Draw.PRESENCE + len(PRESENCE_FIELDS)
    return RecordPlan(
        person=person,
        system=system,
        serial=serial,
        draws=rng.random((n_records, width), dtype=np.float32),
        entropy=rng.integers(0, 2**62, size=n_records, dtype=np.int64),
    )


def _system_order(
    population: Population, rng: np.random.Generator, mix: dict[str, float]
) -> np.ndarray:
    """Per person, the systems that may hold them in weighted random order, -1 padded.

    Weighted order by Efraimidis–Spirakis keys (u ** (1 / weight)); staff get the HR
    system first, partner staff mostly the partner portal.
    """
    people = population.people
    n = len(people)
    staff = (people.org == OWN_COMPANY) | (people.prev_org == OWN_COMPANY)
    partner_staff = population.orgs.kind[people.org] == PARTNER_KIND
    keys = np.full((n, len(SYSTEMS)), -1.0)
    for name, weight in mix.items():
        keys[:, SYSTEMS.index(name)] = rng.random(n) ** (1 / weight)
    hr, partner = SYSTEMS.index("hr"), SYSTEMS.index("partner_portal")
    keys[:, partner] = np.where(partner_staff, keys[:, partner], -1.0)
    keys[partner_staff & (rng.random(n) < 0.7), partner] = 2.0
    keys[:, hr] = np.where(staff, np.where(keys[:, hr] >= 0, 3.0, -1.0), -1.0)
    order = np.argsort(-keys, axis=1)
    return np.where(np.take_along_axis(keys, order, axis=1) >= 0, order, -1)
