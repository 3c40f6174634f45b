"""The npm packages the pages use (Yasgui, accessible-autocomplete): where setup installed them, their versions,
and the versioned address of one of their files (None when setup has not installed it). The query page and
every template ask here; web/vendor.py serves the files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import url_for

from ..config import PROJECT_ROOT


@dataclass(frozen=True)
class Package:
    """An npm package and the folder of its ready-built browser files."""

    folder: Path
    build: str

    @property
    def files(self) -> Path:
        return self.folder / self.build


NODE_MODULES = PROJECT_ROOT / "node_modules"
PACKAGES = {
    "yasgui": Package(NODE_MODULES / "@zazuko" / "yasgui", "build"),
    "accessible-autocomplete": Package(NODE_MODULES / "accessible-autocomplete", "dist"),
}


@cache
def _version(package: str, mtime: float) -> str | None:
    try:
        return str(json.loads((PACKAGES[package].folder / "package.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def version(package: str) -> str | None:
    """The installed version of `package`, or None when setup has not installed it."""
    try:
        mtime = (PACKAGES[package].folder / "package.json").stat().st_mtime
    except OSError:
        return None
    return _version(package, mtime)


def vendor_url(package: str, filename: str) -> str | None:
    """The address of one of `package`'s files (versioned, so browsers keep it), or None when not installed."""
    installed = version(package)
    if installed is None or not (PACKAGES[package].files / filename).is_file():
        return None
    return url_for("vendor.asset", package=package, filename=filename, v=installed)
