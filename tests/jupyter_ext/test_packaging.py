"""The prebuilt labextension and the server extension are shipped and enabled.

``make install`` builds the labextension into ``jupyter_ext/labextension`` and installs it the
way the wheel does; without that build (a plain ``pip install -e .``) these tests skip, except
in CI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAME = "automl-assistant-jupyterlab"
BUILT = ROOT / "jupyter_ext" / "labextension" / "package.json"


def _need_build() -> None:
    if not BUILT.exists():
        if os.environ.get("CI"):
            pytest.fail("the labextension is not built: run `make labextension`")
        pytest.skip("the labextension is not built (make labextension)")


def _jupyter(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)


def test_labextension_listed_enabled() -> None:
    _need_build()
    assert re.search(rf"{NAME} v\S+ enabled\s+OK", _jupyter("labextension", "list"))


def test_server_extension_enabled() -> None:
    out = _jupyter("server", "extension", "list")
    assert re.search(r"assistant\.jupyter_ext\s+enabled", out)
    assert re.search(r"assistant\.jupyter_ext\s+OK", out)


@pytest.mark.integration
def test_wheel_ships_labextension_and_server_config(tmp_path: Path) -> None:
    _need_build()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    data = next(n.split("/data/")[0] for n in names if ".data/data/" in n) + "/data/"
    share = f"{data}share/jupyter/labextensions/{NAME}/"
    assert f"{share}package.json" in names
    assert any(n.startswith(f"{share}static/remoteEntry.") for n in names)
    assert f"{share}schemas/{NAME}/plugin.json" in names
    assert f"{data}etc/jupyter/jupyter_server_config.d/automl_assistant.json" in names
    assert "assistant/jupyter_ext/handlers.py" in names
    assert "assistant/chat/comm.py" in names

    # Installed from the wheel (no Node.js involved), Jupyter finds and enables both parts.
    # --ignore-installed: without it pip "upgrades" the editable install of the running
    # environment, uninstalling it from there, before it installs into the prefix.
    prefix = tmp_path / "prefix"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--ignore-installed",
         "--prefix", str(prefix), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    share = prefix / "share" / "jupyter"
    listed = _jupyter("labextension", "list", env={"JUPYTER_PATH": str(share)})
    section = listed.split(str(share / "labextensions"))[1]
    assert re.search(rf"{NAME} v\S+ enabled\s+OK", section)
    config = prefix / "etc" / "jupyter" / "jupyter_server_config.d" / "automl_assistant.json"
    assert '"assistant.jupyter_ext": true' in config.read_text()
