"""What a resolve tells its user beyond counts: the limits it met, each with the setting
in relhub.yaml that moves it (a log line naming an engine rule is nothing to act on)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from identity import KINDS, ResolutionSettings


def capped_block_notes(stats: Mapping[str, Any], settings: ResolutionSettings) -> list[str]:
    """One note per blocking rule that skipped blocks above its cap: how many, the
    largest, and the setting that raises the cap (each block of n records costs n²/2
    comparisons, so a raised cap pays for the pairs it adds)."""
    notes = []
    for kind in KINDS:
        if kind not in stats:
            continue
        for index, rule in enumerate(settings.for_kind(kind).blocking_rules):
            found = stats[kind].get("blocking", {}).get(rule.name, {})
            if not found.get("capped_blocks"):
                continue
            setting = (
                f"resolution.{kind}.blocking_rules[{index}].max_block_size"
                if rule.max_block_size
                else "resolution.max_block_size"
            )
            notes.append(
                f"{kind} blocking rule {rule.name!r}: {found['capped_blocks']} blocks above "
                f"{found['cap']} records skipped ({found['capped_records']} records, the largest "
                f"{found['largest_block']}); their records are paired by the other rules "
                f"only. Raise {setting} to compare them."
            )
    return notes
