"""How people and systems garble a value: typos, dropped accents, phone and email styles.

Each function takes the clean value and one random integer (``entropy``) and is pure,
so a record renders the same whatever chunk it falls in.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from functools import cache
from typing import Final

_FOLD: Final = str.maketrans("áéíóúüñçÁÉÍÓÚÜÑÇ", "aeiouuncAEIOUUNC")
_LETTERS: Final = string.ascii_lowercase
PhoneFormat = Callable[[str], str]


def fold_accents(value: str) -> str:
    """What a keyboard without Spanish layout, or an old system, makes of "María"."""
    return value.translate(_FOLD)


@cache
def slug(value: str) -> str:
    """The ASCII letters of a name, as they appear in an email handle or a domain.

    Cached: it only ever sees vocabulary words and organization names.
    """
    return "".join(ch for ch in fold_accents(value).lower() if ch.isalnum())


def typo(value: str, entropy: int) -> str:
    """One edit (two for one case in eight): delete, insert, substitute or transpose."""
    edits = 2 if (entropy >> 40) & 7 == 0 else 1
    for step in range(edits):
        bits = entropy >> (step * 17)
        if len(value) < 3:
            return value
        pos = 1 + (bits >> 2) % (len(value) - 2)
        letter = _LETTERS[(bits >> 9) % 26]
        op = bits & 3
        if op == 0:
            value = value[:pos] + value[pos + 1 :]
        elif op == 1:
            value = value[:pos] + letter + value[pos:]
        elif op == 2:
            value = value[:pos] + letter + value[pos + 1 :]
        else:
            value = value[: pos - 1] + value[pos] + value[pos - 1] + value[pos + 1 :]
    return value


def recase(value: str, draw: float) -> str:
    """Most systems keep the typed case; a few shout, a few lower-case everything."""
    if draw < 0.03:
        return value.upper()
    if draw < 0.05:
        return value.lower()
    return value


def _spaced(groups: tuple[int, ...], sep: str) -> PhoneFormat:
    def render(digits: str) -> str:
        parts, at = [], 0
        for size in groups:
            parts.append(digits[at : at + size])
            at += size
        return sep.join(parts)

    return render


PHONE_FORMATS: Final[dict[int, tuple[PhoneFormat, ...]]] = {
    0: (
        lambda d: "+34 " + _spaced((3, 2, 2, 2), " ")(d),
        lambda d: d,
        lambda d: "0034" + d,
        lambda d: "+34" + d,
        _spaced((3, 3, 3), " "),
        _spaced((3, 3, 3), "-"),
        lambda d: "(+34) " + d,
        _spaced((3, 2, 2, 2), " "),
    ),
    1: (
        lambda d: f"({d[:3]}) {d[3:6]}-{d[6:]}",
        _spaced((3, 3, 4), "."),
        lambda d: "+1 " + _spaced((3, 3, 4), " ")(d),
        lambda d: d,
        _spaced((3, 3, 4), "-"),
        lambda d: "1-" + _spaced((3, 3, 4), "-")(d),
        lambda d: "+1" + d,
    ),
    2: (
        lambda d: "+44 " + _spaced((4, 6), " ")(d),
        lambda d: "0" + _spaced((4, 6), " ")(d),
        lambda d: "0" + d,
        lambda d: "+44" + d,
        lambda d: "+44 (0)" + _spaced((4, 6), " ")(d),
    ),
    3: (
        lambda d: "+52 " + _spaced((2, 4, 4), " ")(d),
        _spaced((2, 4, 4), " "),
        lambda d: "+52" + d,
        lambda d: "0052" + d,
        _spaced((2, 4, 4), "-"),
    ),
}


def format_phone(number: int, country: int, entropy: int) -> str:
    """A national significant number written in one of the ways people write it."""
    formats = PHONE_FORMATS[country]
    digits = str(number)
    if (entropy >> 30) % 100 == 0:  # a mistyped digit
        pos = (entropy >> 8) % len(digits)
        digits = digits[:pos] + str((int(digits[pos]) + 1) % 10) + digits[pos + 1 :]
    return formats[entropy % len(formats)](digits)


def email_variant(local: str, domain: str, draw: float, entropy: int) -> str:
    """The same mailbox as different systems store it."""
    if draw < 0.04:
        return f"{local.capitalize()}@{domain.capitalize()}"
    if draw < 0.07:
        return f"{local}+{('crm', 'news', 'work', 'shop')[entropy % 4]}@{domain}"
    if draw < 0.10 and domain == "gmail.com":
        return f"{local.replace('.', '')}@googlemail.com"
    if draw < 0.12:
        return f"{local.upper()}@{domain.upper()}"
    if draw < 0.13:
        return f"{typo(local, entropy)}@{domain}"
    return f"{local}@{domain}"
