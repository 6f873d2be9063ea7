"""The hub store: SQLAlchemy models, Alembic migrations and the operations on them."""
