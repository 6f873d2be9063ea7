"""Connectors refuse options they do not know, listing the known ones, and values of the
wrong type, naming the option."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.bamboohr import BambooHRConnector
from connectors.base import ConnectorError
from connectors.hubspot import HubSpotConnector
from connectors.options import ApiOptions
from connectors.partnerstack import PartnerStackConnector
from connectors.salesforce import SalesforceConnector

CONNECTORS: dict[str, tuple[Any, dict[str, str]]] = {
    "Salesforce": (
        SalesforceConnector,
        {"login_url": "https://login.example", "client_id": "id", "client_secret": "s"},
    ),
    "HubSpot": (HubSpotConnector, {"access_token": "t"}),
    "PartnerStack": (PartnerStackConnector, {"public_key": "p", "secret_key": "s"}),
    "BambooHR": (BambooHRConnector, {"company": "acme", "api_key": "k"}),
}


@pytest.mark.parametrize("label", sorted(CONNECTORS))
def test_an_unknown_option_is_refused_with_the_known_ones_listed(label: str) -> None:
    connector, credentials = CONNECTORS[label]
    with pytest.raises(ConnectorError) as refused:
        connector.from_config("src", {"max_attempt": 3, "timeout_s": 5}, credentials)
    message = str(refused.value)
    assert f"unknown {label} option(s): max_attempt;" in message
    assert "known: " in message
    assert "max_attempts" in message and "timeout_s" in message


@pytest.mark.parametrize("label", sorted(CONNECTORS))
def test_a_value_of_the_wrong_type_is_refused_naming_the_option(label: str) -> None:
    connector, credentials = CONNECTORS[label]
    with pytest.raises(ConnectorError, match=f"{label} option max_attempts: expected int"):
        connector.from_config("src", {"max_attempts": "many"}, credentials)


def test_values_are_coerced_to_their_types_and_ranges_checked() -> None:
    options = ApiOptions.from_mapping({"max_attempts": "3", "base_delay_s": 1})
    assert (options.max_attempts, options.base_delay_s) == (3, 1.0)
    assert options.retry_policy().max_attempts == 3
    with pytest.raises(ConnectorError, match="max_attempts >= 1"):
        ApiOptions.from_mapping({"max_attempts": 0})
    with pytest.raises(ConnectorError, match="option timeout_s: expected float"):
        ApiOptions.from_mapping({"timeout_s": True})
