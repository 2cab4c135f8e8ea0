"""OIDC bearer tokens (the State's and most public services' SSO): a JWT signed by the identity provider, verified
with PyJWT against the provider's published keys (JWKS) — signature, expiry, issuer, audience. No crypto of ours.

Keys come from `MOTIFS_OIDC_JWKS_URL` (fetched and cached by `jwt.PyJWKClient`) or, air-gapped, from a JWKS file
(`MOTIFS_OIDC_JWKS_FILE`). The user's role is read from a claim (`MOTIFS_OIDC_ROLES_CLAIM`, default `roles`, a
string or a list), mapped through `MOTIFS_OIDC_ROLE_MAP`; the strongest role found wins, none means refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from serving.errors import AuthError
from serving.store import ROLES

# Asymmetric algorithms only: an HS256 token would be "signed" with a public key anyone can read.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]


@dataclass(frozen=True)
class OidcIdentity:
    name: str
    role: str


class OidcVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str | None,
        jwks_url: str | None = None,
        jwks: Mapping[str, Any] | None = None,
        roles_claim: str = "roles",
        role_map: Mapping[str, str] | None = None,
        name_claim: str = "preferred_username",
    ) -> None:
        if (jwks_url is None) == (jwks is None):
            raise AuthError("OIDC : préciser soit MOTIFS_OIDC_JWKS_URL, soit MOTIFS_OIDC_JWKS_FILE (un seul des deux)")
        if not audience:
            raise AuthError("OIDC : MOTIFS_OIDC_AUDIENCE manquant (un jeton émis pour une autre application passerait)")
        self.issuer = issuer
        self.audience = audience
        self._client = jwt.PyJWKClient(jwks_url) if jwks_url is not None else None
        try:
            self._keys = jwt.PyJWKSet.from_dict(dict(jwks)) if jwks is not None else None
        except jwt.PyJWTError:
            raise AuthError("OIDC : jeu de clés JWKS vide ou illisible (MOTIFS_OIDC_JWKS_FILE)") from None
        self.roles_claim = roles_claim
        self.role_map = dict(role_map) if role_map else {role: role for role in ROLES}
        unknown = sorted(set(self.role_map.values()) - set(ROLES))
        if unknown:
            raise AuthError(f"OIDC : rôle(s) {', '.join(unknown)} inconnu(s) dans MOTIFS_OIDC_ROLE_MAP")
        self.name_claim = name_claim

    @classmethod
    def from_file(cls, path: Path, **kwargs: Any) -> OidcVerifier:
        try:
            jwks = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raise AuthError(f"OIDC : fichier de clés {path} illisible (attendu : un JWKS en JSON)") from None
        return cls(jwks=jwks, **kwargs)

    def _key(self, token: str) -> Any:
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token).key
        assert self._keys is not None
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._keys.keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise jwt.InvalidTokenError("no key for this kid")

    def verify(self, token: str) -> OidcIdentity:
        """The identity a valid token carries; `AuthError` (no detail from the token) otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._key(token),
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
                leeway=30,
            )
        except (jwt.PyJWTError, ValueError):
            raise AuthError("jeton OIDC refusé (signature, émetteur, audience ou expiration)") from None
        raw = claims.get(self.roles_claim, [])
        values = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
        roles = {self.role_map[v] for v in values if isinstance(v, str) and v in self.role_map}
        if not roles:
            raise AuthError("jeton OIDC sans rôle motifs (agent, analyst ou admin)")
        role = max(roles, key=ROLES.index)
        name = claims.get(self.name_claim) or claims["sub"]
        return OidcIdentity(name=str(name)[:128], role=role)
