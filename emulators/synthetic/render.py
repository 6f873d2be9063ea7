"""Render planned records into the strings a source system would hold, noise included.

Per-person values are gathered with numpy for a whole chunk; only the string building
runs per record. A chunk comes back as columns (name -> list), the cheapest shape for
both a DataFrame and a stream of canonical records.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from emulators.synthetic import noise
from emulators.synthetic import vocabulary as vocab
from emulators.synthetic.organizations import OWN_COMPANY, company_as_typed, domain
from emulators.synthetic.plan import PRESENCE_FIELDS, SYSTEMS, Draw, RecordPlan
from emulators.synthetic.population import EPOCH, GIVEN_NAMES, SURNAMES, TODAY_DAYS, Population
from emulators.synthetic.profiles import PROFILES, record_id

COLUMNS: tuple[str, ...] = (
    "record_id",
    "system",
    "object",
    "truth_person_id",
    "truth_org_id",
    "current_job",
    "given_name",
    "middle_name",
    "family_name",
    "full_name",
    "email",
    "personal_email",
    "phone",
    "mobile",
    "birth_date",
    "national_id",
    "street",
    "city",
    "postcode",
    "country",
    "company",
    "job_title",
    "modified_at",
)
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_SPANISH = tuple(code in vocab.SPANISH_LOCALES for code in range(len(vocab.LOCALES)))
_THREE_YEARS = 3 * 365 * 86_400
_OTHER_EMAIL_SHARE = 0.1
_PRESENCE = {name: Draw.PRESENCE + i for i, name in enumerate(PRESENCE_FIELDS)}


def render_chunk(
    population: Population, plan: RecordPlan, start: int, stop: int
) -> dict[str, list[Any]]:
    """Columns for records ``start:stop`` of the plan."""
    people, orgs, homes = population.people, population.orgs, population.households
    who = plan.person[start:stop]
    changed = people.prev_org[who] >= 0
    draws = plan.draws[start:stop]
    system = plan.system[start:stop]
    old_era = changed & (draws[:, Draw.ERA] < 0.25)
    hr, partner = SYSTEMS.index("hr"), SYSTEMS.index("partner_portal")
    old_era[system == partner] = False
    old_era[system == hr] = people.org[who[system == hr]] != OWN_COMPANY
    org = np.where(old_era, people.prev_org[who], people.org[who])
    house = people.household[who]
    g = _Gathered(
        who=who.tolist(),
        org=org.tolist(),
        current=(~old_era).tolist(),
        locale=people.locale[who].tolist(),
        given=people.given[who].tolist(),
        middle=people.middle[who].tolist(),
        s1=people.surname1[who].tolist(),
        s2=people.surname2[who].tolist(),
        junior=people.junior[who].tolist(),
        birth=np.datetime_as_string(EPOCH + people.birth_days[who], unit="D").tolist(),
        dni=people.dni_number[who].tolist(),
        mobile=people.mobile[who].tolist(),
        title=np.where(old_era, people.prev_title[who], people.title[who]).tolist(),
        style=people.email_style[who].tolist(),
        provider=people.email_provider[who].tolist(),
        prefers_personal=people.prefers_personal[who].tolist(),
        rank=people.email_rank[who].tolist(),
        alt=people.alt_provider[who].tolist(),
        work_rank=np.where(old_era, people.prev_work_rank[who], people.work_rank[who]).tolist(),
        org_country=orgs.country[org].tolist(),
        switchboard=orgs.switchboard[org].tolist(),
        inbox=orgs.inbox[org].tolist(),
        city=homes.city[house].tolist(),
        street=homes.street[house].tolist(),
        number=homes.number[house].tolist(),
        postcode=homes.postcode[house].tolist(),
        landline=homes.landline[house].tolist(),
        family_mail=homes.family_email_rank[house].tolist(),
    )
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    systems, serials = system.tolist(), plan.serial[start:stop].tolist()
    entropy = plan.entropy[start:stop].tolist()
    for i, row_draws in enumerate(draws.tolist()):
        record = _render_one(
            population, g, i, SYSTEMS[systems[i]], serials[i], row_draws, entropy[i]
        )
        for name in COLUMNS:
            columns[name].append(record[name])
    return columns


class _Gathered:
    """Per-person values of one chunk as Python lists (fast per-record access)."""

    def __init__(self, **lists: list[Any]) -> None:
        self.__dict__.update(lists)


def _render_one(
    population: Population,
    g: Any,
    i: int,
    system: str,
    serial: int,
    draws: list[float],
    entropy: int,
) -> dict[str, Any]:
    profile = PROFILES[system]
    locale = g.locale[i]
    object_index = 0 if draws[Draw.OBJECT] < 0.7 else len(profile.objects) - 1
    names = _names(g, i, draws, entropy, profile.surname_forms)
    fold = _SPANISH[locale] and draws[Draw.FOLD] < 0.4
    city = vocab.CITIES[g.city[i]]
    record: dict[str, Any] = {
        "record_id": record_id(system, object_index, serial),
        "system": system,
        "object": profile.objects[object_index],
        "truth_person_id": g.who[i],
        "truth_org_id": g.org[i],
        "current_job": g.current[i],
        "email": "",
        "personal_email": "",
        "phone": "",
        "mobile": "",
        "birth_date": _birth_date(g.birth[i], draws[Draw.BIRTH_NOISE]),
        "national_id": _national_id(g.dni[i], draws[Draw.ID_STYLE]),
        "street": _street(locale, g.street[i], g.number[i]),
        "city": city[0],
        "postcode": _postcode(city, g.postcode[i]),
        "country": vocab.LOCALES[locale],
        "company": company_as_typed(population.orgs, g.org[i], draws[Draw.COMPANY]),
        "job_title": vocab.JOB_TITLES[g.title[i]],
        "modified_at": int((TODAY_DAYS * 86_400) - draws[Draw.MODIFIED] * _THREE_YEARS),
        **names,
    }
    work, personal = _work_email(population, g, i, draws, entropy), _personal_email(g, i, draws)
    if system == "hr":
        record["email"], record["personal_email"] = work, personal
    else:
        use_personal = g.prefers_personal[i] != (draws[Draw.EMAIL_KIND] < _OTHER_EMAIL_SHARE)
        record["email"] = personal if use_personal and not profile.work_email_only else work
    record["email"] = noise.email_variant(
        *record["email"].split("@"), draws[Draw.EMAIL_STYLE], entropy >> 3
    )
    record["phone"] = _phone(g, i, profile.phone_mix, draws[Draw.PHONE_KIND], entropy >> 7)
    record["mobile"] = noise.format_phone(g.mobile[i], locale, entropy >> 13)
    strong = ("email", "personal_email", "phone", "mobile", "birth_date", "national_id")
    kept = {name: record[name] for name in strong}
    for name, column in _PRESENCE.items():
        if draws[column] >= profile.presence[name]:
            record[name] = ""
    if not any(record[name] for name in strong):
        record["email"] = kept["email"]
    if not record["given_name"]:
        record["full_name"] = record["family_name"]
    if fold:
        for name in ("given_name", "family_name", "full_name", "street", "city"):
            record[name] = noise.fold_accents(record[name])
    return record


def _names(
    g: Any, i: int, draws: list[float], entropy: int, surname_forms: tuple[float, float]
) -> dict[str, str]:
    given = GIVEN_NAMES[g.given[i]]
    nicknames = vocab.NICKNAMES.get(given)
    if nicknames and draws[Draw.NICKNAME] < 0.12:
        given = nicknames[entropy % len(nicknames)]
    elif " " in given and draws[Draw.NICKNAME] > 0.8:
        given = given.split()[0]
    s1 = SURNAMES[g.s1[i]]
    if g.s2[i] >= 0:
        s2, form = SURNAMES[g.s2[i]], draws[Draw.SURNAME_FORM]
        both, first_only = surname_forms
        family = f"{s1} {s2}" if form < both else s1 if form < first_only else f"{s1}-{s2}"
    else:
        family = f"{s1} Jr." if g.junior[i] and draws[Draw.SUFFIX] < 0.5 else s1
    middle = vocab.MIDDLE_INITIALS[g.middle[i]] if g.middle[i] >= 0 else ""
    if draws[Draw.MIDDLE] >= 0.5:
        middle = ""
    if draws[Draw.GIVEN_TYPO] < 0.03:
        given = noise.typo(given, entropy >> 5)
    if draws[Draw.FAMILY_TYPO] < 0.03:
        family = noise.typo(family, entropy >> 11)
    if draws[Draw.SWAP] < 0.015:
        given, family = family, given
    given, family = noise.recase(given, draws[Draw.CASE]), noise.recase(family, draws[Draw.CASE])
    full = " ".join(part for part in (given, f"{middle}." if middle else "", family) if part)
    return {"given_name": given, "middle_name": middle, "family_name": family, "full_name": full}


def _work_email(population: Population, g: Any, i: int, draws: list[float], entropy: int) -> str:
    """first.last@company; a shared inbox (info@, ventas@) stands in for a few people."""
    host = domain(population.orgs, g.org[i])
    if draws[Draw.MAILBOX] < 0.06:
        return f"{vocab.SHARED_INBOXES[vocab.LOCALES[g.org_country[i]]][g.inbox[i]]}@{host}"
    rank = g.work_rank[i]
    handle = f"{noise.slug(GIVEN_NAMES[g.given[i]])}.{noise.slug(SURNAMES[g.s1[i]])}"
    return f"{handle}{rank if rank else ''}@{host}"


def _personal_email(g: Any, i: int, draws: list[float]) -> str:
    """The person's own mailbox, a second one elsewhere, or the family's shared one."""
    providers = vocab.FREE_MAIL[vocab.LOCALES[g.locale[i]]]
    s1 = noise.slug(SURNAMES[g.s1[i]])
    draw = draws[Draw.MAILBOX]
    if g.family_mail[i] >= 0 and draw > 0.6:
        prefix = f"familia.{s1}" if _SPANISH[g.locale[i]] else f"the{s1}s"
        return f"{prefix}{g.family_mail[i]}@{providers[g.family_mail[i] % len(providers)]}"
    given = noise.slug(GIVEN_NAMES[g.given[i]])
    s2 = noise.slug(SURNAMES[g.s2[i]]) if g.s2[i] >= 0 else ""
    style = g.style[i]
    handle = (
        f"{given}.{s1}",
        f"{given}{s1}",
        f"{given[0]}{s1}",
        f"{given}_{s1}",
        f"{given}.{s1}.{s2}" if s2 else f"{s1}.{given}",
    )[style]
    rank = g.rank[i]
    provider = g.alt[i] if g.alt[i] >= 0 and draw < 0.2 else g.provider[i]
    return f"{handle}{rank if rank else ''}@{providers[provider % len(providers)]}"


def _phone(g: Any, i: int, mix: tuple[float, float, float], draw: float, entropy: int) -> str:
    if draw < mix[0]:
        return noise.format_phone(g.switchboard[i], g.org_country[i], entropy)
    if draw < mix[0] + mix[1]:
        return noise.format_phone(g.mobile[i], g.locale[i], entropy)
    return noise.format_phone(g.landline[i], g.locale[i], entropy)


def _birth_date(iso: str, draw: float) -> str:
    """ISO date; a few swap day and month, a few carry a wrong year."""
    if draw < 0.015 and int(iso[8:]) <= 12:
        return f"{iso[:4]}-{iso[8:]}-{iso[5:7]}"
    if draw < 0.025:
        return f"{int(iso[:4]) + (1 if draw < 0.02 else -1)}{iso[4:]}"
    return iso


def _national_id(number: int, draw: float) -> str:
    """Spanish DNI: eight digits and the check letter, written three ways."""
    if number < 0:
        return ""
    letter = _DNI_LETTERS[number % 23]
    if draw < 0.05:
        return f"{number:08d}{letter.lower()}"
    if draw < 0.08:
        return f"{number:08d}-{letter}"
    return f"{number:08d}{letter}"


def _street(locale: int, street: int, number: int) -> str:
    names = vocab.STREETS[vocab.LOCALES[locale]]
    name = names[street % len(names)]
    return f"{name}, {number}" if _SPANISH[locale] else f"{number} {name}"


def _postcode(city: tuple[str, str, int, str], code: int) -> str:
    prefix, country = city[1], city[2]
    if country == 2:
        return f"{prefix} {code % 9 + 1}{'ABDEFGHJ'[code % 8]}{'LNPQRSTU'[code // 8 % 8]}"
    return f"{prefix}{code:03d}" if country == 3 else f"{prefix}{code:02d}"
