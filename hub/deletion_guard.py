"""The mass-deletion guard: a read that would delete much of an object stops instead.

An export cut short, an empty file or a reconciliation against a failing list endpoint
all look like mass deletions; deletions are propagated downstream (golden records lose
members), so a large share is refused until a person says it is real.
"""

from __future__ import annotations

DEFAULT_MAX_DELETION_SHARE = 0.10


class MassDeletionRefused(Exception):
    """Deleting this many records needs `--allow-deletions`."""


def guard_deletions(
    system: str,
    object_name: str,
    *,
    live: int,
    deleting: int,
    max_share: float = DEFAULT_MAX_DELETION_SHARE,
    allowed: bool = False,
) -> None:
    """Refuse to delete more than `max_share` of the `live` records of one object.

    Call it with the count a step is about to delete, before deleting anything: the
    snapshot of a file export (`hub.sync`) and an API connector's reconciliation alike.
    """
    if allowed or deleting == 0 or deleting <= max_share * live:
        return
    share = deleting / live if live else 1.0
    raise MassDeletionRefused(
        f"{system}.{object_name}: the read would delete {deleting} of {live} live records "
        f"({share:.0%}, over the {max_share:.0%} limit); nothing was deleted. If the export is "
        "complete, rerun with --allow-deletions (or raise the source's max_deletion_share)"
    )
