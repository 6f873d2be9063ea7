"""Array draws the synthetic world is built from: skewed choices, collision-free numbers."""

from __future__ import annotations

import numpy as np

from emulators.synthetic import vocabulary as vocab


def zipf_choice(rng: np.random.Generator, k: int, size: int, s: float = 0.9) -> np.ndarray:
    """Indexes 0..k-1 with the rank skew of real name and company frequencies."""
    weights = 1.0 / np.arange(1, k + 1) ** s
    return rng.choice(k, size=size, p=weights / weights.sum())


def occurrence_rank(keys: np.ndarray) -> np.ndarray:
    """0 for a key's first occurrence, 1 for its second, … (order of appearance)."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.r_[0, np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys)) - run_start
    return rank


def unique_numbers(index: np.ndarray, span: np.ndarray | int, salt: int) -> np.ndarray:
    """Distinct-looking, collision-free numbers in [0, span) for distinct indexes < span.

    Spans are decimal (2^a·5^b), so a multiplier that is neither even nor a multiple of
    five is coprime to every span and the map is a bijection.
    """
    multiplier = 7_919 * (2 * salt + 1)
    if multiplier % 5 == 0:
        multiplier += 2
    return (index.astype(np.int64) * multiplier + 104_729 * salt) % span


def national_number(area: np.ndarray, local: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Phone national significant number: area code digits followed by the local part."""
    area_digits = np.char.str_len(area.astype(str))
    return area.astype(np.int64) * 10 ** (length - area_digits).astype(np.int64) + local


def phone_parts(cities: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per city: area code, national number length, and the span of local numbers."""
    area = np.array([int(c[3]) for c in vocab.CITIES])[cities]
    country = np.array([c[2] for c in vocab.CITIES])[cities]
    length = np.where(country == 0, 9, 10)
    area_digits = np.char.str_len(area.astype(str))
    return area, length, 10 ** (length - area_digits).astype(np.int64)


def city_for(rng: np.random.Generator, country: np.ndarray, s: float) -> np.ndarray:
    """A city of each entity's country, big cities first (index into vocab.CITIES)."""
    city_country = np.array([c[2] for c in vocab.CITIES])
    city = np.empty(len(country), dtype=np.int64)
    for code in range(len(vocab.LOCALES)):
        mask = country == code
        options = np.flatnonzero(city_country == code)
        city[mask] = options[zipf_choice(rng, len(options), int(mask.sum()), s)]
    return city
