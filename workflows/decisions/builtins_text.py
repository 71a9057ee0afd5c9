"""FEEL string built-ins; `matches`, `replace` and `split` take XML Schema (XPath) regular
expressions, translated here to Python's `re` (flags s, m, i, x, q as XPath defines them)."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from .builtin_registry import builtin
from .errors import FeelError

_FLAGS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE}
_CATEGORIES = {  # \p{..} blocks and categories Python's re lacks, as character ranges
    "L": "a-zA-Z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff", "Lu": "A-Z\u00c0-\u00de", "Ll": "a-z\u00df-\u00ff",
    "N": "0-9", "Nd": "0-9", "P": "!-#%-*,-/:;?@\\[-\\]_{}", "Z": " \u00a0", "IsBasicLatin": "\\x00-\\x7f",
}


def _one(value: Any) -> Any:
    """A singleton list stands for its element where a string is expected."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _count(value: int) -> Decimal:
    return Decimal(value)


def xsd_regex(pattern: str, flags: str | None = None) -> re.Pattern[str]:
    """Compile an XPath regular expression; FeelError when pattern or flags are invalid."""
    flags = flags or ""
    if any(f not in "smixq" for f in flags):
        raise FeelError(f"invalid regular expression flags '{flags}'")
    bits = 0
    for f in flags:
        bits |= _FLAGS.get(f, 0)
    if "q" in flags:
        return re.compile(re.escape(pattern), bits)
    if "x" in flags:
        pattern = re.sub(r"\[[^\]]*\]|\s+", lambda m: m.group() if m.group().startswith("[") else "", pattern)
    out, i, depth = [], 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "[" and (i == 0 or pattern[i - 1] != "\\"):
            depth += 1
        elif c == "]" and depth and pattern[i - 1] != "\\":
            depth -= 1
        if c == "\\" and depth and i + 1 < len(pattern) and pattern[i + 1].isdigit():
            raise FeelError("a back-reference cannot stand in a character class")
        if c == "." and not depth and "s" not in flags:
            out.append("[^\\n\\r]")
            i += 1
            continue
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "pP" and i + 2 < len(pattern) and pattern[i + 2] == "{":
                end = pattern.index("}", i)
                name = pattern[i + 3:end]
                if name not in _CATEGORIES:
                    raise FeelError(f"unsupported character category '{name}'")
                out.append(("[" if nxt == "p" else "[^") + _CATEGORIES[name] + "]")
                i = end + 1
                continue
            if nxt in "ic":
                out.append("[\\w:]" if nxt == "c" else "[A-Za-z_:]")
                i += 2
                continue
            if nxt.isdigit() or nxt in "nrt\\|.?*+(){}[]^$-sSdDwW":
                out.append(c + nxt)
                i += 2
                continue
            raise FeelError(f"invalid escape '\\{nxt}' in regular expression")
        if c == "$":
            out.append(r"(?=\n?\Z)" if "m" not in flags else "$")
        elif c == "(" and pattern[i + 1:i + 2] == "?":
            raise FeelError("'(?' is not XML Schema regular expression syntax")
        else:
            out.append(c)
        i += 1
    translated = re.sub(r"\[([^\[\]]*)-\[([^\[\]]*)\]\]", r"(?:(?![\2])[\1])", "".join(out))  # [A-Z-[OI]]
    try:
        return re.compile(translated, bits)
    except re.error as exc:
        raise FeelError(f"invalid regular expression: {exc}") from None


@builtin("matches", "input", "pattern", "flags?")
def f_matches(text: Any, pattern: Any, flags: Any = None) -> Any:
    if not isinstance(text, str) or not isinstance(pattern, str) or not isinstance(flags, (str, type(None))):
        return None
    return xsd_regex(pattern, flags).search(text) is not None


