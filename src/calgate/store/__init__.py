# SPDX-License-Identifier: Apache-2.0
"""Storage: tables, the imperative mapping of domain objects, repositories, the unit of work
and Alembic migrations. SQLite is the embedded default; PostgreSQL runs production."""
