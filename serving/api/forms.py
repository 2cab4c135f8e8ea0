"""Reading a small URL-encoded HTML form without python-multipart: known fields only, first value each, bounded."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import parse_qs, urlsplit

from fastapi import Request

MAX_FORM_BYTES = 32 * 1024


async def _parsed(request: Request, max_fields: int) -> dict[str, list[str]] | None:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=max_fields)
    except (UnicodeDecodeError, ValueError):
        return None


async def read_form(request: Request, fields: Collection[str]) -> dict[str, str] | None:
    """The posted form's known fields (first value each); None when the body is not a URL-encoded form."""
    parsed = await _parsed(request, 20)
    return None if parsed is None else {name: parsed[name][0] for name in fields if name in parsed}


async def read_form_lists(
    request: Request, fields: Collection[str], *, max_fields: int = 1000
) -> dict[str, list[str]] | None:
    """Like `read_form`, every value of each known field (checkboxes: the codes to merge, the notes to move)."""
    parsed = await _parsed(request, max_fields)
    return None if parsed is None else {name: parsed[name] for name in fields if name in parsed}


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
