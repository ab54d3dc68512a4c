"""Token endpoint and JWT validation: tampering, expiry, algorithm confusion."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, tzinfo
from typing import Any, cast

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar import Litestar
from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import token as litestar_token
from litestar.testing import AsyncTestClient

from registry_api import Settings, _security
from registry_api._security import ISSUER, TokenCache

from .conftest import PASSWORD, auth

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _b64(obj: dict[str, Any]) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(user: int, **over: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {"sub": str(user), "iat": now, "exp": now + 300,
                              "iss": ISSUER, "aud": ISSUER}  # fmt: skip
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


async def _me(client: AsyncTestClient[Litestar], token: str) -> int:
    return (await client.get("/api/v1/me", headers=auth(token))).status_code


async def test_token_login_issues_working_token(
    client: AsyncTestClient[Litestar], settings: Settings
) -> None:
    r = await client.post("/api/v1/token", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["tokenType"] == "Bearer" and body["role"] == "researcher"
    assert body["expiresIn"] == settings.token_ttl_seconds
    claims = jwt.decode(body["accessToken"], settings.jwt_secret, algorithms=["HS256"],
                        audience=ISSUER, issuer=ISSUER)  # fmt: skip
    assert claims["exp"] - claims["iat"] == pytest.approx(settings.token_ttl_seconds, abs=2)
    me = await client.get("/api/v1/me", headers=auth(body["accessToken"]))
    assert me.json()["username"] == "alice"


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password"), ("nobody", PASSWORD), ("ghost", PASSWORD), ("alice", "")],
)
async def test_token_login_rejects_bad_credentials(
    client: AsyncTestClient[Litestar], username: str, password: str
) -> None:
    r = await client.post("/api/v1/token", json={"username": username, "password": password})
    assert r.status_code in (400, 401)
    assert "accessToken" not in r.text


async def test_token_valid_claims_accepted(
    client: AsyncTestClient[Litestar], settings: Settings, user_ids: dict[str, int]
) -> None:
    token = jwt.encode(_claims(user_ids["vic"]), settings.jwt_secret, algorithm="HS256")
    assert await _me(client, token) == 200


async def test_token_tampered_payload_rejected(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], user_ids: dict[str, int]
) -> None:
    header, payload, sig = tokens["vic"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(user_ids["admin"])
    forged = f"{header}.{_b64(claims)}.{sig}"
    assert await _me(client, forged) == 401
    r = await client.get("/api/v1/users", headers=auth(forged))
    assert r.status_code == 401


async def test_token_flipped_signature_rejected(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    token = tokens["vic"]
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert await _me(client, flipped) == 401


@pytest.mark.parametrize(
    "over",
    [
        {"exp": int(time.time()) - 10},  # expired
        {"exp": None},  # no expiry
        {"iss": "someone-else"},
        {"aud": "another-service"},
        {"sub": "not-a-number"},
        {"sub": "999999"},  # unknown user
    ],
    ids=["expired", "no-exp", "wrong-iss", "wrong-aud", "bad-sub", "unknown-sub"],
)
async def test_token_bad_claims_rejected(
    client: AsyncTestClient[Litestar], settings: Settings, user_ids: dict[str, int],
    over: dict[str, Any],
) -> None:  # fmt: skip
    token = jwt.encode(_claims(user_ids["admin"], **over), settings.jwt_secret, algorithm="HS256")
    assert await _me(client, token) == 401


async def test_token_expiry_checked_at_request_time(
    client: AsyncTestClient[Litestar],
    settings: Settings,
    user_ids: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A token valid when issued is refused once the clock passes ``exp`` (no restart), although
    its verification is remembered (``registry_api._security.TokenCache``).

    The clocks that PyJWT, Litestar and the token cache read are moved two minutes on instead
    of sleeping.
    """
    now = int(time.time())
    token = jwt.encode(_claims(user_ids["vic"], iat=now - 1, exp=now + 60),
                       settings.jwt_secret, algorithm="HS256")  # fmt: skip
    assert await _me(client, token) == 200

    class _Later(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> _Later:
            return cast("_Later", super().now(tz) + timedelta(seconds=120))

    monkeypatch.setattr(jwt.api_jwt, "datetime", _Later)
    monkeypatch.setattr(litestar_token, "datetime", _Later)
    monkeypatch.setattr(_security, "_now", lambda: _Later.now().timestamp())
    assert await _me(client, token) == 401
    monkeypatch.undo()
    assert await _me(client, token) == 200


async def test_token_alg_none_rejected(
    client: AsyncTestClient[Litestar], user_ids: dict[str, int]
) -> None:
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(user_ids['admin']))}."
    assert await _me(client, unsigned) == 401
    for alg in ("None", "NONE", "nOnE"):
        t = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(_claims(user_ids['admin']))}."
        assert await _me(client, t) == 401


