"""Same-site browser use: the hub's OAuth login, as JupyterHub's ``HubOAuth`` does for services.

A browser that opens an API address without a token (and asks for a web page) is sent through
the hub's OAuth: the hub asks it to log in if needed and sends it back to
``{prefix}oauth_callback``, which trades the code for a token (JupyterHub's
``HubOAuth.token_for_code``, with PKCE), keeps it in an HttpOnly cookie for the service's
path, and returns to the page first asked for. Later requests carry the cookie; the token in
it is checked with the hub like any other, and its scopes are the user's impulator scopes
(the service's ``oauth_client_allowed_scopes``).

Requests that change something (anything but GET, HEAD and OPTIONS) made with the cookie must
also send the header ``X-XSRFToken`` with the value of the ``{cookie}-xsrf`` cookie, which
only pages of this site can read: a form or script of another site cannot, so it is refused.
The value is derived from the login's token with the service's secret, so another site
cannot plant one either.

The login's state (its random id, the PKCE verifier and the page to return to) travels in a
short-lived cookie signed with the service's secret, not in the process's memory, so a login
started on one API replica finishes on any other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from impulator.api._errors import ApiError

if TYPE_CHECKING:
    from jupyterhub.services.auth import HubOAuth

__all__ = ["XSRF_HEADER", "BrowserLogin", "install_oauth_callback"]

#: The header a browser page sends the ``{cookie}-xsrf`` cookie's value in.
XSRF_HEADER = "X-XSRFToken"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class BrowserLogin:
    """The hub's OAuth for this service: ``oauth`` (a ``HubOAuth``), where the service is
    (``base``, without a trailing slash) and whether its public address is HTTPS."""

    oauth: HubOAuth
    base: str
    secret: str
    https: bool = False

    @property
    def cookie(self) -> str:
        """The name of the cookie that holds the login's token (the OAuth client id)."""
        return str(self.oauth.cookie_name)

    @property
    def xsrf_cookie(self) -> str:
        """The name of the cookie a page reads the XSRF value from."""
        return f"{self.cookie}-xsrf"

    @property
    def state_cookie(self) -> str:
        return str(self.oauth.state_cookie_name)

    def xsrf_for(self, token: str) -> str:
        """The XSRF value that goes with a login's token (an HMAC with the service's secret).

        >>> from types import SimpleNamespace
        >>> login = BrowserLogin(SimpleNamespace(), "/s", secret="k")  # type: ignore[arg-type]
        >>> login.xsrf_for("t") == login.xsrf_for("t") != login.xsrf_for("u")
        True
        """
        digest = hmac.new(self.secret.encode(), token.encode(), hashlib.sha256)
        return digest.hexdigest()[:40]

    def token_of(self, request: Request) -> str | None:
        """The login's token from the request's cookie, if any."""
        return request.cookies.get(self.cookie) or None

    def check_xsrf(self, request: Request, token: str) -> None:
        """403 for a change requested with the cookie but without the XSRF value."""
        if request.method.upper() in _SAFE_METHODS:
            return
        sent = request.headers.get(XSRF_HEADER) or request.query_params.get("_xsrf") or ""
        if not hmac.compare_digest(sent.encode(), self.xsrf_for(token).encode()):
            raise ApiError(
                403,
                f"Changes made with the hub login's cookie need the header {XSRF_HEADER} "
                f"with the value of the '{self.xsrf_cookie}' cookie (pages of other sites "
                "cannot send it); scripts send 'Authorization: token <token>' instead.",
            )

    def wants_login(self, request: Request) -> bool:
        """Whether to send the request through the hub's login: a browser asking for a page."""
        return request.method.upper() in ("GET", "HEAD") and "text/html" in request.headers.get(
            "accept", ""
        )

    def login_redirect(self, request: Request) -> ApiError:
        """The 302 to the hub's authorization page, with the OAuth state in a cookie."""
        verifier, challenge, method = self.oauth.generate_pkce_code_challenge()
        path = request.url.path
        next_url = path + (f"?{request.url.query}" if request.url.query else "")
        state = secrets.token_urlsafe(16)
        query = urlencode(
            {
                "client_id": self.oauth.oauth_client_id,
                "redirect_uri": self.oauth.oauth_redirect_uri,
                "response_type": "code",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": method,
            }
        )
        sealed = self.seal({"state": state, "verifier": verifier, "next": next_url})
        cookie = self._cookie_header(self.state_cookie, sealed, max_age=600)
        return ApiError(
            302,
            "Log in at the hub first: follow the Location header (browsers do it themselves).",
            {"Location": f"{self.oauth.oauth_authorization_url}?{query}", "Set-Cookie": cookie},
        )

    def seal(self, values: dict[str, str]) -> str:
        """``values`` as a cookie value signed with the service's secret.

        >>> from types import SimpleNamespace
        >>> login = BrowserLogin(SimpleNamespace(), "/s", secret="k")  # type: ignore[arg-type]
        >>> login.unseal(login.seal({"state": "x"})), login.unseal("forged.value")
        ({'state': 'x'}, {})
        """
        data = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
        return f"{data}.{self._sign(data)}"

    def unseal(self, sealed: str) -> dict[str, str]:
        """The values of a sealed cookie; empty when it was not signed by this service."""
        data, _, signature = sealed.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(data).encode()):
            return {}
        try:
            values = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {}

    def _sign(self, data: str) -> str:
        digest = hmac.new(self.secret.encode(), b"oauth-state:" + data.encode(), hashlib.sha256)
        return digest.hexdigest()

    def _cookie_header(self, name: str, value: str, *, max_age: int, httponly: bool = True) -> str:
        jar: SimpleCookie = SimpleCookie()
        jar[name] = value
        morsel = jar[name]
        morsel["path"] = self.base + "/"
        morsel["max-age"] = max_age
        morsel["samesite"] = "Lax"
        morsel["httponly"] = httponly
        morsel["secure"] = self.https
        return morsel.OutputString()

    def set_cookie(self, response: Response, name: str, value: str, **options: Any) -> None:
        response.set_cookie(
            name,
            value,
            path=self.base + "/",
            samesite="lax",
            secure=self.https,
            **options,
        )

    async def finish(self, request: Request) -> Response:
        """The OAuth callback: check the state, trade the code for a token, set the cookies,
        return to the page first asked for."""
        params = request.query_params
        if params.get("error"):
            message = params.get("error_description") or params["error"]
            raise ApiError(400, f"The hub refused the login ({message}); open the page again.")
        code, state = params.get("code"), params.get("state")
        if not code or not state:
            raise ApiError(
                400, "This address finishes a login started by the hub: open an API page."
            )
        saved = self.unseal(request.cookies.get(self.state_cookie, ""))
        if not hmac.compare_digest(state.encode(), saved.get("state", "").encode()):
            raise ApiError(
                403,
                "This login was not started by this browser or is too old: open the page again.",
            )
        next_url, verifier = saved.get("next", ""), saved.get("verifier") or None
        try:
            token = await self.oauth.token_for_code(code, code_verifier=verifier, sync=False)
        except Exception as exc:  # the hub refused the code (used, expired) or is away
            raise ApiError(
                403, f"The hub did not confirm this login ({exc}): open the page again."
            ) from exc
        if not next_url.startswith(self.base + "/"):  # only pages of this service
            next_url = self.base + "/v1/docs"
        response = RedirectResponse(next_url, status_code=302)
        self.set_cookie(response, self.cookie, token, httponly=True)
        self.set_cookie(response, self.xsrf_cookie, self.xsrf_for(token), httponly=False)
        response.delete_cookie(self.state_cookie, path=self.base + "/")
        return response


def install_oauth_callback(app: FastAPI, login: BrowserLogin) -> None:
    """Serve ``{base}/oauth_callback``, where the hub sends a browser back after its login."""

    @app.get(f"{login.base}/oauth_callback", include_in_schema=False)
    async def oauth_callback(request: Request) -> Response:
        return await login.finish(request)
