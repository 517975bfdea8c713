"""A small driver for the officials' pages through the Flask test client (sessions and CSRF tokens)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Pages:
    def __init__(self, app: Any) -> None:
        self.client = app.test_client()
        self.token = ""

    def login(self, username: str, password: str = "demo12345") -> Any:
        page = self.client.get("/login")
        self.token = CSRF.search(page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
        resp = self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": self.token}
        )
        self.refresh_token()
        return resp

    def refresh_token(self) -> None:
        found = CSRF.search(self.client.get("/login").get_data(as_text=True))
        if found:
            self.token = found.group(1)

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict[str, Any] | None = None, csrf: bool = True, **kw: Any) -> Any:
        body = dict(data or {})
        if csrf:
            body["csrf_token"] = self.token
        return self.client.post(url, data=body, **kw)

    def text(self, url: str) -> str:
        resp = self.get(url)
        assert resp.status_code == 200, (url, resp.status_code, resp.get_data(as_text=True)[:2000])
        return str(resp.get_data(as_text=True))


class Controls(HTMLParser):
    """Form controls (id, name, type, value), labels (for=) and elements by id, from an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[dict[str, str]] = []
        self.label_for: list[str] = []
        self.ids: set[str] = set()
        self._textarea: dict[str, str] | None = None
        self._select: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "label" and "for" in a:
            self.label_for.append(a["for"])
        if tag == "input" and a.get("type", "text") not in ("hidden", "submit", "button"):
            self.controls.append({"tag": tag, **a})
        if tag == "textarea":
            self._textarea = {"tag": tag, **a, "value": ""}
            self.controls.append(self._textarea)
        if tag == "select":
            self._select = {"tag": tag, **a, "value": ""}
            self.controls.append(self._select)
        if tag == "option" and self._select is not None and "selected" in a:
            self._select["value"] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        if tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["value"] += data

    def value(self, name: str) -> str:
        for c in self.controls:
            if c.get("name") == name and (c.get("type") not in ("radio", "checkbox") or "checked" in c):
                return c.get("value", "")
        return ""
