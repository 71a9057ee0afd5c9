"""Parsing FEEL type syntax (`list<number>`, `context<a: string>`, `function<number> -> number`),
as a part of the FEEL parser: after `instance of`, in typed parameters and in DMN typeRefs."""
from __future__ import annotations

from typing import Any

from .feel_lexer import NameTable, Token
from .feel_types import BaseType, ContextType, FunctionType, ListType, RangeType, base_type

_MULTIWORD_TYPES = ("date and time", "days and time duration", "years and months duration")


class TypeSyntax:
    """The type rules of the FEEL grammar; the parser supplies the token cursor."""

    i: int
    names: NameTable

    def peek(self, offset: int = 0) -> Token:
        raise NotImplementedError

    def at(self, *texts: str) -> bool:
        raise NotImplementedError

    def next(self) -> Token:
        raise NotImplementedError

    def expect(self, text: str) -> Token:
        raise NotImplementedError

    def fail(self, message: str) -> None:
        raise NotImplementedError

    def type_spec(self) -> Any:
        """A FEEL type after `instance of` or in a typed parameter."""
        tok = self.peek()
        if tok[0] != "name":
            self.fail("expected a type")
        word = tok[1]
        if word in ("list", "range") and self.peek(1)[1] == "<":
            self.next()
            self.next()
            inner = self.type_spec()
            self.expect(">")
            return ListType(inner) if word == "list" else RangeType(inner)
        if word == "context" and self.peek(1)[1] == "<":
            self.next()
            self.next()
            fields: dict[str, Any] = {}
            while not self.at(">"):
                key = self.next()[1] if self.peek()[0] != "str" else self.next()[2]
                self.expect(":")
                fields[key] = self.type_spec()
                if not self.at(","):
                    break
                self.next()
            self.expect(">")
            return ContextType(fields)
        if word == "function" and self.peek(1)[1] == "<":
            self.next()
            self.next()
            params = []
            while not self.at(">"):
                params.append(self.type_spec())
                if not self.at(","):
                    break
                self.next()
            self.expect(">")
            self.expect("->")
            return FunctionType(params, self.type_spec())
        for name in _MULTIWORD_TYPES:
            words = name.split()
            if all(self.peek(k)[1] == w for k, w in enumerate(words)):
                self.i += len(words)
                return BaseType(name)
        self.next()
        while self.at(".") and self.peek(1)[0] == "name":  # a qualified (imported) type name
            self.next()
            word += "." + self.next()[1]
        known = self.names.types.get(word) or base_type(word)
        if known is None:
            self.i -= 1
            self.fail(f"unknown type '{word}'")
        return known