@builtin("replace", "input", "pattern", "replacement", "flags?")
def f_replace(text: Any, pattern: Any, replacement: Any, flags: Any = None) -> Any:
    if not all(isinstance(v, str) for v in (text, pattern, replacement)) or \
            not isinstance(flags, (str, type(None))):
        return None
    regex = xsd_regex(pattern, flags)
    if regex.match(""):
        raise FeelError("the pattern matches an empty string")
    if "q" in (flags or ""):
        return regex.sub(lambda m: replacement, text)
    if re.search(r"(?<!\\)\\(?![\\$])|\$(?!\d)", replacement.replace("\\\\", "")):
        raise FeelError("invalid replacement text")

    def expand(m: re.Match[str]) -> str:
        out, i = [], 0
        while i < len(replacement):
            c = replacement[i]
            if c == "\\":
                out.append(replacement[i + 1])
                i += 2
            elif c == "$":
                j = i + 1
                while j < len(replacement) and replacement[j].isdigit() and int(replacement[i + 1:j + 1]) <= \
                        (regex.groups or 0):
                    j += 1
                group = int(replacement[i + 1:j]) if j > i + 1 else 0
                out.append(m.group(group) or "" if group <= regex.groups else "")
                i = max(j, i + 2)
            else:
                out.append(c)
                i += 1
        return "".join(out)
    return regex.sub(expand, text)


@builtin("split", "string", "delimiter")
def f_split(text: Any, delimiter: Any) -> Any:
    if not isinstance(text, str) or not isinstance(delimiter, str) or not delimiter:
        return None
    regex = xsd_regex(delimiter)
    if regex.match(""):
        raise FeelError("the delimiter matches an empty string")
    return regex.split(text) if regex.groups == 0 else re.split(f"(?:{regex.pattern})", text)


@builtin("substring", "string", "start position", "length?")
def f_substring(text: Any, start: Any, length: Any = None) -> Any:
    if not isinstance(text, str) or not isinstance(start, Decimal) or start == 0:
        return None
    if length is not None and (not isinstance(length, Decimal) or length < 0):
        return None
    chars = _code_points(text)
    s = int(start)
    begin = s - 1 if s > 0 else max(len(chars) + s, 0)
    end = len(chars) if length is None else begin + int(length)
    return "".join(chars[begin:end])


def _code_points(text: str) -> list[str]:
    return list(text)  # Python strings are sequences of code points already


@builtin("string length", "string")
def f_string_length(text: Any) -> Any:
    return _count(len(text)) if isinstance(text, str) else None


@builtin("upper case", "string")
def f_upper(text: Any) -> Any:
    text = _one(text)
    return text.upper() if isinstance(text, str) else None


@builtin("lower case", "string")
def f_lower(text: Any) -> Any:
    text = _one(text)
    return text.lower() if isinstance(text, str) else None


@builtin("substring before", "string", "match")
def f_before(text: Any, match: Any) -> Any:
    if not isinstance(text, str) or not isinstance(match, str):
        return None
    return text.partition(match)[0] if match and match in text else ""


@builtin("substring after", "string", "match")
def f_after(text: Any, match: Any) -> Any:
    if not isinstance(text, str) or not isinstance(match, str):
        return None
    if not match:
        return text
    return text.partition(match)[2] if match in text else ""


@builtin("contains", "string", "match")
def f_contains(text: Any, match: Any) -> Any:
    return match in text if isinstance(text, str) and isinstance(match, str) else None


@builtin("starts with", "string", "match")
def f_starts(text: Any, match: Any) -> Any:
    return text.startswith(match) if isinstance(text, str) and isinstance(match, str) else None


@builtin("ends with", "string", "match")
def f_ends(text: Any, match: Any) -> Any:
    return text.endswith(match) if isinstance(text, str) and isinstance(match, str) else None


@builtin("string join", "list", "delimiter?")
def f_string_join(items: Any, sep: Any = None) -> Any:
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(x, str) or x is None for x in items):
        return None
    if sep is not None and not isinstance(sep, str):
        return None
    return (sep or "").join(x for x in items if x is not None)
