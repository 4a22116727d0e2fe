"""Render the prompt templates in ``prompts/`` with Jinja2 (strict undefined).

Templates are text files, one per prompt, so wording changes touch ``prompts/`` only. Values
are substituted as data: a user's note that contains ``{{ ... }}`` is printed literally, never
evaluated.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from assistant.space import format_number


def _template_dir() -> Path:
    """The folder holding the templates: the installed package data, or the source tree."""
    try:
        folder = Path(str(resources.files("assistant.prompts")))
        if folder.is_dir() and any(folder.glob("*.j2")):
            return folder
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "prompts"


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_template_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        finalize=_as_data,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    return env


def _as_data(value: Any) -> Any:
    """Every substituted value: text cannot close (or open) the templates' <data> blocks."""
    if isinstance(value, str):
        return value.replace("<data", "&lt;data").replace("</data", "&lt;/data")
    return value


def render(template_name: str, **values: Any) -> str:
    """Render one template; a missing value raises :class:`jinja2.UndefinedError`."""
    return _environment().get_template(template_name).render(**values).strip()
