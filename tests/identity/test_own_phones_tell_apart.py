"""A mailbox that records with phones of their own and other employers or job titles share
(a family's, or a work mailbox reissued to a namesake after a leaver) links nobody by
itself; one person's job change keeps its personal mailbox's link."""

from __future__ import annotations

import numpy as np
from personfixtures import make_person

from identity.engine import resolve_batch
from identity.records import PersonRecord

EMPLOYERS = ["Acme", "Initech", "Globex", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne"]
GIVEN = ["Anna", "Brian", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Irene", "Jack"]


def _labels(population: list[PersonRecord], records: list[PersonRecord]) -> np.ndarray:
    """Labels of `records` resolved beside the population, its people given employers (as
    company records have: most pairs then work elsewhere) and a crowd of Smiths (as
    common a name as on a US company's records)."""
    employed = [
        r.model_copy(update={"organization_name": EMPLOYERS[i // 2 % len(EMPLOYERS)]})
        for i, r in enumerate(population)
    ]
    smiths = [
        make_person(given_name=g, family_name="Smith", organization_name=e)
        for g in GIVEN
        for e in EMPLOYERS[:3]
    ]
    background = [*employed, *smiths]
    return resolve_batch([*background, *records]).labels[len(background) :]


def test_a_family_mailbox_does_not_join_three_elizabeth_smiths(
    population: list[PersonRecord],
) -> None:
    """Three relatives named Elizabeth (a Betty, a Liz) on one family mailbox, each at
    another employer, two with phones of their own: the same-email rule linked all three."""
    mailbox = {"family_name": "Smith", "emails": ["thesmiths607@outlook.com"]}
    labels = _labels(
        population,
        [
            make_person(given_name="Betty", organization_name="Quantumpoint Industries", **mailbox),
            make_person(
                given_name="Elizabeth",
                organization_name="Tajoenergy Solutions",
                job_title="Marketing Director",
                phones=["+16173876366"],
                **mailbox,
            ),
            make_person(
                given_name="Liz",
                organization_name="Sierralink Holdings",
                phones=["+16173995153"],
                **mailbox,
            ),
        ],
    )
    assert len(np.unique(labels)) == 3


def test_a_work_mailbox_reissued_after_a_leaver_does_not_join_two_namesakes(
    population: list[PersonRecord],
) -> None:
    """A former and a current Charles Smith, each given charles.smith1@ in turn: other
    phones of their own and other job titles at the one employer."""
    work = {
        "given_name": "Charles",
        "family_name": "Smith",
        "emails": ["charles.smith1@quantumpointindustries.com"],
        "organization_name": "Quantumpoint Industries",
    }
    labels = _labels(
        population,
        [
            make_person(job_title="Operations Manager", phones=["+14154119436"], **work),
            make_person(job_title="Data Analyst", phones=["+16178132787", "+12060958854"], **work),
        ],
    )
    assert labels[0] != labels[1]


def test_a_job_change_keeps_the_personal_mailbox_link(population: list[PersonRecord]) -> None:
    """One person's personal mailbox before and after a job change: the old record gives
    the old employer's switchboard (colleagues give it too), the new one a mobile; another
    record without a phone. Only phones of their own that differ tell two people apart."""
    switchboard = ["+34915550000"]
    colleagues = [
        make_person(given_name=g, family_name=f, organization_name="Acme", phones=switchboard)
        for g, f in [("Luis", "Mora Vela"), ("Eva", "Soto Paz"), ("Juan", "Vidal Ros")]
    ]
    ana = {"given_name": "Ana", "family_name": "Ruiz Gil", "emails": ["ana.ruiz.gil@gmail.com"]}
    labels = _labels(
        population,
        [
            *colleagues,
            make_person(organization_name="Acme", job_title="Analyst", phones=switchboard, **ana),
            make_person(
                organization_name="Initech", job_title="Manager", phones=["+34600111222"], **ana
            ),
            make_person(organization_name="Initech", **ana),
        ],
    )
    assert labels[3] == labels[4] == labels[5]
    assert len(np.unique(labels[:3])) == 3 and labels[3] not in labels[:3]
