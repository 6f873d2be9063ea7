"""HubSpot's published API limits per account tier, as emulator configurations."""

from __future__ import annotations

from typing import Any

from emulators.gate import EmulatorConfig

TIERS: dict[str, tuple[int, int | None]] = {
    "free": (100, 250_000),  # private apps: (requests / 10 s, requests a day)
    "starter": (100, 250_000),
    "professional": (190, 650_000),
    "enterprise": (190, 1_000_000),
    "oauth": (100, None),  # a public app, per installed account: no daily limit
}


def tier_config(tier: str, **changes: Any) -> EmulatorConfig:
    """The limits HubSpot publishes for an account tier (or `oauth` for a public app)."""
    if tier not in TIERS:
        raise ValueError(f"unknown HubSpot tier {tier!r}; one of {sorted(TIERS)}")
    per_window, daily = TIERS[tier]
    return EmulatorConfig(**{"rate_limit": per_window, "daily_limit": daily, **changes})
