"""Normalizers: turn the many spellings of one value into one comparable key.

Each function is pure and scalar; the engine calls them once per distinct raw value
(never once per record pair), so they may favour clarity over speed.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from identity.nicknames import NICKNAMES

NAME_PARTICLES: frozenset[str] = frozenset(
    {
        "de",
        "del",
        "la",
        "las",
        "los",
        "da",
        "das",
        "do",
        "dos",
        "di",
        "du",
        "van",
        "von",
        "der",
        "den",
        "ter",
        "te",
        "le",
        "y",
        "i",
        "e",
    }
)
LEGAL_FORMS: frozenset[str] = frozenset(
    {
        "sa",
        "sl",
        "sau",
        "slu",
        "sll",
        "scoop",
        "sc",
        "scp",
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "plc",
        "gmbh",
        "ag",
        "kg",
        "co",
        "corp",
        "corporation",
        "company",
        "bv",
        "nv",
        "srl",
        "spa",
        "sas",
        "sarl",
        "oy",
        "ab",
        "as",
        "pty",
    }
)
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.es",
        "outlook.com",
        "outlook.es",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.es",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "protonmail.com",
        "proton.me",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "mail.com",
        "yandex.com",
        "zoho.com",
        "telefonica.net",
        "terra.es",
        "web.de",
        "hotmail.co.uk",
        "hotmail.fr",
        "live.co.uk",
        "yahoo.co.uk",
        "yahoo.com.mx",
        "yahoo.fr",
        "btinternet.com",
        "sky.com",
        "virginmedia.com",
        "talktalk.net",
        "prodigy.net.mx",
        "comcast.net",
        "att.net",
        "verizon.net",
        "orange.fr",
        "free.fr",
        "libero.it",
    }
)
ROLE_MAILBOXES: frozenset[str] = frozenset(
    {
        "info",
        "contact",
        "contacto",
        "hello",
        "hola",
        "office",
        "oficina",
        "sales",
        "ventas",
        "comercial",
        "enquiries",
        "inquiries",
        "admin",
        "administracion",
        "atencion",
        "atencionalcliente",
        "clientes",
        "customerservice",
        "support",
        "soporte",
        "help",
        "ayuda",
        "billing",
        "facturacion",
        "accounts",
        "compras",
        "pedidos",
        "orders",
        "marketing",
        "rrhh",
        "hr",
        "jobs",
        "empleo",
        "reception",
        "recepcion",
        "team",
        "equipo",
        "noreply",
        "no-reply",
        "mail",
        "correo",
        "general",
    }
)
# A family name's last token telling a generation apart ("Peter Scott Jr.", "Manuel
# Esteban hijo"), and the generation it names.
GENERATION_SUFFIXES: dict[str, str] = {
    "jr": "junior",
    "junior": "junior",
    "hijo": "junior",
    "ii": "junior",
    "sr": "senior",
    "senior": "senior",
    "padre": "senior",
    "iii": "third",
    "iv": "fourth",
}
NO_GENERATION = "none"
GMAIL_DOMAINS: frozenset[str] = frozenset({"gmail.com", "googlemail.com"})
STREET_ABBREVIATIONS: dict[str, str] = {
    "street": "st",
    "str": "st",
    "road": "rd",
    "avenue": "av",
    "ave": "av",
    "avenida": "av",
    "avda": "av",
    "calle": "c",
    "cl": "c",
    "plaza": "pl",
    "pza": "pl",
    "paseo": "ps",
    "pso": "ps",
    "place": "pl",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "crescent": "cres",
    "circuit": "cct",
    "boulevard": "blvd",
    "terrace": "tce",
    "close": "cl",
    "highway": "hwy",
    "carrer": "c",
    "carretera": "ctra",
    "numero": "",
    "no": "",
}
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_NON_DIGIT = re.compile(r"[^0-9]+")
_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_PHONE_TAIL, _PHONE_MIN_DIGITS = 9, 7
_DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def fold(text: str | None) -> str:
    """Lower case, accents and other marks removed, punctuation turned into spaces."""
    if not text:
        return ""
    if text.isascii():  # most values: no unicode decomposition needed
        return " ".join(_NON_ALNUM.sub(" ", text.lower()).split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_ALNUM.sub(" ", stripped.replace("ß", "ss")).split())


def given_name_key(text: str | None, nicknames: bool = True) -> str:
    """A given name folded; a known nickname ("Pepe", "Bill") becomes its formal name."""
    folded = fold(text)
    if nicknames and folded:
        first, _, rest = folded.partition(" ")
        first = NICKNAMES.get(first, first)
        folded = f"{first} {rest}".strip()
    return folded


def family_name_key(text: str | None) -> str:
    """A family name folded with particles dropped: "de la Fuente" and "Fuente" agree.

    Compound Spanish surnames ("García-López", "García y López") become space-separated
    tokens, so "garcia lopez" keeps both and the first token still blocks on "garcia".
    """
    tokens = [t for t in fold(text).split() if t not in NAME_PARTICLES]
    if len(tokens) > 1 and tokens[-1] in GENERATION_SUFFIXES:
        tokens.pop()
    return " ".join(tokens)


def generation_key(text: str | None) -> str:
    """The generation a family name's suffix names ("Scott Jr." -> "junior"), or "none"
    for a family name without one: a son who signs "Jr." and his father who does not
    disagree, which a missing value could not say. "" without a family name."""
    tokens = fold(text).split()
    if not tokens:
        return ""
    last = tokens[-1] if len(tokens) > 1 else ""
    return GENERATION_SUFFIXES.get(last, NO_GENERATION)


def first_token(text: str) -> str:
    """The first token of an already normalized value ("garcia lopez" -> "garcia")."""
    return text.split(" ", 1)[0] if text else ""


def email_key(text: str | None, gmail_dots: bool = True, plus_tags: bool = True) -> str:
    """An email lower-cased and trimmed; optionally gmail dots and `+tags` removed."""
    if not text:
        return ""
    address = text.strip().strip("<>").lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain:
        return ""
    if plus_tags:
        local = local.split("+", 1)[0]
    if gmail_dots and domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def phone_match_key(text: str | None) -> str:
    """The last 9 digits of a phone number, the key phones are matched on.

    One line written as "+34 612 34 56 78", "0034612345678" or "612 34 56 78" (or
    "+1 512 375 2477" and "(512) 375-2477") ends in the same digits in every country, so
    this needs no region; parsing to E.164 (`identity.phones.to_e164`, which the mapping's
    `phone` transform applies with each source's region) costs ~90 µs per distinct number,
    which a million records cannot afford. Fewer than 7 digits is no phone number.
    """
    if not text:
        return ""
    digits = _NON_DIGIT.sub("", text)
    return digits[-_PHONE_TAIL:] if len(digits) >= _PHONE_MIN_DIGITS else ""


def organization_name_key(text: str | None) -> str:
    """An organization name without legal forms, "The" and punctuation."""
    folded = fold(text)
    # "S.A.U." folds to "s a u": join runs of single letters before dropping legal forms.
    folded = re.sub(r"\b(?:[a-z] )+[a-z]\b", lambda m: m.group(0).replace(" ", ""), folded)
    tokens = [t for t in folded.split() if t not in LEGAL_FORMS]
    if tokens and tokens[0] == "the":
        tokens = tokens[1:]
    return " ".join(tokens)


def domain_key(text: str | None) -> str:
    """The registrable host of an email or website; free-mail domains give ""."""
    if not text:
        return ""
    value = text.strip().lower()
    if "@" in value:
        value = value.rpartition("@")[2]
    else:  # a website: scheme, path and port go
        value = _URL_SCHEME.sub("", value).split("/", 1)[0].split(":", 1)[0]
    value = value.removeprefix("www.").strip(".")
    if "." not in value or value in FREE_MAIL_DOMAINS:
        return ""
    return value


def employer_key(text: str | None) -> str:
    """Who someone works for, from an organization name or a work email, in one value
    space: "Acme Wave S.L." and "ana@acmewave.es" both give "acmewave" (the name without
    legal forms and spaces; the email's registrable name without its suffix). A free-mail
    address names no employer."""
    if not text:
        return ""
    if "@" in text:
        return domain_key(text).split(".", 1)[0]
    return organization_name_key(text).replace(" ", "")


def mailbox_employer_key(text: str | None) -> str:
    """The employer of a personal work mailbox ("ana.ruiz@acme.es" -> "acme"); "" for
    free mail and for role accounts (info@, ventas@) that stand for a team, not a person."""
    local = email_key(text).partition("@")[0]
    return "" if not local or local in ROLE_MAILBOXES else employer_key(text)


def postcode_key(text: str | None) -> str:
    """A postcode without spaces and punctuation, upper case ("sw1a 1aa" -> "SW1A1AA")."""
    return fold(text).replace(" ", "").upper()


def street_key(text: str | None) -> str:
    """Street tokens folded with common street-type words abbreviated one way."""
    tokens = (STREET_ABBREVIATIONS.get(t, t) for t in fold(text).split())
    return " ".join(t for t in tokens if t)


def national_id_key(text: str | None) -> str:
    """An identifier with separators removed, upper case ("12.345.678-z" -> "12345678Z")."""
    return fold(text).replace(" ", "").upper()


def date_key(value: date | datetime | str | None) -> date | None:
    """A date from a date, a datetime or a string in a common format; None if invalid."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    text = value.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
