"""The database URL is one of the settings; ``store.database_url`` is a thin call to it."""

from __future__ import annotations

from impulator import store
from impulator.config import get_settings


def test_settings_reads_impulator_database_url() -> None:
    env = {
        "IMPULATOR_DATA_DIR": "/tmp/imp",
        "IMPULATOR_DATABASE_URL": " postgresql+psycopg://u@db/i ",
    }
    assert get_settings(env).database_url == "postgresql+psycopg://u@db/i"


def test_settings_default_database_is_sqlite_in_data_dir() -> None:
    assert get_settings({"IMPULATOR_DATA_DIR": "/tmp/imp"}).database_url == (
        "sqlite:////tmp/imp/impulator.sqlite"
    )


def test_store_database_url_follows_settings() -> None:
    env = {"IMPULATOR_DATA_DIR": "/tmp/imp", "IMPULATOR_DATABASE_URL": "sqlite:////x/y.sqlite"}
    assert store.database_url(env=env) == get_settings(env).database_url
    assert store.database_url(get_settings({"IMPULATOR_DATA_DIR": "/tmp/imp"}), env={}) == (
        "sqlite:////tmp/imp/impulator.sqlite"
    )
