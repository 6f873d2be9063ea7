"""From a source in relhub.yaml to a live connector, with its credentials.

Credentials never live in relhub.yaml: a source names a connection, and its fields come
from environment variables `RELHUB_CONN_<ID>_<FIELD>` (e.g.
`RELHUB_CONN_SALESFORCE_PASSWORD`) or, when those are absent, from the Airflow
connection of that id (login -> username, password, host, port, schema, and every key
of `extra`). Values are handed to the connector and never logged.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from connectors.base import Connector
from hub.config import RelhubConfig, SourceConfig
from hub.yamlfile import ConfigError

CONNECTOR_CLASSES = {
    "file": "connectors.files:FileConnector",
    "salesforce": "connectors.salesforce:SalesforceConnector",
    "hubspot": "connectors.hubspot:HubSpotConnector",
    "sql": "connectors.sql:SqlConnector",
    "partnerstack": "connectors.partnerstack:PartnerStackConnector",
    "bamboohr": "connectors.bamboohr:BambooHRConnector",
}


class Credentials(dict[str, str]):
    """A connection's fields; its repr hides the values so a log line cannot leak them."""

    def __repr__(self) -> str:
        return f"Credentials({', '.join(sorted(self))}: <hidden>)"

    __str__ = __repr__


def credentials_for(connection_id: str | None) -> Credentials:
    if not connection_id:
        return Credentials()
    prefix = f"RELHUB_CONN_{connection_id.upper()}_"
    from_env = {k[len(prefix) :].lower(): v for k, v in os.environ.items() if k.startswith(prefix)}
    if from_env:
        return Credentials(from_env)
    return Credentials(_airflow_connection(connection_id))


def _airflow_connection(connection_id: str) -> dict[str, str]:
    try:
        from airflow.sdk import BaseHook

        connection = BaseHook.get_connection(connection_id)
    except Exception as error:  # Airflow raises several types for "not found"/"no database"
        raise ConfigError(
            "relhub.yaml",
            None,
            "connection",
            f"no credentials for connection {connection_id!r}: set "
            f"RELHUB_CONN_{connection_id.upper()}_<FIELD> variables or an Airflow connection "
            f"({type(error).__name__})",
        ) from None
    fields: dict[str, Any] = {
        "username": connection.login,
        "password": connection.password,
        "host": connection.host,
        "port": connection.port,
        "schema": connection.schema,
        **connection.extra_dejson,
    }
    return {k: str(v) for k, v in fields.items() if v not in (None, "")}


def open_connector(config: RelhubConfig, source: SourceConfig) -> Connector:
    """Build the connector of a source from its options.

    File and SQL sources are configured per object (the file connector resolves paths
    against relhub.yaml's folder); every connector refuses options it does not know.
    """
    options: dict[str, Any] = dict(source.options)
    if source.page_size is not None:
        options.setdefault("page_size", source.page_size)
    if source.type == "file":
        options.update(objects=source.objects, base_path=str(config.folder))
    elif source.type == "sql":
        options.update(objects=source.objects)
    return connector_class(source.type).from_config(
        source.name, options, credentials_for(source.connection)
    )


def connector_class(source_type: str) -> type[Any]:
    """The connector class of a source type, imported when first asked for."""
    module_name, _, class_name = CONNECTOR_CLASSES[source_type].partition(":")
    return getattr(importlib.import_module(module_name), class_name)  # type: ignore[no-any-return]
