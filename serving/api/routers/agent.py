"""GET / — the agents' page: type a note, see suggestions, pick one. Static files, no CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def agent_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "agent.html", media_type="text/html; charset=utf-8")
