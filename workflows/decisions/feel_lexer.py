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
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<num>(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<op>\.\.|\*\*|<=|>=|!=|->|[-+*/<>=(),\[\]{}:.?@])
  | (?P<name>(?:[^\W\d]|[^\x00-\x7F\s])(?:[\w']|[^\x00-\x7F\s])*)
    """,
    re.VERBOSE | re.UNICODE | re.DOTALL,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'"}
Token = tuple[str, str, Any, int]  # kind, text, value, position


def _unescape(body: str) -> str:
    def repl(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, "\\" + code)  # regular expressions keep their \\s, \\d
    text = re.sub(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{6}|.)", repl, body, flags=re.DOTALL)
    # a surrogate pair written as two \\u escapes is one character
    return text.encode("utf-16", "surrogatepass").decode("utf-16") if re.search("[\ud800-\udfff]", text) \
        else text


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

    def __init__(self, names: Iterable[str], types: dict[str, Any] | None = None) -> None:
        self.by_first: dict[str, list[tuple[list[str], str]]] = {}
        self.types: dict[str, Any] = types if types is not None else {}  # item definitions by name, for `instance of`
        for name in names:
            self.add(name)

    def add(self, name: str) -> None:
        """Know one more name (a context entry, a parameter) from here on."""
        try:
            words = [t[1] for t in tokenize(name)[:-1]]
        except FeelError:
            return
        if len(words) > 1:
            entries = self.by_first.setdefault(words[0], [])
            if not any(n == name for _, n in entries):
                entries.append((words, name))
                entries.sort(key=lambda e: -len(e[0]))

    def match(self, tokens: list[Token], i: int) -> tuple[str, int] | None:
        for words, name in self.by_first.get(tokens[i][1], ()):
            if all(i + k < len(tokens) and tokens[i + k][1] == w and tokens[i + k][0] != "str"
                   for k, w in enumerate(words)):
                return name, i + len(words)
        return None
