"""Alembic environment: runs on the connection `hub.store.migrate` hands over."""

from alembic import context

import hub.store.schema  # noqa: F401  (registers every table on Base.metadata)
from hub.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
