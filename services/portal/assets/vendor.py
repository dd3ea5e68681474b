"""Copies the front-end code the portal serves from the pinned npm packages (installed by `npm ci` in
deploy/lib.sh) into its static files, so pages never fetch code from a CDN. axe-core stays here: only the browser
tests inject it, users never get it."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVED = {"htmx.min.js": HERE / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"}
VENDOR = HERE.parent / "entrypoints" / "static" / "vendor"
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"


def vendor(target: Path = VENDOR) -> list[str]:
    """Copies each served file whose content changed; answers the names copied (none on a second run)."""
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name, source in SERVED.items():
        destination = target / name
        if not destination.exists() or destination.read_bytes() != source.read_bytes():
            shutil.copyfile(source, destination)
            copied.append(name)
    return copied


if __name__ == "__main__":
    missing = [str(path) for path in SERVED.values() if not path.exists()]
    if missing:
        sys.exit(f"not installed (run npm ci in {HERE}): {', '.join(missing)}")
    vendor()
