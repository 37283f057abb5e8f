"""Notebooks for a class: publish to a group, fetch into ``~/shared/<group>/``, course links.

    teach.publish(path, group)      -> list of PublishedFile (instructors and admins only)
    teach.fetch(group=None)         -> list of Path written under ~/shared/<group>/
    teach.install_examples(home)    -> list of Path (the read-only templates in ~/examples/)
    teach.prepare_home(home, url)   -> both at once: what the hub's spawn hook calls
    teach.gitpuller_link(hub, repo) -> the nbgitpuller link that pulls a git-hosted course

Published notebooks live in the results database (PostgreSQL on a hub), with the group-sharing
rules of compounds: only the group's members read them. Nothing a user edited is ever
overwritten: a new version arrives beside the edited copy (``name.v3.ipynb``).
"""

from __future__ import annotations

from impulator.teach._examples import install_examples, templates_dir
from impulator.teach._fetch import fetch, prepare_home
from impulator.teach._links import gitpuller_link
from impulator.teach._publish import PublishedFile, publish

__all__ = [
    "PublishedFile",
    "fetch",
    "gitpuller_link",
    "install_examples",
    "prepare_home",
    "publish",
    "templates_dir",
]
