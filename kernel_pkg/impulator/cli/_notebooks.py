"""``impulator notebooks ...``: notebooks for a class.

impulator notebooks publish PATH GROUP     (instructors and admins)
impulator notebooks fetch [GROUP]          (into ~/shared/<group>/)
impulator notebooks link --repo URL [--branch B] [--path P] [--hub URL]
"""

from __future__ import annotations

import argparse
import os
from typing import Any

__all__ = ["add_commands"]


def add_commands(commands: Any) -> None:
    """Add ``notebooks`` and its subcommands to the ``impulator`` command."""
    top = commands.add_parser("notebooks", help="notebooks for a class: publish, fetch, link")
    sub = top.add_subparsers(dest="notebooks_command", required=True, metavar="ACTION")

    p = sub.add_parser("publish", help="publish a notebook or a folder to a group")
    p.add_argument("path", help="a notebook or a folder")
    p.add_argument("group", help="the group (a class) that receives it")
    p.set_defaults(run=_publish)

    p = sub.add_parser("fetch", help="fetch your groups' notebooks into ~/shared/<group>/")
    p.add_argument("group", nargs="?", help="only this group")
    p.set_defaults(run=_fetch)

    p = sub.add_parser("link", help="print the nbgitpuller link of a git-hosted course")
    p.add_argument("--repo", required=True, help="the course's git repository URL")
    p.add_argument("--branch", default="main", help="branch (default main)")
    p.add_argument("--path", help="the file or folder to open, inside the repository")
    p.add_argument(
        "--hub",
        default=os.environ.get("JUPYTERHUB_EXTERNAL_URL") or "http://localhost:8000",
        help="the hub's address (default $JUPYTERHUB_EXTERNAL_URL)",
    )
    p.set_defaults(run=_link)


def _publish(args: argparse.Namespace) -> int:
    from impulator import teach

    for item in teach.publish(args.path, args.group):
        state = f"version {item.version}" if item.changed else f"unchanged (version {item.version})"
        print(f"{args.group}/{item.path}: {state}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from impulator import teach

    written = teach.fetch(args.group)
    for path in written:
        print(path)
    if not written:
        print("nothing new")
    return 0


def _link(args: argparse.Namespace) -> int:
    from impulator import teach

    print(teach.gitpuller_link(args.hub, args.repo, branch=args.branch, path=args.path))
    return 0
