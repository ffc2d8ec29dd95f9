"""onepin-sync: keep Onepin voice workflows in git and sync them like Terraform."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("onepin-sync")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
