"""Reading a small URL-encoded HTML form without python-multipart: known fields only, first value each, bounded."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import parse_qs, urlsplit

from fastapi import Request

MAX_FORM_BYTES = 32 * 1024


async def read_form(request: Request, fields: Collection[str]) -> dict[str, str] | None:
    """The posted form's known fields (first value each); None when the body is not a URL-encoded form."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return None
    return {name: parsed[name][0] for name in fields if name in parsed}


def same_origin(request: Request) -> bool:
    """A browser posting from another site's page says so (Sec-Fetch-Site, Origin): refuse it. Clients that are
    not browsers send neither header and pass (they authenticate with a bearer token, which no page can send in
    their name)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc == request.headers.get("host", "")
