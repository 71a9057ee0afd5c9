"""FEEL recursive-descent parser producing a small tuple AST (see feel.py for the compiler).

Multi-word names are resolved greedily against the names known in scope (input data, decisions,
knowledge models, item components and built-in functions), via feel_lexer.NameTable.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from .errors import FeelError
from .feel_lexer import NameTable, Token, tokenize
from .feel_type_syntax import TypeSyntax

KEYWORDS = {"true", "false", "null", "if", "then", "else", "for", "in", "return", "some", "every",
            "satisfies", "and", "or", "between", "instance", "of", "function"}
CMP_OPS = ("<", "<=", ">", ">=", "=", "!=")


class Parser(TypeSyntax):
    def __init__(self, text: str, names: NameTable) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.names = names
        self.in_range_end = False  # `]1..5[`: a '[' after the end point closes the range

    # -- helpers -----------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok[0] in ("op", "name") and tok[1] in texts

    def next(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def expect(self, text: str) -> Token:
        if not self.at(text):
            self.fail(f"expected '{text}'")
        return self.next()

    def fail(self, message: str) -> None:
        tok = self.peek()
        found = "end of text" if tok[0] == "eof" else f"'{tok[1]}'"
        raise FeelError(f"syntax error: {message} but found {found} at position {tok[3] + 1}", tok[3])

    def done(self) -> None:
        if self.peek()[0] != "eof":
            self.fail("expected end of expression")

    # -- unary tests -------------------------------------------------------------------------
    def unary_tests(self) -> tuple:
        if self.peek()[1] == "-" and self.peek(1)[0] == "eof":
            return ("any",)
        if self.at("not") and self.peek(1)[1] == "(" and self._closing(self.i + 1) == len(self.tokens) - 2:
            self.next()
            self.next()
            tests = self.positive_tests(")")
            self.expect(")")
            self.done()
            return ("not", tests)
        tests = self.positive_tests(None)
        self.done()
        return ("tests", tests)

    def _closing(self, open_index: int) -> int:
        depth = 0
        for k in range(open_index, len(self.tokens)):
            t = self.tokens[k][1] if self.tokens[k][0] == "op" else ""
            if t in ("(", "[", "{"):
                depth += 1
            elif t in (")", "]", "}"):
                depth -= 1
                if depth == 0:
                    return k
        return -1

    def positive_tests(self, end: str | None) -> list[tuple]:
        tests = [self.positive_test()]
        while self.at(","):
            self.next()
            tests.append(self.positive_test())
        return tests

    def positive_test(self) -> tuple:
        tok = self.peek()
        if tok[0] == "op" and tok[1] in CMP_OPS:
            self.next()
            return ("ut_cmp", tok[1], self.additive())
        return ("ut_expr", self.expression())

    # -- expressions -------------------------------------------------------------------------
    def expression(self) -> tuple:
        tok = self.peek()
        if tok[0] == "name" and tok[1] == "if" and not self._is_multiword():
            self.next()
            cond = self.expression()
            self.expect("then")
            then = self.expression()
            self.expect("else")
            return ("if", cond, then, self.expression())
        if tok[0] == "name" and tok[1] in ("for", "some", "every") and self.peek(1)[0] == "name" \
                and self.peek(2)[1] == "in":
            self.next()
            loops = []
            while True:
                var = self.next()[1]
                self.expect("in")
                source = self.disjunction()
                if self.at(".."):  # `for i in 1..n` counts down as well as up
                    self.next()
                    source = ("range", True, source, self.disjunction(), True, "..")
                loops.append((var, source))
                if not self.at(","):
                    break
                self.next()
            self.expect("return" if tok[1] == "for" else "satisfies")
            return (tok[1], loops, self.expression())
        return self.disjunction()

    def _is_multiword(self) -> bool:
        return self.names.match(self.tokens, self.i) is not None

    def disjunction(self) -> tuple:
        node = self.conjunction()
        while self.at("or"):
            self.next()
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> tuple:
        node = self.comparison()
        while self.at("and"):
            self.next()
            node = ("and", node, self.comparison())
        return node

    def comparison(self) -> tuple:
        node = self.additive()
        while True:
            tok = self.peek()
            if tok[0] == "op" and tok[1] in CMP_OPS:
                self.next()
                node = ("cmp", tok[1], node, self.additive())
            elif self.at("between"):
                self.next()
                low = self.additive()
                self.expect("and")
                node = ("between", node, low, self.additive())
            elif self.at("in"):
                self.next()
                if self.at("(") and self._has_top_comma(self.i):
                    self.next()
                    tests = self.positive_tests(")")
                    self.expect(")")
                elif self.at("(") and self.peek(1)[0] == "op" and self.peek(1)[1] in CMP_OPS:
                    self.next()  # `x in (<5)`
                    tests = [self.positive_test()]
                    self.expect(")")
                else:
                    tests = [self.positive_test()]
                node = ("in", node, tests)
            elif self.at("instance") and self.peek(1)[1] == "of":
                self.next()
                self.next()
                node = ("instanceof", node, self.type_spec())
            else:
                return node

    def _has_top_comma(self, open_index: int) -> bool:
        close = self._closing(open_index)
        depth = 0
        for k in range(open_index + 1, close):
            t = self.tokens[k][1] if self.tokens[k][0] == "op" else ""
            if t in ("(", "[", "{"):
                depth += 1
            elif t in (")", "]", "}"):
                depth -= 1
            elif t == "," and depth == 0:
                return True
        return False

    def additive(self) -> tuple:
        node = self.multiplicative()
        while self.at("+", "-"):
            op = self.next()[1]
            node = ("arith", op, node, self.multiplicative())
        return node

    def multiplicative(self) -> tuple:
        node = self.exponent()
        while self.at("*", "/"):
            op = self.next()[1]
            node = ("arith", op, node, self.exponent())
        return node

    def exponent(self) -> tuple:
        node = self.unary()
        while self.at("**"):  # left-associative, and `-3 ** 2` is (-3) ** 2
            self.next()
            node = ("arith", "**", node, self.unary())
        return node

    def unary(self) -> tuple:
        if self.at("-"):
            self.next()
            operand = self.unary()
            if operand[0] == "lit" and isinstance(operand[1], Decimal):
                return ("lit", -operand[1])
            return ("neg", operand)
        return self.postfix()

    def postfix(self) -> tuple:
        node = self.primary()
        while True:
            if self.at("."):
                self.next()
                node = ("path", node, self.key_name())
            elif self.at("[") and not self.in_range_end:
                self.next()
                cond = self.expression()
                self.expect("]")
                node = ("filter", node, cond)
            elif self.at("("):
                node = ("call", node, *self.arguments())
            else:
                return node

    def key_name(self) -> str:
        tok = self.peek()
        if tok[0] != "name":
            self.fail("expected a name")
        multi = self.names.match(self.tokens, self.i)
        if multi:
            self.i = multi[1]
            return multi[0]
        self.next()
        return tok[1]

    def arguments(self) -> tuple[list[tuple], dict[str, tuple] | None]:
        self.expect("(")
        args: list[tuple] = []
        named: dict[str, tuple] | None = None
        while not self.at(")"):
            width = 0
            while self.peek(width)[0] == "name":
                width += 1
            if width and self.peek(width)[1] == ":":
                named = named or {}
                key = " ".join(self.next()[1] for _ in range(width))
                self.next()
                named[key] = self.expression()
            else:
                args.append(self.expression())
            if not self.at(","):
                break
            self.next()
        self.expect(")")
        return args, named

    def primary(self) -> tuple:
        tok = self.peek()
        kind, text = tok[0], tok[1]
        if kind == "num":
            self.next()
            return ("lit", tok[2])
        if kind == "str":
            self.next()
            return ("lit", tok[2])
        if kind == "op":
            if text == "?":
                self.next()
                return ("q",)
            if text == "(":
                self.next()
                op = self.peek()
                if op[0] == "op" and op[1] in CMP_OPS:  # `(< 10)`: a unary test as a range value
                    self.next()
                    end = self.additive()
                    self.expect(")")
                    return ("ut_range", op[1], end)
                inner = self.expression()
                if self.at(".."):
                    return self._range_rest(False, inner)
                self.expect(")")
                return inner
            if text == "]":
                self.next()
                return self._range_rest(False, self.expression())
            if text == "[":
                self.next()
                if self.at("]"):
                    self.next()
                    return ("list", [])
                first = self.expression()
                if self.at(".."):
                    return self._range_rest(True, first)
                items = [first]
                while self.at(","):
                    self.next()
                    items.append(self.expression())
                self.expect("]")
                return ("list", items)
            if text == "{":
                return self.context()
            if text == "@":
                self.next()
                lit = self.next()
                if lit[0] != "str":
                    self.fail("expected a string after '@'")
                return ("temporal", lit[2])
            self.fail("expected a value")
        if kind == "name":
            multi = self.names.match(self.tokens, self.i)
            if multi:
                self.i = multi[1]
                return ("name", multi[0])
            self.next()
            if text == "true":
                return ("lit", True)
            if text == "false":
                return ("lit", False)
            if text == "null":
                return ("lit", None)
            if text == "function":
                return self.function_definition()
            if text in KEYWORDS:
                self.i -= 1
                self.fail("expected a value")
            return ("name", text)
        self.fail("expected a value")
        raise AssertionError  # unreachable; fail() raises

    def _range_rest(self, low_closed: bool, low: tuple) -> tuple:
        self.expect("..")
        saved, self.in_range_end = self.in_range_end, True
        high = self.expression()
        self.in_range_end = saved
        if self.at("]"):
            self.next()
            return ("range", low_closed, low, high, True)
        if self.at(")", "["):
            self.next()
            return ("range", low_closed, low, high, False)
        self.fail("expected ']', ')' or '[' to close the range")
        raise AssertionError

    def context(self) -> tuple:
        self.expect("{")
        entries: list[tuple[str, tuple]] = []
        while not self.at("}"):
            tok = self.peek()
            if tok[0] == "str":
                self.next()
                key = tok[2]
            else:
                first = self.i
                while self.peek()[0] != "eof" and not self.at(":"):
                    self.next()
                if self.i == first:
                    self.fail("expected a context key")
                last = self.tokens[self.i - 1]
                key = self.text[tok[3]:last[3] + len(last[1])]
                key = " ".join(key.split())
            self.names.add(key)
            self.expect(":")
            entries.append((key, self.expression()))
            if not self.at(","):
                break
            self.next()
        self.expect("}")
        return ("ctx", entries)

    def function_definition(self) -> tuple:
        self.expect("(")
        params: list[tuple[str, Any]] = []
        while not self.at(")"):
            words = []
            while self.peek()[0] == "name":
                words.append(self.next()[1])
            if not words:
                self.fail("expected a parameter name")
            name = " ".join(words)
            self.names.add(name)
            kind = None
            if self.at(":"):
                self.next()
                kind = self.type_spec()
            params.append((name, kind))
            if not self.at(","):
                break
            self.next()
        self.expect(")")
        if self.at("external"):
            self.next()
            return ("external", params, self.expression())
        return ("function", params, self.expression())


def parse_expression(text: str, names: NameTable) -> tuple:
    parser = Parser(text, names)
    if parser.peek()[0] == "eof":
        raise FeelError("empty expression")
    node = parser.expression()
    parser.done()
    return node


def parse_unary_tests(text: str, names: NameTable) -> tuple:
    parser = Parser(text, names)
    if parser.peek()[0] == "eof":
        return ("any",)  # an empty cell behaves like '-'
    return parser.unary_tests()
