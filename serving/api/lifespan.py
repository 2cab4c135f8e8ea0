"""Loading what the API serves when it starts, releasing it when it stops (never at import time)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from serving.api.resources import ResourceLoader


def make_lifespan(loader: ResourceLoader) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Off the event loop: loading spaCy and the model takes seconds.
        resources = await asyncio.to_thread(loader, app.state.settings)
        app.state.resources = resources
        try:
            yield
        finally:
            app.state.resources = None
            resources.close()

    return lifespan
