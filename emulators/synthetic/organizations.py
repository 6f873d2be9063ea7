"""Organizations of the synthetic world, and their names and domains as sources spell them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from emulators.synthetic import vocabulary as vocab
from emulators.synthetic.noise import slug
from emulators.synthetic.sampling import (
    city_for,
    national_number,
    occurrence_rank,
    phone_parts,
    unique_numbers,
)

OWN_COMPANY = 0
"""Organization 0 is the company running Relhub: its staff are the HR system's people."""
OWN_COMPANY_NAME = "Northwind Iberia"
OWN_COMPANY_DOMAIN = "northwind.es"
_CACHE_SIZE = 1 << 17  # every organization of a million-record world


@dataclass(frozen=True, eq=False)
class Organizations:
    """Identity-hashed (``eq=False``) so that names rendered from it can be cached."""

    country: np.ndarray  # index into vocab.LOCALES
    city: np.ndarray  # index into vocab.CITIES
    brand_head: np.ndarray
    brand_tail: np.ndarray
    sector: np.ndarray
    legal_form: np.ndarray  # index into vocab.LEGAL_FORMS[country]
    switchboard: np.ndarray  # national significant number
    inbox: np.ndarray  # index into vocab.SHARED_INBOXES[country]
    industry: np.ndarray
    kind: np.ndarray  # 0 customer, 1 prospect, 2 partner
    tax_number: np.ndarray
    name_rank: np.ndarray  # tie-breaking number for a brand name already taken

    def __len__(self) -> int:
        return len(self.country)


def build_organizations(rng: np.random.Generator, n: int, partner_share: float) -> Organizations:
    country = rng.choice(4, size=n, p=[0.5, 0.25, 0.13, 0.12])
    country[OWN_COMPANY] = 0
    city = city_for(rng, country, 0.7)
    sector_country = np.array([vocab.LOCALES.index(s[1]) for s in vocab.SECTORS])
    sector = np.empty(n, dtype=np.int64)
    legal_form = np.empty(n, dtype=np.int64)
    inbox = np.empty(n, dtype=np.int64)
    for code, locale in enumerate(vocab.LOCALES):
        mask = country == code
        count = int(mask.sum())
        options = np.flatnonzero((sector_country == code) | (code == 3) & (sector_country == 0))
        sector[mask] = rng.choice(options, size=count)
        legal_form[mask] = rng.integers(0, len(vocab.LEGAL_FORMS[locale]), size=count)
        inbox[mask] = rng.integers(0, len(vocab.SHARED_INBOXES[locale]), size=count)
    combos = len(vocab.BRAND_HEADS) * len(vocab.BRAND_TAILS)
    brand = rng.permutation(max(combos, n))[:n] % combos
    name_key = (brand * len(vocab.SECTORS) + sector) * 4 + country
    area, _, span = phone_parts(city)
    local = span * 3 // 4 + unique_numbers(np.arange(n), span // 4, salt=3)
    kind = rng.choice(3, size=n, p=[0.5, 0.5 - partner_share, partner_share])
    kind[OWN_COMPANY] = 0
    return Organizations(
        country=country,
        city=city,
        brand_head=brand // len(vocab.BRAND_TAILS),
        brand_tail=brand % len(vocab.BRAND_TAILS),
        sector=sector,
        legal_form=legal_form,
        switchboard=national_number(area, local, phone_parts(city)[1]),
        inbox=inbox,
        industry=rng.integers(0, len(vocab.INDUSTRIES), size=n),
        kind=kind,
        tax_number=unique_numbers(np.arange(n), 10**8, salt=5),
        name_rank=occurrence_rank(name_key),
    )


@lru_cache(maxsize=_CACHE_SIZE)
def brand_name(orgs: Organizations, org: int) -> str:
    """The trading name without legal form: "Novatech Soluciones"."""
    if org == OWN_COMPANY:
        return OWN_COMPANY_NAME
    head = vocab.BRAND_HEADS[orgs.brand_head[org]]
    name = f"{head}{vocab.BRAND_TAILS[orgs.brand_tail[org]]} {vocab.SECTORS[orgs.sector[org]][0]}"
    rank = int(orgs.name_rank[org])
    return f"{name} {rank + 1}" if rank else name


@lru_cache(maxsize=_CACHE_SIZE)
def legal_name(orgs: Organizations, org: int, spelling: int = 0) -> str:
    """Brand plus legal form; ``spelling`` picks "S.L." / "SL" / "Sociedad Limitada"."""
    locale = vocab.LOCALES[orgs.country[org]]
    forms = vocab.LEGAL_FORMS[locale][0 if org == OWN_COMPANY else orgs.legal_form[org]]
    return f"{brand_name(orgs, org)} {forms[spelling % len(forms)]}"


def company_as_typed(orgs: Organizations, org: int, draw: float) -> str:
    """How a person record names its employer: often without, sometimes with a legal form."""
    if draw < 0.45:
        return brand_name(orgs, org)
    if draw < 0.9:
        return legal_name(orgs, org)
    if draw < 0.95:
        return legal_name(orgs, org, 1).upper()
    return legal_name(orgs, org, 2)


@lru_cache(maxsize=_CACHE_SIZE)
def domain(orgs: Organizations, org: int) -> str:
    if org == OWN_COMPANY:
        return OWN_COMPANY_DOMAIN
    return slug(brand_name(orgs, org)) + vocab.TLDS[vocab.LOCALES[orgs.country[org]]]


def website(orgs: Organizations, org: int, draw: float) -> str:
    """The same site typed four ways; the domain is what identifies the organization."""
    host = domain(orgs, org)
    styles = (f"https://www.{host}", f"www.{host}", f"http://{host}/", host)
    return styles[int(draw * len(styles)) % len(styles)]
