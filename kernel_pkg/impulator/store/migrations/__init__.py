"""Alembic migrations of the impulator database (run through ``impulator.store``)."""
