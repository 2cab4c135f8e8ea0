"""Running the API with uvicorn, with logs that never print a request body or a query string.

uvicorn's access log prints the full path with its query string, so it is off; our GuardMiddleware logs the route
template, status and duration instead. Unhandled exceptions never reach uvicorn (GuardMiddleware answers them).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

from serving.api.main import create_app
from serving.api.resources import Resources, load_resources
from serving.api.settings import LOOPBACK_HOSTS, Settings
from serving.errors import ExposureRefused


def log_config(level: str = "INFO") -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s : %(message)s"}},
        # Safety net: every record is redacted before it is written (a slip that logs a note leaks tags only).
        "filters": {"redact": {"()": "pipeline.redaction.RedactingFilter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
                "filters": ["redact"],
            }
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "motifs": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }


def uvicorn_config(
    app: FastAPI, *, host: str = "127.0.0.1", port: int = 8000, level: str = "INFO", configure_logging: bool = True
) -> uvicorn.Config:
    """`configure_logging=False` leaves logging alone (records propagate to the root logger: tests capture them)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_config=log_config(level) if configure_logging else None,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False


def check_exposure(settings: Settings, host: str, active_users: int) -> str:
    """Refuse to listen beyond this machine without authentication (users or OIDC), or with only the loopback names
    as allowed Host headers (nobody could reach it); returns the sentence saying who may connect."""
    authenticated = settings.oidc_enabled or active_users > 0
    if not is_loopback(host):
        if not authenticated:
            raise ExposureRefused(
                f"écoute sur {host} refusée : aucun utilisateur configuré, l'API serait ouverte à tout le réseau "
                "(créer des utilisateurs avec motifs users add, ou configurer l'OIDC ; sinon --host 127.0.0.1)"
            )
        if set(settings.allowed_hosts) <= set(LOOPBACK_HOSTS):
            raise ExposureRefused(
                f"écoute sur {host} refusée : MOTIFS_ALLOWED_HOSTS ne contient que les noms locaux "
                "(attendu : le nom public du service, par ex. MOTIFS_ALLOWED_HOSTS='[\"motifs.exemple.fr\"]')"
            )
    if not authenticated:
        return (
            "Aucun utilisateur configuré : accès ouvert sans authentification, limité à cette machine "
            f"({host}). Pour l'ouvrir à d'autres postes : motifs users add NOM --role agent|analyst|admin."
        )
    sources = [f"{active_users} utilisateur(s) actif(s)"] if active_users else []
    sources += ["OIDC"] if settings.oidc_enabled else []
    return f"Authentification exigée ({' et '.join(sources)}) ; hôtes acceptés : {', '.join(settings.allowed_hosts)}."


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    announce: Callable[[Resources, str], None] | None = None,
) -> None:
    """Load the model, taxonomy and database first (a missing model is one clean error, not a traceback from
    uvicorn's lifespan), check who could connect (`check_exposure`), call `announce`, then serve until
    interrupted."""
    resources = load_resources(settings)
    try:
        access = check_exposure(settings, host, resources.database.users.count_active())
    except ExposureRefused:
        resources.close()
        raise
    if announce is not None:
        announce(resources, access)
    app = create_app(settings, loader=lambda _settings: resources)
    uvicorn.Server(uvicorn_config(app, host=host, port=port)).run()


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket (port 0: a free one) to hand to `uvicorn.Server.serve(sockets=[...])`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


__all__ = ["Resources", "bind_socket", "check_exposure", "is_loopback", "log_config", "serve", "uvicorn_config"]
