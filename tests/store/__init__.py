"""Tests of the impulator database: models, migrations, ``impulator db``."""
