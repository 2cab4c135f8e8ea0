"""motifs — qualification des motifs d'appel des services publics.

This package is the application shell: the `motifs` command line and the main job that chains the layers
(taxonomy ← pipeline ← training / serving). It holds no domain logic of its own.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("motifs")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
