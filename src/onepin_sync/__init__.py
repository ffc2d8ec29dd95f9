"""onepin-sync: keep Onepin voice workflows in git and sync them like Terraform.

`__version__` is the one place the version is written (the package metadata reads it from here),
so `--version` needs no metadata lookup at start-up.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
