"""Alembic's head must be exactly the models, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from calgate.store.tables import metadata


def test_migrations_match_the_models(services):
    with services.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrating_twice_is_harmless(services):
    from calgate.store.migrate import upgrade

    upgrade(services.db.engine)
    with services.db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "0001_initial"
