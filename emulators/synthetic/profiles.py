"""What each source system keeps about a person, and how it names its records."""

from __future__ import annotations

from dataclasses import dataclass

from emulators.synthetic.plan import PRESENCE_FIELDS


@dataclass(frozen=True)
class SystemProfile:
    """Presence is the chance a field is filled; a system keeps one email unless it is HR.

    A system that is not ``work_email_only`` holds the email the person prefers to give
    (work or personal), and the other one now and then.
    """

    objects: tuple[str, ...]
    work_email_only: bool
    phone_mix: tuple[float, float, float]  # switchboard, mobile, home landline
    presence: dict[str, float]
    surname_forms: tuple[float, float] = (0.55, 0.92)  # both surnames below, first one below


def _presence(**filled: float) -> dict[str, float]:
    return dict.fromkeys(PRESENCE_FIELDS, 0.0) | filled


PROFILES: dict[str, SystemProfile] = {
    "salesforce": SystemProfile(
        objects=("Contact", "Lead"),
        work_email_only=False,
        phone_mix=(0.25, 0.7, 0.05),
        presence=_presence(
            given_name=0.98,
            email=0.95,
            phone=0.8,
            mobile=0.55,
            birth_date=0.3,
            street=0.45,
            city=0.7,
            postcode=0.5,
            company=0.95,
            job_title=0.7,
        ),
    ),
    "hubspot": SystemProfile(
        objects=("contact",),
        work_email_only=False,
        phone_mix=(0.1, 0.8, 0.1),
        presence=_presence(
            given_name=0.95,
            email=0.98,
            phone=0.65,
            birth_date=0.1,
            street=0.1,
            city=0.45,
            postcode=0.2,
            company=0.6,
            job_title=0.4,
        ),
    ),
    "partner_portal": SystemProfile(
        objects=("partner_contact",),
        work_email_only=True,
        phone_mix=(0.3, 0.7, 0.0),
        presence=_presence(given_name=1.0, email=0.95, phone=0.6, company=1.0, job_title=0.3),
    ),
    "hr": SystemProfile(
        objects=("employee",),
        work_email_only=True,
        phone_mix=(0.0, 0.85, 0.15),
        surname_forms=(0.93, 0.97),
        presence=_presence(
            given_name=1.0,
            email=0.97,
            personal_email=0.85,
            phone=0.9,
            birth_date=0.98,
            national_id=0.85,
            street=0.6,
            city=0.95,
            postcode=0.9,
            company=1.0,
            job_title=0.95,
        ),
    ),
    "files": SystemProfile(
        objects=("export",),
        work_email_only=False,
        phone_mix=(0.1, 0.75, 0.15),
        presence=_presence(
            given_name=0.97,
            email=0.9,
            phone=0.7,
            birth_date=0.4,
            street=0.3,
            city=0.5,
            postcode=0.3,
            company=0.5,
            job_title=0.2,
        ),
    ),
}

_ID_FORMATS: dict[str, tuple[str, ...]] = {
    "salesforce": ("003{:015d}", "00Q{:015d}"),
    "hubspot": ("{:d}",),
    "partner_portal": ("PC-{:06d}",),
    "hr": ("E{:06d}",),
    "files": ("row-{:d}",),
}


def record_id(system: str, object_index: int, serial: int) -> str:
    """Ids in each system's own style: Salesforce 18-character ids, HubSpot numbers, …"""
    offset = 100_001 if system == "hubspot" else 0
    return _ID_FORMATS[system][object_index].format(serial + offset)
