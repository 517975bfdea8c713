"""A small JSON API driver for tests and benchmarks."""

from __future__ import annotations

from typing import Any


class Api:
    def __init__(self, client: Any, prefix: str = "", app: Any = None) -> None:
        """`prefix` and `app`: the training space ("/training" and its app, where its jobs run)."""
        self.client = client
        self.prefix = prefix
        self.app = app or client.application
        self.tokens: dict[str, str] = {}

    def token(self, username: str, password: str = "demo12345") -> str:
        if username not in self.tokens:
            resp = self.client.post(
                f"{self.prefix}/api/v1/auth/token", json={"username": username, "password": password}
            )
            assert resp.status_code == 200, resp.get_json()
            self.tokens[username] = resp.get_json()["token"]
        return self.tokens[username]

    def call(self, method: str, user: str | None, path: str, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}) or {})
        if user:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return self.client.open(f"{self.prefix}/api/v1{path}", method=method, headers=headers, **kwargs)

    def get(self, user: str | None, path: str, **kw: Any) -> Any:
        return self.call("GET", user, path, **kw)

    def post(self, user: str | None, path: str, **kw: Any) -> Any:
        return self.call("POST", user, path, **kw)

    def task(self, user: str, code: str, key: str) -> dict[str, Any]:
        tasks = self.get(user, f"/tasks?dossier={code}").get_json()
        matching = [t for t in tasks if t["task"] == key]
        assert matching, f"{key} not open for {user}: {tasks}"
        return matching[0]

    def complete(self, user: str, code: str, key: str, data: dict[str, Any]) -> Any:
        if key == "chairman_sign" and user.startswith("chairman."):
            self.sign_register(user.replace("chairman.", "officer.", 1), code)
        task = self.task(user, code, key)
        return self.post(user, f"/tasks/{task['id']}/complete", json={"data": data})

    def sign_register(self, officer: str, code: str, mode: str = "in_person") -> None:
        """Luật Hộ tịch Art. 16(2), 34(2): the declarant and the officer sign the register before the chairman
        signs; a no-op when that step is not open (marriage: the parties sign at the handover)."""
        from app.models import db
        from app.services.jobs import run_pending

        with self.app.app_context():
            run_pending()  # the registry call before the register is signed
            db.session.remove()
        tasks = self.get(officer, f"/tasks?dossier={code}").get_json()
        open_sign = [t for t in tasks if t["task"] == "register_sign"]
        if open_sign:
            data = {"mode": mode, "officer_signed": True}
            resp = self.post(officer, f"/tasks/{open_sign[0]['id']}/complete", json={"data": data})
            assert resp.status_code == 200, resp.get_json()


def birth_submission(**overrides: Any) -> dict[str, Any]:
    """A valid on-time birth dossier for Phường Hoàn Kiếm (parents are demo registry persons)."""
    data: dict[str, Any] = {
        "requester": {
            "full_name": "Nguyễn Văn An",
            "personal_id": "001095012345",
            "relationship": "father",
            "phone": "0912345678",
            "email": "an@example.vn",
        },
        "copies": 1,
        "child": {
            "full_name": "Nguyễn Thị Ánh Dương",
            "birth_date": "2026-02-20",
            "sex": "female",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "birth_place": "Bệnh viện Phụ sản Hà Nội, Phường Láng, Thành phố Hà Nội",
            "home_town": "Phường Hoàn Kiếm, Thành phố Hà Nội",
        },
        "mother": {"personal_id": "001196023456"},
        "father": {"personal_id": "001095012345"},
        "birth_certificate": {
            "number": "BV-2026-00123",
            "issuer": "Bệnh viện Phụ sản Hà Nội",
            "issued_on": "2026-02-21",
        },
    }
    data.update(overrides)
    return {"procedure": "birth", "commune_code": "00070", "channel": "counter", "data": data}
