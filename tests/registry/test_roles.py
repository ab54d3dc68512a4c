"""Every HTTP route x every role, including each forbidden combination."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ._support import make_frame, run_body
from .conftest import auth

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROLES = ["anon", "vic", "alice", "bob", "admin"]  # vic=viewer, alice/bob=researchers

# (method, path, {role: expected status}); {run} / {session} / {user} are owned by alice
# (the user is a fresh throwaway account).
OK_ALL = {"anon": 401, "vic": 200, "alice": 200, "bob": 200, "admin": 200}
ADMIN_ONLY = {"anon": 401, "vic": 403, "alice": 403, "bob": 403, "admin": 200}
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/api/v1/me", OK_ALL),
    ("GET", "/api/v1/runs", OK_ALL),
    ("GET", "/api/v1/runs/{run}", OK_ALL),
    ("GET", "/api/v1/runs/{run}/frames", OK_ALL),
    ("POST", "/api/v1/runs", {"anon": 401, "vic": 403, "alice": 201, "bob": 201, "admin": 201}),
    ("DELETE", "/api/v1/runs/{run}",
     {"anon": 401, "vic": 403, "alice": 204, "bob": 403, "admin": 204}),
    ("GET", "/api/v1/sessions", OK_ALL),
    ("GET", "/api/v1/sessions/{session}", OK_ALL),
    ("POST", "/api/v1/sessions",
     {"anon": 401, "vic": 403, "alice": 201, "bob": 201, "admin": 201}),
    ("DELETE", "/api/v1/sessions/{session}",
     {"anon": 401, "vic": 403, "alice": 204, "bob": 403, "admin": 204}),
    ("GET", "/api/v1/users", ADMIN_ONLY),
    ("POST", "/api/v1/users", {**ADMIN_ONLY, "admin": 201}),
    ("GET", "/api/v1/users/{user}", ADMIN_ONLY),
    ("PATCH", "/api/v1/users/{user}", ADMIN_ONLY),
    ("DELETE", "/api/v1/users/{user}", {**ADMIN_ONLY, "admin": 204}),
    ("GET", "/api/v1/audit", ADMIN_ONLY),
    ("GET", "/api/v1", dict.fromkeys(ROLES, 200)),
    ("GET", "/health", dict.fromkeys(ROLES, 200)),
    ("GET", "/ready", dict.fromkeys(ROLES, 200)),
    ("GET", "/metrics", dict.fromkeys(ROLES, 200)),
    ("GET", "/api/schema", dict.fromkeys(ROLES, 200)),
]  # fmt: skip
CASES = [(m, p, r, exp[r]) for m, p, exp in MATRIX for r in ROLES]


async def _fixtures(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], path: str = "{run}{session}{user}"
) -> dict[str, str]:
    tag = uuid.uuid4().hex[:10]
    out = {"run": "", "session": "", "user": ""}
    if "{run}" in path:
        out["run"] = await _make_run(client, tokens, tag)
    if "{session}" in path:
        s = await client.post(
            "/api/v1/sessions", json={"title": tag}, headers=auth(tokens["alice"])
        )
        assert s.status_code == 201, s.text
        out["session"] = s.json()["id"]
    if "{user}" in path:
        u = await client.post(
            "/api/v1/users",
            json={"username": f"tmp-{tag}", "password": "pw-" + tag, "role": "viewer"},
            headers=auth(tokens["admin"]),
        )
        assert u.status_code == 201, u.text
        out["user"] = str(u.json()["id"])
    return out


async def _make_run(client: AsyncTestClient[Litestar], tokens: dict[str, str], tag: str) -> str:
    r = await client.post(
        "/api/v1/runs",
        json=run_body(
            f"roles-{tag}", frames=__import__("base64").b64encode(make_frame(0)).decode()
        ),
        headers=auth(tokens["alice"]),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _body(method: str, path: str) -> Any:
    if method == "POST" and path == "/api/v1/runs":
        return run_body(f"roles-new-{uuid.uuid4().hex}")
    if method == "POST" and path == "/api/v1/sessions":
        return {"title": "matrix"}
    if method == "POST" and path == "/api/v1/users":
        return {"username": f"new-{uuid.uuid4().hex[:12]}", "password": "long enough pw"}
    if method == "PATCH":
        return {"role": "researcher"}
    return None


@pytest.mark.parametrize(("method", "path", "role", "expected"), CASES,
                         ids=[f"{m} {p} as {r}" for m, p, r, _ in CASES])  # fmt: skip
async def test_route_role_status(
    client: AsyncTestClient[Litestar],
    tokens: dict[str, str],
    method: str,
    path: str,
    role: str,
    expected: int,
) -> None:
    ids = await _fixtures(client, tokens, path)
    url = path.format(**ids)
    headers = {} if role == "anon" else auth(tokens[role])
    body = _body(method, path)
    resp = await client.request(method, url, headers=headers, json=body)
    assert resp.status_code == expected, f"{method} {url} as {role}: {resp.status_code} {resp.text}"
    if expected == 403:
        assert "role" in resp.text or "own" in resp.text or "owner" in resp.text


async def test_forbidden_writes_leave_no_trace(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    ids = await _fixtures(client, tokens, "{run}")
    before = (await client.get("/api/v1/audit?limit=1", headers=auth(tokens["admin"]))).json()
    r = await client.delete(f"/api/v1/runs/{ids['run']}", headers=auth(tokens["bob"]))
    assert r.status_code == 403
    after = (await client.get("/api/v1/audit?limit=1", headers=auth(tokens["admin"]))).json()
    assert after["total"] == before["total"]
    assert (
        await client.get(f"/api/v1/runs/{ids['run']}", headers=auth(tokens["vic"]))
    ).status_code == 200
