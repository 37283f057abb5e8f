"""nbgitpuller links: a git-hosted course pulled into the user's home by one click."""

from __future__ import annotations

from urllib.parse import urlencode

from impulator._errors import InvalidInput

__all__ = ["gitpuller_link"]


def gitpuller_link(
    hub_url: str, repo: str, *, branch: str = "main", path: str | None = None, app: str = "lab"
) -> str:
    """The hub link that clones (or updates) ``repo`` into the user's home and opens it.

    Example:
        >>> gitpuller_link("https://hub.example.org", "https://github.com/org/course",
        ...                path="unit1.ipynb")  # doctest: +NORMALIZE_WHITESPACE
        'https://hub.example.org/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Forg%2Fcourse&branch=main&urlpath=lab%2Ftree%2Fcourse%2Funit1.ipynb'
    """
    if not repo.strip():
        raise InvalidInput("give the course's git repository URL (--repo)")
    folder = repo.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    target = f"{folder}/{path}" if path else folder
    query = urlencode({"repo": repo, "branch": branch, "urlpath": f"{app}/tree/{target}"})
    return f"{hub_url.rstrip('/')}/hub/user-redirect/git-pull?{query}"
