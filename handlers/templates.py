"""Message templates: ``handlers/templates/<name>.txt``, a few headers, a blank line, the body.

    Subject: Urgent referral for $personName
    Notify-Template-Id: 0f0e...   (optional: the GOV.UK Notify template this one stands for)

    A referral for $personName ($caseReference) was triaged as $priority.

Placeholders use ``string.Template`` (``$name``/``${name}``): no code runs, and a placeholder the
message's data lacks is a permanent delivery failure rather than a half-filled letter.

Values are written for people (GOV.UK style, :mod:`handlers.message_words`): dates as words, a
duration as "24 hours", yes or no, lists joined, and a field's code (``dutyBasis``
``S48_TEMPORARY_DUTY``) as the words ``words.json`` gives it. A catalogue message that combines
two (``M1/M8`` in DMN-10) lives in ``M1+M8.txt``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from .message_words import plain_values

TEMPLATE_DIR = Path(__file__).with_name("templates")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")


class TemplateError(Exception):
    """No such template, or the data does not fill it."""


@dataclass(frozen=True)
class MessageTemplate:
    name: str
    subject: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    def render(self, data: dict[str, Any]) -> tuple[str, str]:
        values = plain_values(data)
        try:
            return Template(self.subject).substitute(values), Template(self.body).substitute(values)
        except KeyError as exc:
            raise TemplateError(f"template '{self.name}' needs a value for {exc.args[0]!r}") from None
        except ValueError as exc:
            raise TemplateError(f"template '{self.name}' is malformed: {exc}") from None


class TemplateRegistry:
    def __init__(self, directory: Path = TEMPLATE_DIR) -> None:
        self.directory = Path(directory)
        self._cache: dict[str, MessageTemplate] = {}

    def names(self) -> list[str]:
        return sorted(p.stem.replace("+", "/") for p in self.directory.glob("*.txt"))

    def exists(self, name: Any) -> bool:
        try:
            self.get(name)
        except TemplateError:
            return False
        return True

    def get(self, name: str) -> MessageTemplate:
        if name in self._cache:
            return self._cache[name]
        if not isinstance(name, str) or not all(_NAME.match(part) for part in name.split("/")):
            raise TemplateError(f"'{name}' is not a template name")
        path = self.directory / f"{name.replace('/', '+')}.txt"
        if not path.is_file():
            raise TemplateError(f"no message template '{name}' (known: {', '.join(self.names())})")
        template = parse_template(name, path.read_text(encoding="utf-8"))
        self._cache[name] = template
        return template


def parse_template(name: str, text: str) -> MessageTemplate:
    head, sep, body = text.partition("\n\n")
    if not sep:
        head, body = text, ""
    headers: dict[str, str] = {}
    for line in head.splitlines():
        key, colon, value = line.partition(":")
        if not colon:
            raise TemplateError(f"template '{name}': header line {line!r} needs 'Name: value'")
        headers[key.strip().lower()] = value.strip()
    if "subject" not in headers:
        raise TemplateError(f"template '{name}' has no Subject header")
    return MessageTemplate(name, headers.pop("subject"), body.strip() + "\n", headers)


_default = TemplateRegistry()


def default_templates() -> TemplateRegistry:
    return _default
