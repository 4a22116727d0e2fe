"""Links the package as it is installed into one folder, so mypy sees the real module names.

pyproject.toml maps folders to packages (``tools/`` is ``assistant.tools``, ``jupyter_ext/`` is
``assistant.jupyter_ext``), which mypy cannot follow in an editable install. This script
links each package's modules under ``<out>/<package path>``, and the ``benchmarks`` package
(not installed, but importing ``assistant.tools``) under ``<out>/benchmarks``; ``make
typecheck`` runs mypy on both. Usage: ``python .ci/typecheck_tree.py build/typecheck``.
"""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path


def main(out: str) -> int:
    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    folders = config["tool"]["setuptools"]["package-dir"]
    target = Path(out).resolve()
    shutil.rmtree(target, ignore_errors=True)
    for package, folder in folders.items():
        dest = target / package.replace(".", "/")
        dest.mkdir(parents=True, exist_ok=True)
        for module in sorted((root / folder).glob("*.py")):
            (dest / module.name).symlink_to(module)
    for module in sorted((root / "benchmarks").rglob("*.py")):
        dest = target / module.relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.symlink_to(module)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "build/typecheck"))
