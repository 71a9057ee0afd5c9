"""FEEL tokenizer, and the table of multi-word names the parser resolves greedily.

Names with spaces ("Years of Service", "date and time") cannot be told apart from keywords by
the lexer alone, so the parser asks NameTable whether the next words spell a known name.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .errors import FeelError

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<num>\d+(?:\.\d+)?|\.\d+)
  | (?P<op>\.\.|\*\*|<=|>=|!=|[-+*/<>=(),\[\]{}:.?@])
  | (?P<name>[^\W\d][\w']*)
    """,
    re.VERBOSE | re.UNICODE,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'"}
Token = tuple[str, str, Any, int]  # kind, text, value, position


def _unescape(body: str) -> str:
    def repl(m: re.Match[str]) -> str:
        code = m.group(1)
        if code.startswith("u"):
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)
    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", repl, body)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise FeelError(f"unexpected character '{text[pos]}' at position {pos + 1}", pos)
        kind = m.lastgroup or ""
        tok = m.group()
        if kind == "num" and tok.startswith(".") and tokens and tokens[-1][0] in ("name", "num") \
                or kind == "num" and tok.startswith(".") and tokens and tokens[-1][1] in (")", "]", "}"):
            # `a.5` is a path step, not the number .5
            tokens.append(("op", ".", None, pos))
            pos += 1
            continue
        if kind == "str":
            tokens.append(("str", tok, _unescape(tok[1:-1]), pos))
        elif kind == "num":
            tokens.append(("num", tok, Decimal(tok), pos))
        elif kind != "ws":
            tokens.append((kind, tok, None, pos))
        pos = m.end()
    tokens.append(("eof", "", None, len(text)))
    return tokens


class NameTable:
    """Multi-word names indexed by their first word, longest first, for greedy matching."""

    def __init__(self, names: Iterable[str]) -> None:
        self.by_first: dict[str, list[tuple[list[str], str]]] = {}
        for name in names:
            try:
                words = [t[1] for t in tokenize(name)[:-1]]
            except FeelError:
                continue
            if len(words) > 1:
                self.by_first.setdefault(words[0], []).append((words, name))
        for entries in self.by_first.values():
            entries.sort(key=lambda e: -len(e[0]))

    def match(self, tokens: list[Token], i: int) -> tuple[str, int] | None:
        for words, name in self.by_first.get(tokens[i][1], ()):
            if all(i + k < len(tokens) and tokens[i + k][1] == w and tokens[i + k][0] != "str"
                   for k, w in enumerate(words)):
                return name, i + len(words)
        return None
