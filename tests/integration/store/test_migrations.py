"""Alembic's head must be exactly the models, on SQLite and PostgreSQL."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.script import ScriptDirectory
from alembic.migration import MigrationContext

from calgate.store.migrate import alembic_config, upgrade
from calgate.store.tables import metadata


def test_migrations_match_the_models(services):
    with services.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrating_twice_is_harmless(services):
    upgrade(services.db.engine)
    head = ScriptDirectory.from_config(alembic_config(services.settings.database_url)).get_current_head()
    with services.db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head


def test_every_revision_downgrades_and_upgrades_again(services):
    config = alembic_config(services.settings.database_url)
    with services.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        command.upgrade(config, "head")
    with services.db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata) == []
