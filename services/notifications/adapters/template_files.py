"""Reading template files (the seed, templates/default.yaml); an invalid one stops start-up with a message naming
the file and the key."""
from __future__ import annotations

from pathlib import Path

import yaml

from shared.refusals import DecisionInvalid
from services.notifications.domain.templates import Template, template_from_data

DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "default.yaml"
FILE_KEYS = ("templates",)


class TemplateFileInvalid(Exception):
    """A template file is invalid; the service refuses to start."""


def load_templates(path: Path = DEFAULT_TEMPLATES) -> dict[str, Template]:
    """The templates of a file `{templates: [{id, version, variants: [...]}, ...]}`, by id."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("templates"), list):
        raise TemplateFileInvalid(f"{path}: needs a list under 'templates'")
    for key in data:
        if key not in FILE_KEYS:
            raise TemplateFileInvalid(f"{path}: unknown key {key!r}")
    templates: dict[str, Template] = {}
    for index, item in enumerate(data["templates"]):
        try:
            template = template_from_data(item)
        except DecisionInvalid as invalid:
            raise TemplateFileInvalid(f"{path}: templates.{index}.{invalid.field}: {invalid.message}") from None
        if template.id in templates:
            raise TemplateFileInvalid(f"{path}: templates.{index}.id: {template.id!r} is defined twice")
        templates[template.id] = template
    return templates
