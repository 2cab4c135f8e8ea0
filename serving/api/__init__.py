"""The real-time suggestion API (FastAPI): suggestions, feedback, taxonomy, probes, and the agents' page."""

from serving.api.main import create_app
from serving.api.resources import ResourceLoader, Resources, load_resources
from serving.api.settings import Settings

__all__ = ["ResourceLoader", "Resources", "Settings", "create_app", "load_resources"]
