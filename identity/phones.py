"""Phone numbers to E.164, fast: one piece of code for the mapping transform and the
identity normalizer.

`phonenumbers` costs 20–60 µs a number, which alone would cap a sync near 20,000
records a second. Most numbers in real exports are plain: digits with separators, a
`+` or `00` and a country code, or a national number of a region without national
prefix rules. Those are checked here against the library's own metadata (country
codes, possible lengths) and give exactly what `phonenumbers` gives; anything else —
national prefixes, extensions, letters, ambiguous country codes — goes to the library.
A property test holds the fast path to the library's answers.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

_SEPARATORS = str.maketrans("", "", " -.()/\u00a0\t")


class PhoneError(ValueError):
    """Not a phone number the library accepts as possible."""


@lru_cache(maxsize=512)
def _rules(region: str) -> tuple[int, str | None, frozenset[int], re.Pattern[str] | None] | None:
    """(country code, national prefix, possible lengths, international dialling prefix) of a
    region, or None when the region strips prefixes by rules only the library applies."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.national_prefix_transform_rule is not None:
        return None
    prefix = metadata.national_prefix
    parsing = metadata.national_prefix_for_parsing
    if parsing is not None and parsing != prefix:
        return None
    description = metadata.general_desc
    if description is None or metadata.country_code is None:
        return None
    lengths = frozenset[int](description.possible_length) | frozenset(
        description.possible_length_local_only
    )
    idd = metadata.international_prefix
    return metadata.country_code, prefix, lengths, re.compile(idd) if idd else None


def _fast_international(digits: str) -> str | None:
    if digits.startswith("0"):
        return None  # no country code starts with 0
    for size in (1, 2, 3):
        code = int(digits[:size]) if len(digits) > size else 0
        regions = COUNTRY_CODE_TO_REGION_CODE.get(code)
        if not regions:
            continue
        rules = _rules(regions[0])
        national = digits[size:]
        if rules is None or (rules[1] and national.startswith(rules[1])):
            return None
        return f"+{digits}" if len(national) in rules[2] else None
    return None


def _fast(compact: str, region: str | None) -> str | None:
    if compact.startswith("+"):
        digits = compact[1:]
        return _fast_international(digits) if digits.isdigit() else None
    if not compact.isdigit() or region is None:
        return None
    rules = _rules(region)
    if rules is None:
        return None
    code, prefix, lengths, international_prefix = rules
    if international_prefix is not None and international_prefix.match(compact):
        plain_00 = international_prefix.pattern == "00"
        return _fast_international(compact[2:]) if plain_00 else None
    if (prefix and compact.startswith(prefix)) or compact.startswith(str(code)):
        return None
    return f"+{code}{compact}" if len(compact) in lengths else None


def library_e164(raw: str, region: str | None) -> str:
    """What `phonenumbers` makes of a number: the reference the fast path must match."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as error:
        raise PhoneError(f"unparseable phone {raw!r}: {error._msg}") from error
    if not phonenumbers.is_possible_number(number):
        raise PhoneError(f"impossible phone number {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=65_536)
def to_e164(raw: str, region: str | None) -> str:
    """A phone number in E.164; numbers without a country code use `region`."""
    return _fast(raw.strip().translate(_SEPARATORS), region) or library_e164(raw, region)
