"""Recursive-descent parser for ``$filter`` (precedence: not > and > or; parentheses group).

Grammar (what the emulator accepts; anything else is a clear 400 or 501)::

    filter     := or_expr END
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | primary
    primary    := "(" or_expr ")" | string_fn | query_fn | operand cmp operand
    string_fn  := ("contains" | "startswith" | "endswith") "(" property "," text ")"
    query_fn   := "Microsoft.Dynamics.CRM." name "(" param ("," param)* ")"
    param      := Name "=" (literal | array | @alias)
    cmp        := "eq" | "ne" | "gt" | "ge" | "lt" | "le"

Input is bounded (length, nesting, number of terms, values per list) so hostile
text fails fast with ODataError 400 instead of exhausting the stack or SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from emulator.errors import bad_request, not_supported
from emulator.odata import lexer
from emulator.odata.ast import (
    COMPARISON_SQL,
    Comparison,
    FilterExpr,
    Literal,
    Logical,
    Not,
    Operand,
    Property,
    QueryFunction,
    StringFunction,
    literal_from_token,
)

MAX_FILTER_LENGTH = 32_768
MAX_DEPTH = 32
MAX_TERMS = 500
MAX_LIST_VALUES = 2_000

STRING_FUNCTIONS = frozenset({"contains", "startswith", "endswith"})
#: Query functions and how many values each takes (None: one or more).
QUERY_FUNCTIONS: dict[str, int | None] = {"In": None, "NotIn": None, "Between": 2, "NotBetween": 2}
_CRM_PREFIX = "Microsoft.Dynamics.CRM."
_ARITHMETIC = frozenset({"add", "sub", "mul", "div", "divby", "mod"})
_LAMBDA = re.compile(r"/\s*(any|all)\s*\(")


def parse_filter(text: str, aliases: Mapping[str, str] | None = None) -> FilterExpr:
    """Parse a ``$filter`` value into a :data:`FilterExpr` tree.

    ``aliases`` maps ``@name`` parameter aliases to their (URL-decoded) values.
    Raises ODataError 400 for malformed input and 501 for valid OData the
    emulator does not implement (lambdas, arithmetic, navigation paths).
    """
    if len(text) > MAX_FILTER_LENGTH:
        raise bad_request(f"The $filter is longer than {MAX_FILTER_LENGTH} characters.")
    if not text.strip():
        raise bad_request("The $filter query option must not be empty.")
    if _LAMBDA.search(text):
        raise not_supported("the lambda operators any/all in $filter")
    return _Parser(lexer.tokenize(text), aliases or {}).parse()


class _Parser:
    def __init__(self, tokens: list[lexer.Token], aliases: Mapping[str, str]):
        self._tokens = tokens
        self._index = 0
        self._aliases = aliases
        self._depth = 0
        self._terms = 0

    def parse(self) -> FilterExpr:
        expr = self._or_expr()
        token = self._peek()
        if token.kind != lexer.END:
            raise _unexpected(token, "the end of the expression or 'and'/'or'")
        return expr

    # --- token helpers -------------------------------------------------------------------------
    def _peek(self, ahead: int = 0) -> lexer.Token:
        return self._tokens[min(self._index + ahead, len(self._tokens) - 1)]

    def _next(self) -> lexer.Token:
        token = self._peek()
        self._index += 1
        return token

    def _is_word(self, word: str, ahead: int = 0) -> bool:
        token = self._peek(ahead)
        return token.kind == lexer.IDENT and token.value == word

    def _is_punct(self, char: str) -> bool:
        token = self._peek()
        return token.kind == lexer.PUNCT and token.value == char

    def _expect_punct(self, char: str) -> None:
        if not self._is_punct(char):
            raise _unexpected(self._peek(), f"'{char}'")
        self._index += 1

    def _enter(self) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise bad_request(f"The $filter is nested more than {MAX_DEPTH} levels deep.")

    def _count_term(self) -> None:
        self._terms += 1
        if self._terms > MAX_TERMS:
            raise bad_request(f"The $filter has more than {MAX_TERMS} conditions.")

    # --- grammar -------------------------------------------------------------------------------
    def _or_expr(self) -> FilterExpr:
        return self._chain("or", self._and_expr)

    def _and_expr(self) -> FilterExpr:
        return self._chain("and", self._unary)

    def _chain(self, word: str, operand) -> FilterExpr:
        operands = [operand()]
        while self._is_word(word):
            self._index += 1
            operands.append(operand())
        return operands[0] if len(operands) == 1 else Logical(word, tuple(operands))

    def _unary(self) -> FilterExpr:
        if self._is_word("not"):
            self._index += 1
            self._enter()
            operand = self._unary()
            self._depth -= 1
            return Not(operand)
        return self._primary()

    def _primary(self) -> FilterExpr:
        if self._is_punct("("):
            self._index += 1
            self._enter()
            expr = self._or_expr()
            self._expect_punct(")")
            self._depth -= 1
            return expr
        token = self._peek()
        if token.kind == lexer.IDENT and self._peek(1).kind == lexer.PUNCT and self._peek(1).value == "(":
            expr = self._function()
            if self._peek().kind == lexer.IDENT and self._peek().value in COMPARISON_SQL:
                raise not_supported("comparing the result of a function; use the function on its own or with 'not'")
            return expr
        return self._comparison()

    def _comparison(self) -> Comparison:
        self._count_term()
        left = self._operand()
        token = self._next()
        if token.kind == lexer.IDENT and token.value in COMPARISON_SQL:
            return Comparison(token.value, left, self._operand())
        if token.kind == lexer.IDENT and token.value in _ARITHMETIC:
            raise not_supported(f"the arithmetic operator '{token.value}' in $filter")
        if token.kind == lexer.IDENT and token.value in ("has", "in"):
            raise not_supported(f"the '{token.value}' operator in $filter; use Microsoft.Dynamics.CRM.In")
        raise _unexpected(token, "a comparison operator (eq, ne, gt, ge, lt, le)")

    def _operand(self) -> Operand:
        token = self._next()
        if token.kind == lexer.ALIAS:
            return self._alias_literal(token)
        if token.kind == lexer.IDENT and token.value not in ("true", "false", "null"):
            if token.value in COMPARISON_SQL or token.value in ("and", "or", "not"):
                raise _unexpected(token, "a property or a literal")
            if "/" in token.value:
                raise not_supported(f"navigation paths such as '{token.value}' in $filter")
            return Property(token.value)
        if token.kind in (lexer.PUNCT, lexer.END):
            raise _unexpected(token, "a property or a literal")
        return literal_from_token(token)

    def _function(self) -> FilterExpr:
        name_token = self._next()
        name = name_token.value
        self._expect_punct("(")
        self._enter()
        if name in STRING_FUNCTIONS:
            expr: FilterExpr = self._string_function(name)
        elif name.startswith(_CRM_PREFIX):
            expr = self._query_function(name[len(_CRM_PREFIX) :])
        elif name in QUERY_FUNCTIONS:
            raise bad_request(f"The query function '{name}' must be written as '{_CRM_PREFIX}{name}'.")
        else:
            raise not_supported(f"the function '{name}' in $filter")
        self._expect_punct(")")
        self._depth -= 1
        return expr

    def _string_function(self, name: str) -> StringFunction:
        self._count_term()
        operand = self._operand()
        if not isinstance(operand, Property):
            raise bad_request(f"The first argument of {name}() must be a property.")
        self._expect_punct(",")
        argument = self._operand()
        if not (isinstance(argument, Literal) and argument.kind == "string"):
            raise bad_request(f"The second argument of {name}() must be a string literal.")
        return StringFunction(name, operand, argument)

    def _query_function(self, name: str) -> QueryFunction:
        if name not in QUERY_FUNCTIONS:
            raise not_supported(f"the query function '{_CRM_PREFIX}{name}'")
        self._count_term()
        params: dict[str, object] = {}
        while True:
            key = self._next()
            if key.kind != lexer.IDENT or key.value in params:
                raise _unexpected(key, "a parameter name (PropertyName, PropertyValues)")
            self._expect_punct("=")
            params[key.value] = self._parameter_value()
            if not self._is_punct(","):
                break
            self._index += 1
        return _build_query_function(name, params)

    def _parameter_value(self) -> Literal | tuple[Literal, ...]:
        if self._is_punct("["):
            return self._array()
        return self._operand_literal()

    def _operand_literal(self) -> Literal | tuple[Literal, ...]:
        token = self._peek()
        if token.kind == lexer.ALIAS:
            self._index += 1
            return self._alias_value(token)
        return literal_from_token(self._next())

    def _array(self) -> tuple[Literal, ...]:
        self._expect_punct("[")
        values: list[Literal] = []
        while not self._is_punct("]"):
            if values:
                self._expect_punct(",")
            values.append(literal_from_token(self._next()))
            if len(values) > MAX_LIST_VALUES:
                raise bad_request(f"A value list in $filter has more than {MAX_LIST_VALUES} values.")
        self._index += 1
        return tuple(values)

    def _alias_value(self, token: lexer.Token) -> Literal | tuple[Literal, ...]:
        name = token.value
        if name not in self._aliases:
            raise bad_request(f"The parameter alias '{name}' is used in $filter but has no value.")
        tokens = lexer.tokenize(self._aliases[name], what=f"parameter alias {name}")
        inner = _Parser(tokens, {})
        value = inner._parameter_value()
        if inner._peek().kind != lexer.END:
            raise _unexpected(inner._peek(), f"the end of the value of {name}")
        return value

    def _alias_literal(self, token: lexer.Token) -> Literal:
        value = self._alias_value(token)
        if isinstance(value, tuple):
            raise bad_request(f"The parameter alias '{token.value}' holds a list where a single value is expected.")
        return value


def _build_query_function(name: str, params: Mapping[str, object]) -> QueryFunction:
    expected = {"PropertyName", "PropertyValues"}
    if set(params) != expected:
        raise bad_request(
            f"{_CRM_PREFIX}{name} takes the parameters PropertyName and PropertyValues; got {sorted(params)}."
        )
    prop, values = params["PropertyName"], params["PropertyValues"]
    if not (isinstance(prop, Literal) and prop.kind == "string" and isinstance(values, tuple)):
        raise bad_request(f"{_CRM_PREFIX}{name} needs PropertyName='name' and PropertyValues=[...].")
    arity = QUERY_FUNCTIONS[name]
    if not values or (arity is not None and len(values) != arity):
        wanted = f"exactly {arity}" if arity else "at least one"
        raise bad_request(f"{_CRM_PREFIX}{name} needs {wanted} value(s) in PropertyValues.")
    return QueryFunction(name, Property(str(prop.value)), values)


def _unexpected(token: lexer.Token, wanted: str) -> Exception:
    found = "the end of the expression" if token.kind == lexer.END else f"'{token.value}'"
    return bad_request(f"Syntax error in $filter at position {token.position}: expected {wanted} but found {found}.")
