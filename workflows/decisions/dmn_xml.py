"""Small helpers for reading DMN XML elements by local name (namespaces vary by DMN version)."""
from __future__ import annotations

from typing import Any

from lxml import etree


def local(el: Any) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def children(el: Any, name: str) -> list[Any]:
    return [c for c in el if local(c) == name]


def child(el: Any, name: str) -> Any | None:
    found = children(el, name)
    return found[0] if found else None


def text_of(el: Any | None) -> str | None:
    if el is None:
        return None
    node = child(el, "text")
    return (node.text or "") if node is not None else None
