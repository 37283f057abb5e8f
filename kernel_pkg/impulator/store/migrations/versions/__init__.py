"""Revisions, oldest first: ``0001`` the initial schema."""
