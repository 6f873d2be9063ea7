"""Dates as features: every year reads back as the day it was, also before 1000."""

from __future__ import annotations

from datetime import date

import numpy as np

from identity.features import _date_text, _day_numbers


def test_a_birth_date_before_year_1000_is_a_day_like_any_other() -> None:
    texts = np.array([_date_text(date(999, 1, 1)), _date_text(date(1999, 1, 1))])
    days = _day_numbers(texts)
    assert days[1] - days[0] == (date(1999, 1, 1) - date(999, 1, 1)).days
