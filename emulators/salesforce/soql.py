"""The SOQL subset a sync needs: parse, check against the describe, and evaluate.

`SELECT f, ... | COUNT() FROM Object [WHERE ...] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...]
[LIMIT n]` with comparisons (= != <> < <= > >=), IN / NOT IN, AND / OR and parentheses.
Literals follow the SOQL reference: single-quoted strings with backslash escapes,
unquoted dateTime (`1999-01-01T23:01:01Z`, `+01:00`, optional `.sss`), dates, numbers,
true / false / null. String comparison is case-insensitive, as in Salesforce, except on
id and reference fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from emulators.salesforce.schema import FieldDef, ObjectDef


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<string>'(?:[^'\\]|\\.)*')
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})
    |(?P<number>-?\d+(?:\.\d+)?)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
    |(?P<op>!=|<>|<=|>=|=|<|>)
    |(?P<punct>[(),])""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_KEYWORDS = {
    "SELECT",
    "FROM",
    "WHERE",
    "ORDER",
    "BY",
    "LIMIT",
    "AND",
    "OR",
    "NOT",
    "IN",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "TRUE",
    "FALSE",
    "NULL",
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str


def parse_datetime(text: str) -> datetime:
    """Salesforce dateTime text (`Z`, `+00:00` or `+0000`, optional millis) to aware UTC."""
    normalized = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", normalized):
        normalized = f"{normalized[:-2]}:{normalized[-2:]}"
    return datetime.fromisoformat(normalized).astimezone(UTC)


def unquote(literal: str) -> str:
    """Decode a quoted SOQL string; a backslash before anything undocumented is an error."""
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        if nxt in _ESCAPES or (nxt and nxt.lower() in "nrtbf"):
            out.append(_ESCAPES[nxt] if nxt in _ESCAPES else _ESCAPES[nxt.lower()])
            i += 2
        elif nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", body[i + 2 : i + 6]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        else:
            raise SoqlError("MALFORMED_QUERY", f"Invalid string literal {literal}: Illegal escape")
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text[pos : pos + 20]}'")
        pos = match.end()
        kind = match.lastgroup or ""
        if kind == "ws":
            continue
        word = match.group()
        if kind == "ident" and word.upper() in _KEYWORDS:
            tokens.append(Token("kw", word.upper()))
        else:
            tokens.append(Token(kind, word))
    return tokens


@dataclass(frozen=True, slots=True)
class Literal:
    kind: str  # string | datetime | date | number | boolean | null
    value: Any


@dataclass(frozen=True, slots=True)
class Compare:
    field: str
    op: str
    value: Literal


@dataclass(frozen=True, slots=True)
class InList:
    field: str
    values: tuple[Literal, ...]
    negate: bool


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # AND | OR
    items: tuple[Condition, ...]


Condition = Compare | InList | BoolOp


@dataclass(frozen=True, slots=True)
class OrderKey:
    field: str
    descending: bool
    nulls_last: bool


@dataclass(frozen=True, slots=True)
class Query:
    fields: tuple[str, ...]
    object: str
    where: Condition | None
    order: tuple[OrderKey, ...]
    limit: int | None
    count: bool = False  # SELECT COUNT(): only totalSize is answered


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> Token:
        token = self.peek()
        if token is None or token.kind != kind or (text is not None and token.text != text):
            found = token.text if token else "<EOF>"
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{found}'")
        self.pos += 1
        return token

    def accept(self, kind: str, text: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == kind and token.text == text:
            self.pos += 1
            return True
        return False

    def query(self) -> Query:
        self.take("kw", "SELECT")
        fields = [self.take("ident").text]
        count = fields[0].upper() == "COUNT" and self.accept("punct", "(")
        if count:
            self.take("punct", ")")
            fields = []
        while not count and self.accept("punct", ","):
            fields.append(self.take("ident").text)
        self.take("kw", "FROM")
        obj = self.take("ident").text
        where = self.condition() if self.accept("kw", "WHERE") else None
        order: list[OrderKey] = []
        if self.accept("kw", "ORDER"):
            self.take("kw", "BY")
            order.append(self.order_key())
            while self.accept("punct", ","):
                order.append(self.order_key())
        limit = int(self.take("number").text) if self.accept("kw", "LIMIT") else None
        if self.peek() is not None:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{self.peek().text}'")  # type: ignore[union-attr]
        return Query(tuple(fields), obj, where, tuple(order), limit, count)

    def order_key(self) -> OrderKey:
        name = self.take("ident").text
        descending = self.accept("kw", "DESC")
        if not descending:
            self.accept("kw", "ASC")
        nulls_last = descending
        if self.accept("kw", "NULLS"):
            nulls_last = self.accept("kw", "LAST")
            if not nulls_last:
                self.take("kw", "FIRST")
        return OrderKey(name, descending, nulls_last)

    def condition(self) -> Condition:
        items = [self.conjunction()]
        while self.accept("kw", "OR"):
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else BoolOp("OR", tuple(items))

    def conjunction(self) -> Condition:
        items = [self.simple()]
        while self.accept("kw", "AND"):
            items.append(self.simple())
        return items[0] if len(items) == 1 else BoolOp("AND", tuple(items))

    def simple(self) -> Condition:
        if self.accept("punct", "("):
            inner = self.condition()
            self.take("punct", ")")
            return inner
        name = self.take("ident").text
        negate = self.accept("kw", "NOT")
        if self.accept("kw", "IN"):
            self.take("punct", "(")
            values = [self.literal()]
            while self.accept("punct", ","):
                values.append(self.literal())
            self.take("punct", ")")
            return InList(name, tuple(values), negate)
        if negate:
            raise SoqlError("MALFORMED_QUERY", "unexpected token: 'NOT'")
        op = self.take("op").text
        return Compare(name, "!=" if op == "<>" else op, self.literal())

    def literal(self) -> Literal:
        token = self.peek()
        if token is None:
            raise SoqlError("MALFORMED_QUERY", "unexpected token: '<EOF>'")
        self.pos += 1
        if token.kind == "string":
            return Literal("string", unquote(token.text))
        if token.kind == "datetime":
            return Literal("datetime", parse_datetime(token.text))
        if token.kind == "date":
            return Literal("date", token.text)
        if token.kind == "number":
            return Literal("number", float(token.text))
        if token.kind == "kw" and token.text in {"TRUE", "FALSE"}:
            return Literal("boolean", token.text == "TRUE")
        if token.kind == "kw" and token.text == "NULL":
            return Literal("null", None)
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{token.text}'")


def parse(text: str) -> Query:
    return _Parser(text).query()


_LITERAL_KINDS = {
    "datetime": {"datetime"},
    "date": {"date"},
    "boolean": {"boolean"},
    "int": {"number"},
    "double": {"number"},
}


def bind(query: Query, obj: ObjectDef) -> Query:
    """Resolve field names to their canonical spelling and check literal types.

    Errors carry the codes Salesforce uses: INVALID_FIELD for an unknown column and
    INVALID_QUERY_FILTER_OPERATOR for a literal of the wrong type (a quoted dateTime).
    """

    def resolve(name: str) -> FieldDef:
        found = obj.lookup(name)
        if found is None:
            raise SoqlError(
                "INVALID_FIELD",
                f"No such column '{name}' on entity '{obj.name}'. If you are attempting to use "
                "a custom field, be sure to append the '__c' after the custom field name.",
            )
        return found

    def check(fdef: FieldDef, literal: Literal) -> None:
        allowed = _LITERAL_KINDS.get(fdef.type, {"string"})
        if literal.kind != "null" and literal.kind not in allowed:
            raise SoqlError(
                "INVALID_QUERY_FILTER_OPERATOR",
                f"value of filter criterion for field '{fdef.name}' must be of type "
                f"{fdef.type} and should not be enclosed in quotes"
                if fdef.type in {"datetime", "date"}
                else f"invalid value for field '{fdef.name}' of type {fdef.type}",
            )

    def compound_refused(fdef: FieldDef, verb: str) -> FieldDef:
        if fdef.type == "address":  # compound fields are read-only projections
            raise SoqlError(
                "INVALID_FIELD", f"field '{fdef.name}' can not be {verb} in a query call"
            )
        return fdef

    def bind_condition(cond: Condition) -> Condition:
        if isinstance(cond, BoolOp):
            return BoolOp(cond.op, tuple(bind_condition(c) for c in cond.items))
        fdef = compound_refused(resolve(cond.field), "filtered")
        if isinstance(cond, InList):
            for literal in cond.values:
                check(fdef, literal)
            return InList(fdef.name, cond.values, cond.negate)
        check(fdef, cond.value)
        return Compare(fdef.name, cond.op, cond.value)

    fields = tuple(dict.fromkeys(resolve(f).name for f in query.fields))
    order = tuple(
        OrderKey(compound_refused(resolve(k.field), "sorted").name, k.descending, k.nulls_last)
        for k in query.order
    )
    where = bind_condition(query.where) if query.where is not None else None
    return Query(fields, obj.name, where, order, query.limit, query.count)


def _comparable(value: Any, fdef: FieldDef) -> Any:
    if isinstance(value, str) and fdef.type not in {"id", "reference"}:
        return value.casefold()
    return value


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def matches(cond: Condition | None, record: dict[str, Any], obj: ObjectDef) -> bool:
    if cond is None:
        return True
    if isinstance(cond, BoolOp):
        results = (matches(c, record, obj) for c in cond.items)
        return all(results) if cond.op == "AND" else any(results)
    fdef = obj.fields[cond.field]
    value = _comparable(record.get(cond.field), fdef)
    if isinstance(cond, InList):
        found = any(value == _comparable(v.value, fdef) for v in cond.values)
        return found != cond.negate
    target = _comparable(cond.value.value, fdef)
    if cond.op in {"=", "!="} and (value is None or target is None):
        return (value is target) == (cond.op == "=")
    if value is None or target is None:
        return False
    return _OPS[cond.op](value, target)


def order_records(
    records: list[dict[str, Any]], order: tuple[OrderKey, ...], obj: ObjectDef
) -> list[dict[str, Any]]:
    """Stable multi-key sort honouring ASC/DESC and NULLS FIRST/LAST per key."""
    result = list(records)
    for key in reversed(order):
        fdef = obj.fields[key.field]
        present = [r for r in result if r.get(key.field) is not None]
        missing = [r for r in result if r.get(key.field) is None]
        present.sort(key=lambda r, f=fdef: _comparable(r[f.name], f), reverse=key.descending)
        result = present + missing if key.nulls_last else missing + present
    return result
