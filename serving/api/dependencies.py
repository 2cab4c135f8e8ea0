"""Dependencies of the routes (`Depends`): tests swap any of them with `app.dependency_overrides`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from serving.api.resources import Resources
from serving.api.settings import Settings
from serving.errors import ModelNotLoaded


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_resources(request: Request) -> Resources:
    resources: Resources | None = getattr(request.app.state, "resources", None)
    if resources is None:
        raise ModelNotLoaded("le service démarre : modèle et base de motifs pas encore chargés")
    return resources


SettingsDep = Annotated[Settings, Depends(get_settings)]
ResourcesDep = Annotated[Resources, Depends(get_resources)]
