"""Alembic migrations of the motifs database (env.py + versions/). Applied by `serving.store.migrate.upgrade`."""
