"""GET / — the agents' page: type a note, see suggestions, pick one. Static files, no CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from serving.api.auth import require_page

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Only our own files: works air-gapped, and an injected script or a third-party resource cannot load.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_page("agent"))])


@router.get("/")
def agent_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "agent.html", media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)
