"""Issue 8 §5: the QR code of every document points at the address the app is served on, or at
HOTICH_VERIFY_BASE_URL when set; documents made in a job (no request) take the address last served."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.models import Document, Dossier, db
from app.services.collaborators import collaborators
from tests.api_client import Api, birth_submission
from tests.services.procedures import CHAIRMAN, OFFICER, accept, complete, jobs, submit


def verify_urls(app: Any, code: str) -> dict[str, str]:
    with app.app_context():
        dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        docs = db.session.scalars(select(Document).where(Document.dossier_id == dossier.id)).all()
        out = {d.name: d.context["verify_url"] for d in docs}
        db.session.remove()
    return out


class ServedOn(Api):
    """An API client whose requests come to `base` (scheme, host and port), as a browser's would."""

    def __init__(self, client: Any, base: str) -> None:
        super().__init__(client)
        self.base = base

    def call(self, method: str, user: str | None, path: str, **kwargs: Any) -> Any:
        return super().call(method, user, path, base_url=self.base, **kwargs)


def served_on(client: Any, base: str) -> Api:
    return ServedOn(client, base)


def test_qr_points_at_the_served_address_also_for_documents_made_in_a_job(app: Any, client: Any) -> None:
    api = served_on(client, "http://127.0.0.1:8123")
    code = submit(api, app, birth_submission(copies=1))
    accept(api, code)  # the appointment slip, issued while serving the request
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    jobs(app)  # the certificate is printed after the registry job: no request there
    complete(api, CHAIRMAN, code, "chairman_sign", {"decision": "sign", "signer_title": "chu_tich"})
    urls = verify_urls(app, code)
    assert {"phieu_hen", "giay_khai_sinh", "giay_khai_sinh_ban_sao_1"} <= set(urls)
    for name, url in urls.items():
        assert url.startswith("http://127.0.0.1:8123/verify/"), (name, url)
        assert "5000" not in url
    # and the verification page answers at that address
    page = client.get(urls["phieu_hen"].removeprefix("http://127.0.0.1:8123"))
    assert page.status_code == 200


@pytest.fixture
def configured_app(app: Any) -> Any:
    app.extensions["hotich"].configured_verify_base_url = "https://hotich.hanoi.gov.vn/"
    return app


def test_configured_base_url_wins_over_the_request(configured_app: Any, client: Any) -> None:
    api = served_on(client, "http://127.0.0.1:8123")
    code = submit(api, configured_app, birth_submission())
    accept(api, code)
    urls = verify_urls(configured_app, code)
    assert urls["phieu_hen"].startswith("https://hotich.hanoi.gov.vn/verify/")


def test_before_any_request_a_job_uses_the_local_port(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "8088")
    with app.app_context():
        rt = collaborators()
        rt.last_seen_base_url = None
        assert rt.verify_base_url == "http://127.0.0.1:8088"
        rt.last_seen_base_url = "http://10.0.0.5:8000"
        assert rt.verify_base_url == "http://10.0.0.5:8000"
