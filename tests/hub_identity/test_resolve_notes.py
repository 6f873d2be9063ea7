"""A full resolve says which blocks it skipped and the setting that changes it."""

from __future__ import annotations

from pathlib import Path

from identityfixtures import Shop, person

from identity.settings import ResolutionSettings


def test_a_full_resolve_notes_skipped_blocks_with_their_setting(
    tmp_path: Path, store_url: str
) -> None:
    """Four people write from one generic inbox; the email rule's cap is 3."""
    rows = {i: dict(person(i), email="info@example.com") for i in range(4)}
    shop = Shop(tmp_path, store_url, rows)
    defaults = ResolutionSettings().person
    rules = [
        rule.model_copy(update={"max_block_size": 3}) if rule.name == "email" else rule
        for rule in defaults.blocking_rules
    ]
    shop.config = shop.config.model_copy(
        update={
            "resolution": ResolutionSettings(
                person=defaults.model_copy(update={"blocking_rules": rules})
            )
        }
    )
    report = shop.cycle()
    email = [rule.name for rule in rules].index("email")
    assert report.notes == [
        "person blocking rule 'email': 1 blocks above 3 records skipped (4 records, the "
        "largest 4); their records are paired by the other rules only. Raise "
        f"resolution.person.blocking_rules[{email}].max_block_size to compare them."
    ]
    assert report.as_dict()["notes"] == report.notes  # what --json prints
    shop.put(0, dict(rows[0], email="ana.0@example.com"))
    assert shop.cycle().notes == []  # an incremental batch holds parts of blocks: no count
