"""The Host header: request.hostname (IDNA decoded, IPv6 unbracketed) and request.port."""

from __future__ import annotations

from encodings import idna

MAX_PORT = 65535


def _port(text: str) -> int | None:
    if not text.isascii() or not text.isdigit():
        return None
    port = int(text)
    return port if port <= MAX_PORT else None


def _label(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return idna.ToUnicode(label)
    except UnicodeError:  # not valid punycode: keep it as sent
        return label


def parse_host(value: str | None) -> tuple[str | None, int | None]:
    """A Host value -> (hostname, port); None for what is absent.

    'Example.COM:8080' -> ('example.com', 8080); 'xn--bcher-kva.example' ->
    ('bücher.example', None); '[::1]:80' -> ('::1', 80). The name is
    lower-cased (host names are case-insensitive). A port that is empty, not
    a number or above 65535 is None; so is the name of an empty Host.
    """
    if not value:
        return None, None
    if value.startswith("["):
        literal, bracket, rest = value[1:].partition("]")
        if not bracket:
            return value.lower(), None
        port = _port(rest[1:]) if rest.startswith(":") else None
        return literal.lower() or None, port
    if value.count(":") > 1:  # an unbracketed IPv6 address: no port can be told apart
        return value.lower(), None
    name, _, port_text = value.partition(":")
    name = name.lower()
    if "xn--" in name:
        name = ".".join(_label(label) for label in name.split("."))
    return name or None, _port(port_text)
