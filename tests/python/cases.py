"""cases: loads the HTTP cases of tests/cases/*.cases (format: tests/cases/README.md).

The Python twin of tests/cpp/cases.cpp: same syntax, same checks, same
errors (file and line named). Every byte string is `bytes`.
"""

import re
from pathlib import Path

CASES_DIR = Path(__file__).resolve().parent.parent / "cases"

_ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\", '"': b'"'}
_HEX = "0123456789abcdefABCDEF"


class CaseFormatError(ValueError):
    """A malformed *.cases file; the message names file and line."""


class HttpCase:
    """One case: the bytes sent and what the server must make of them.

    Fields left None are not checked. `status` is 0 for `expect: complete`.
    """

    def __init__(self, file, name, line):
        self.file = file
        self.name = name
        self.line = line
        self.request = b""
        self.status = 0
        self.reason = None
        self.method = self.target = self.path = self.query = self.host = None
        self.body = self.rest = None
        self.has_query = self.keep_alive = self.expect_continue = None
        self.version_minor = None
        self.headers = None  # [(name, value)] in order, when any header line is given

    def complete(self):
        return self.status == 0

    def request_size(self):
        """Bytes of this request (head and body): the wire minus `rest`."""
        return len(self.request) - (len(self.rest) if self.rest is not None else 0)

    def id(self):
        """"file_name" with every byte outside [A-Za-z0-9_] as '_' (the C++ tests' name)."""
        return re.sub(r"[^A-Za-z0-9_]", "_", f"{self.file}_{self.name}")

    def __repr__(self):
        return f"<HttpCase {self.file}.cases:{self.line} {self.name}>"


def parse_literals(text):
    """The byte strings of one value: C-style literals, each with an optional `*N`."""
    out = []
    i, n = 0, len(text)

    def skip_space(i):
        while i < n and text[i] in " \t":
            i += 1
        return i

    i = skip_space(i)
    while i < n:
        if text[i] != '"':
            raise CaseFormatError(f"expected a string literal at: {text[i:]}")
        s = bytearray()
        i += 1
        while True:
            if i >= n:
                raise CaseFormatError("unterminated string literal")
            ch = text[i]
            if ch == '"':
                break
            if ch != "\\":
                s += ch.encode("latin-1")
                i += 1
                continue
            i += 1
            if i >= n:
                raise CaseFormatError("dangling backslash")
            esc = text[i]
            if esc in _ESCAPES:
                s += _ESCAPES[esc]
                i += 1
            elif esc == "x":
                digits = text[i + 1:i + 3]
                if len(digits) != 2 or any(d not in _HEX for d in digits):
                    raise CaseFormatError("\\x needs two hex digits")
                s.append(int(digits, 16))
                i += 3
            else:
                raise CaseFormatError(f"unknown escape \\{esc}")
        i = skip_space(i + 1)  # past the closing quote
        value = bytes(s)
        if i < n and text[i] == "*":
            i = skip_space(i + 1)
            start = i
            while i < n and text[i].isdigit() and text[i].isascii():
                i += 1
            if not 1 <= i - start <= 7:
                raise CaseFormatError("*N needs a count of 1 to 7 digits")
            value *= int(text[start:i])
        out.append(value)
        i = skip_space(i)
    return out


def _joined(value):
    return b"".join(parse_literals(value))


def _text_value(value):
    """Plain text, or literals when it starts with a quote (for empty strings and odd bytes)."""
    if not value.startswith('"'):
        return value.encode("latin-1")
    return _joined(value)


def _bool(value):
    if value == "true":
        return True
    if value == "false":
        return False
    raise CaseFormatError(f"expected true or false, got '{value}'")


def _set_key(case, key, value):
    if key == "request":
        case.request += _joined(value)
    elif key == "expect":
        if value == "complete":
            case.status = 0
        else:
            if not value.isdigit() or not value.isascii():
                raise CaseFormatError(f"expect must be 'complete' or a status, got '{value}'")
            case.status = int(value)
            if not 100 <= case.status <= 599:
                raise CaseFormatError("expect: status out of range")
    elif key in ("reason", "method", "target", "path", "query", "host"):
        setattr(case, key, _text_value(value))
    elif key == "version":
        if value not in ("1.0", "1.1"):
            raise CaseFormatError("version must be 1.0 or 1.1")
        case.version_minor = int(value[2])
    elif key == "header":
        pair = parse_literals(value)
        if len(pair) != 2:
            raise CaseFormatError('header needs two literals: "Name" "value"')
        case.headers = (case.headers or []) + [tuple(pair)]
    elif key in ("body", "rest"):
        setattr(case, key, (getattr(case, key) or b"") + _joined(value))
    elif key in ("has_query", "keep_alive", "expect_continue"):
        setattr(case, key, _bool(value))
    else:
        raise CaseFormatError(f"unknown key '{key}'")


def _check_case(case):
    if not case.request:
        raise CaseFormatError("case has no request")
    if case.rest is not None and not case.request.endswith(case.rest):
        raise CaseFormatError("rest is not a suffix of request")
    expects_fields = (case.method, case.target, case.path, case.query, case.host, case.body,
                      case.headers)
    if not case.complete() and any(f is not None for f in expects_fields):
        raise CaseFormatError("an error case cannot expect request fields")


def _trim(s):
    return s.lstrip(" \t").rstrip(" \t\r")


def parse_cases(text, file):
    """The cases of one file's text (str, latin-1 decoded bytes); `file` names it in errors."""
    cases = []
    names = set()
    for line_no, raw in enumerate(text.split("\n"), start=1):
        line = _trim(raw)
        try:
            if not line or line.startswith("#"):
                continue
            if line.startswith("[case "):
                if not line.endswith("]"):
                    raise CaseFormatError("case header must end with ']'")
                if cases:
                    _check_case(cases[-1])
                name = line[6:-1].strip(" \t")
                if not name:
                    raise CaseFormatError("case without a name")
                if name in names:
                    raise CaseFormatError(f"duplicate case name '{name}'")
                names.add(name)
                cases.append(HttpCase(file, name, line_no))
                continue
            if not cases:
                raise CaseFormatError("key outside a case")
            key, colon, value = line.partition(":")
            if not colon:
                raise CaseFormatError("expected 'key: value'")
            _set_key(cases[-1], _trim(key), _trim(value))
        except CaseFormatError as e:
            raise CaseFormatError(f"{file}.cases:{line_no}: {e}") from None
    if cases:
        try:
            _check_case(cases[-1])
        except CaseFormatError as e:
            raise CaseFormatError(f"{file}.cases:{cases[-1].line}: {e}") from None
    return cases


def load_cases(directory=CASES_DIR):
    """Every case of every *.cases file in `directory`, files in name order."""
    out = []
    for path in sorted(Path(directory).glob("*.cases")):
        out += parse_cases(path.read_bytes().decode("latin-1"), path.stem)
    return out