async def test_token_rs256_and_other_hmac_algs_rejected(
    client: AsyncTestClient[Litestar], settings: Settings, user_ids: dict[str, int]
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rs = jwt.encode(_claims(user_ids["admin"]), key, algorithm="RS256")
    assert await _me(client, rs) == 401
    # HS/RS swap: an RS256 header over an HMAC signature made with the shared secret
    hs_sig = jwt.encode(_claims(user_ids["admin"]), settings.jwt_secret, algorithm="HS256")
    _, payload, sig = hs_sig.split(".")
    swapped = f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{payload}.{sig}"
    assert await _me(client, swapped) == 401
    hs512 = jwt.encode(_claims(user_ids["admin"]), settings.jwt_secret, algorithm="HS512")
    assert await _me(client, hs512) == 401
    wrong = jwt.encode(_claims(user_ids["admin"]), "x" * 40, algorithm="HS256")
    assert await _me(client, wrong) == 401


async def test_token_deactivated_account_rejected(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    assert await _me(client, tokens["ghost"]) == 401


@pytest.mark.parametrize("header", ["Basic YWxpY2U6cHc=", "Bearer", "Bearer not.a.jwt", "Token x"])
async def test_token_malformed_header_rejected(
    client: AsyncTestClient[Litestar], header: str
) -> None:
    r = await client.get("/api/v1/me", headers={"Authorization": header})
    assert r.status_code == 401


async def test_token_query_parameter_accepted(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    r = await client.get(f"/api/v1/me?token={tokens['vic']}")
    assert r.status_code == 200 and r.json()["role"] == "viewer"


async def test_token_role_change_applies_immediately(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    created = await client.post(
        "/api/v1/users", json={"username": "promo-user", "password": "promo pass 1",
                               "role": "viewer"}, headers=auth(tokens["admin"]))  # fmt: skip
    assert created.status_code == 201
    login = await client.post("/api/v1/token", json={"username": "promo-user",
                                                     "password": "promo pass 1"})  # fmt: skip
    tok = login.json()["accessToken"]
    body = {"title": "promo"}
    assert (await client.post("/api/v1/sessions", json=body, headers=auth(tok))).status_code == 403
    uid = created.json()["id"]
    r = await client.patch(f"/api/v1/users/{uid}", json={"role": "researcher"},
                           headers=auth(tokens["admin"]))  # fmt: skip
    assert r.status_code == 200
    assert (await client.post("/api/v1/sessions", json=body, headers=auth(tok))).status_code == 201
    r = await client.patch(f"/api/v1/users/{uid}", json={"active": False},
                           headers=auth(tokens["admin"]))  # fmt: skip
    assert (await client.get("/api/v1/me", headers=auth(tok))).status_code == 401


async def test_token_cache_remembers_until_exp_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache verifies a token once, answers from memory until ``exp``, then refuses it; a
    token changed by one character, or checked with another secret, is verified afresh."""
    secret, now = "s" * 40, int(time.time())
    token = jwt.encode(_claims(7, iat=now - 1, exp=now + 60), secret, algorithm="HS256")
    cache = TokenCache(size=2)
    args: dict[str, Any] = {"secret": secret, "algorithm": "HS256", "audience": [ISSUER],
                            "issuer": [ISSUER], "require_claims": ["exp", "sub"]}  # fmt: skip
    calls: list[str] = []
    decode = litestar_token.Token.decode

    def counted(*a: Any, **kw: Any) -> Any:
        calls.append(kw["encoded_token"])
        return decode(*a, **kw)

    monkeypatch.setattr(_security.Token, "decode", counted)
    assert cache.decode(token, **args).sub == "7"
    assert cache.decode(token, **args).sub == "7"
    assert calls == [token]  # verified once
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(NotAuthorizedException):
        cache.decode(flipped, **args)
    with pytest.raises(NotAuthorizedException):
        cache.decode(token, **{**args, "secret": "t" * 40})
    for other in ({"audience": ["elsewhere"]}, {"issuer": ["elsewhere"]},
                  {"require_claims": ["exp", "sub", "nbf"]}):  # fmt: skip
        with pytest.raises(NotAuthorizedException):  # verified against these, not remembered
            cache.decode(token, **{**args, **other})
    monkeypatch.setattr(_security, "_now", lambda: now + 59.5)
    assert cache.decode(token, **args).sub == "7"
    monkeypatch.setattr(_security, "_now", lambda: now + 60)
    with pytest.raises(NotAuthorizedException):
        cache.decode(token, **args)
