#!/usr/bin/env python3
"""make_corpus: seed corpora for the fuzz targets from tests/cases/*.cases, and crash files back to cases.

    python3 fuzz/make_corpus.py [--cases DIR] [--out DIR] [TARGET ...]
        One seed file per case (named after the case id) in OUT/<target>,
        default build/fuzz/corpus/<target>; every target when none is named.
    python3 fuzz/make_corpus.py --show FILE --target parser
        Prints a crash (or any input) of a target as a case block to paste
        into tests/cases/fuzz_found.cases (with its control bytes decoded).

The case files are read by tests/python/cases.py, the Python twin of the C++
case loader, so the format has one definition per language. Each target's
input layout (control bytes, then the bytes under test) is described at the
top of fuzz/<target>_fuzz.cpp; the seeds here use the default limits.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "python"))
import cases  # tests/python/cases.py

TARGETS = ("parser", "request", "chunked", "connection", "connection_websocket", "router", "writer",
           "files", "websocket")

# Control bytes in front of the wire (see each *_fuzz.cpp).
PARSER_CONTROL = b"\x02" + b"\0" * 7  # pipelined, default limits, split seed 0
CHUNKED_CONTROL = b"\0" * 8
CONNECTION_CONTROL = b"\0" * 11  # default limits, empty script: all at once, answered at once

# connection_fuzz with streamed request bodies and open answers (options bits 4 and 5), a script
# that reads in small pieces, asks for the body and answers some later: bodies under /s stream.
STREAM_CONTROL = b"\x30" + b"\0" * 9 + b"\x08"
STREAM_SCRIPT = b"\x31\x03\x25\x8d\x14\x47\x05\x9a"
STREAM_SEEDS = (
    b"POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /s HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    b"POST /s HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    b"POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nabGET / HTTP/1.1\r\nHost: a\r\n\r\n"
    b"POST /s HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
    b"POST /s HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n",
    b"POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc",
)

# files_fuzz: GET, a 10000-byte file, mtime 784111777.000000005 s, now 2026-05-28.
FILES_CONTROL = (b"\0" + (10000).to_bytes(8, "little") + (784111777000000005).to_bytes(8, "little")
                 + (1780000000).to_bytes(8, "little"))
# Texts of every kind the target reads; none comes from tests/cases.
FILES_SEEDS = (
    b"bytes=0-499", b"bytes=-500", b"bytes=9500-", b"bytes=0-1,5-6", b"bytes=5-4",
    b"Sun, 06 Nov 1994 08:49:37 GMT", b"Sunday, 06-Nov-94 08:49:37 GMT", b"Sun Nov  6 08:49:37 1994",
    b'"ae1b981bc490a05-2710"', b'W/"a", "ae1b981bc490a05-2710"', b"*",
    b"css/site.css", b"a/%2e%2e/b", b"..%2f..%2fetc%2fpasswd", b"%c0%ae%c0%ae/x", b".env", b"docs/",
    b"Range: bytes=0-9\nIf-Range: \"ae1b981bc490a05-2710\"",
    b"If-None-Match: \"ae1b981bc490a05-2710\"\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT",
    b"If-Match: \"x\"\nRange: bytes=20000-",
)

# websocket_fuzz: [0] options (1 deflate, 2 small limits, 4 frames mode, 8 no context takeover,
# 16 8-bit windows), [1] split seed, [2] and [3] limit knobs; then a wire or a frames script.
MASKED_HELLO = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"  # RFC 6455 5.7
WEBSOCKET_SEEDS = (
    b"\0\0\0\0" + MASKED_HELLO,
    b"\0\0\0\0" + MASKED_HELLO + b"\x88\x82\x01\x02\x03\x04\x02\xea",  # then close 1000
    b"\x01\0\0\0" + b"\xc1\x87\0\0\0\0\xf2\x48\xcd\xc9\xc9\x07\x00",  # RFC 7692 7.2.3.1
    # frames mode: text "Hel" (not final), ping "p", continuation "lo", close 1000 "bye"
    b"\x04\0\0\0" + b"\x01\x03Hel" + b"\x89\x01p" + b"\x80\x02lo" + b"\x88\x05\x03\xe8bye",
    # frames mode with deflate: two compressed texts, a compressed binary, a bad continuation
    b"\x05\0\0\0" + b"\xc1\x85Hello" + b"\xc1\x85Hello" + b"\xc2\x83abc" + b"\x80\x01x",
    b"\x1d\0\0\0" + b"\xc1\x85Hello" + b"\xc1\x85Hello" + b"\x81\x02\xce\xba",
    # small limits, frames mode: a message over 8 bytes in fragments
    b"\x06\x03\x08\x05" + b"\x02\x05abcde" + b"\x80\x05fghij",
)

# connection_websocket_fuzz: [0] options (1 a GET ahead, 2 accept later, 4 small limits, 8 frames
# mode, 16 deflate), [1] message limit knob, [2] unused, [3] script length; the script; the frames.
# Script moves (byte % 10): 0-1 read, 2 send output, 3 app sends, 4 app closes, 5 hold, 6 ping,
# 7 drain, 8 accept, 9 EOF.
CONNECTION_WEBSOCKET_SEEDS = (
    b"\0\0\0\0" + MASKED_HELLO + b"\x88\x82\x01\x02\x03\x04\x02\xea",
    # a GET ahead, accepted later; the script reads, accepts, sends, takes the output
    b"\x03\0\0\x06" + b"\x00\x08\x03\x85\x02\x00" + MASKED_HELLO,
    # frames mode: fragments with a ping between, then a close; the app closes too
    b"\x08\0\0\x04" + b"\x00\x94\x02\x01" + b"\x01\x03Hel" + b"\x89\x01p" + b"\x80\x02lo"
    + b"\x88\x05\x03\xe8bye",
    # deflate, frames mode: compressed texts
    b"\x18\0\0\x00" + b"\xc1\x85Hello" + b"\xc1\x85Hello",
    # small limits: a message over 8 bytes; a keep-alive ping; a drain
    b"\x0c\x08\0\x03" + b"\xc6\x00\xc7" + b"\x02\x05abcde" + b"\x80\x05fghij",
)

# Routes of every router seed: literal, placeholder, text before a
# placeholder, anonymous placeholder, escaped braces, methods.
ROUTER_ROUTES = (
    (b"/", 0),
    (b"/users/{id}", 0b0001),
    (b"/users/{id}/posts/{post}", 0b0011),
    (b"/static/{{name}}", 0),
    (b"/user_{id}/edit", 0b0001),
    (b"/x{a}", 0),
    (b"/{a}/{b}", 0b0100),
    (b"/files/{}", 0b0010),
    (b"/a/b", 0b1000),
)


def head_end(wire):
    end = wire.find(b"\r\n\r\n")
    return -1 if end < 0 else end + 4


def chunked_body(case):
    """The bytes after the head of a case whose head asks for chunked, else None."""
    end = head_end(case.request)
    if end < 0 or b"chunked" not in case.request[:end].lower():
        return None
    return case.request[end:]


def router_seed(case):
    routes = b"".join(bytes([len(p)]) + p + bytes([m]) for p, m in ROUTER_ROUTES)
    words = case.request.lstrip(b"\r\n").split(b"\r\n", 1)[0].split(b" ")
    target = words[1] if len(words) > 1 else b"/"
    path = case.path if case.path is not None else target.split(b"?", 1)[0]
    return bytes([len(ROUTER_ROUTES) - 1]) + routes + b"\n".join(
        (path, target, b"/users/" + path, b"/x" + path, b"/user_7/edit", b"/files" + path))


def writer_seed(case):
    """A 200 keep-alive text/plain response whose headers are the case's field lines."""
    def field(b):
        b = b[:255]
        return bytes([len(b)]) + b

    end = head_end(case.request)
    head = case.request[: end if end >= 0 else len(case.request)]
    pairs = []
    for line in head.lstrip(b"\r\n").split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon:
            pairs.append((name, value.strip(b" \t")))
    pairs = pairs[:7]
    body = case.body if case.body is not None else b""
    out = bytes([200, 0, 2]) + field(b"text/plain") + field(b"utf-8") + field(body) + bytes([len(pairs)])
    for name, value in pairs:
        out += field(name) + field(value)
    return out


def seeds(target, all_cases):
    if target == "files":
        for i, text in enumerate(FILES_SEEDS):
            yield f"seed-{i}", FILES_CONTROL + text
        return
    if target == "websocket":
        for i, data in enumerate(WEBSOCKET_SEEDS):
            yield f"seed-{i}", data
        return
    if target == "connection_websocket":
        for i, data in enumerate(CONNECTION_WEBSOCKET_SEEDS):
            yield f"seed-{i}", data
        return
    if target == "connection":
        for i, wire in enumerate(STREAM_SEEDS):
            yield f"stream-{i}", STREAM_CONTROL + STREAM_SCRIPT + wire
    for case in all_cases:
        if target == "parser":
            yield case, PARSER_CONTROL + case.request
        elif target == "chunked":
            body = chunked_body(case)
            if body is not None:
                yield case, CHUNKED_CONTROL + body
        elif target == "connection":
            yield case, CONNECTION_CONTROL + case.request
        elif target == "router":
            yield case, router_seed(case)
        elif target == "writer":
            yield case, writer_seed(case)
        elif target == "request":
            yield case, case.request  # any bytes are choices for the generator


def write_corpus(cases_dir, out_dir, targets):
    all_cases = cases.load_cases(cases_dir)
    for target in targets:
        directory = out_dir / target
        directory.mkdir(parents=True, exist_ok=True)
        n = 0
        for case, data in seeds(target, all_cases):
            (directory / (case if isinstance(case, str) else case.id())).write_bytes(data)
            n += 1
        print(f"{target}: {n} seeds in {directory}")


def literal(data):
    """Bytes as case-file literals, one line per CRLF-ended piece."""
    out = []
    piece = ""
    for i, b in enumerate(data):
        ch = chr(b)
        esc = {"\r": "\\r", "\n": "\\n", "\t": "\\t", "\\": "\\\\", '"': '\\"'}.get(ch)
        if esc is None:
            esc = ch if 0x20 <= b < 0x7F else f"\\x{b:02x}"
        piece += esc
        if ch == "\n" and i + 1 < len(data):
            out.append(f'"{piece}"')
            piece = ""
    if piece or not out:
        out.append(f'"{piece}"')
    return out


def limits_of(knobs):
    """The small limits of fuzz_util.hpp limits_from, as text."""
    names = ("max_request_line", "max_header_bytes", "max_header_count", "max_body_bytes",
             "max_chunk_line", "max_trailer_bytes")
    values = (lambda k: k, lambda k: k * 4, lambda k: k % 16, lambda k: k - 1,
              lambda k: k % 64 + 1, lambda k: k - 1)
    return ", ".join(f"{n}={f(k)}" for n, f, k in zip(names, values, knobs) if k)


def show(path, target):
    data = Path(path).read_bytes()
    notes = []
    if target in ("parser", "chunked"):
        control, wire = data[:8].ljust(8, b"\0"), data[8:]
        if control[0] & 1:
            notes.append(f"small limits: {limits_of(control[1:7])}")
        if target == "parser" and control[0] & 2:
            notes.append("pipelined")
        notes.append(f"split seed {control[7]}")
    elif target == "connection":
        control = data[:11].ljust(11, b"\0")
        script_size = min(control[10], len(data) - 11) if len(data) > 11 else 0
        script, wire = data[11:11 + script_size], data[11 + script_size:]
        if control[0] & 1:
            notes.append(f"small limits: {limits_of(control[1:7])}")
        if control[7]:
            notes.append(f"max_in_flight={1 + control[7] % 8}")
        if control[8]:
            notes.append(f"max_output_buffer={control[8] * 8}")
        if control[9]:
            notes.append(f"max_stream_buffer={control[9]}")
        names = ("timeouts", "drain", "end of the grace period", "streamed bodies", "open bodies")
        notes += [name for bit, name in enumerate(names, 1) if control[0] & (1 << bit)]
        notes.append(f"script {script!r}")
    else:
        wire = data
    for note in notes:
        print(f"# {note}")
    print(f"[case {Path(path).name}]")
    for lit in literal(wire):
        print(f"request: {lit}")
    print("expect: (the status, or complete and the fields)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("targets", nargs="*", help=f"some of {', '.join(TARGETS)} (default: all)")
    ap.add_argument("--cases", type=Path, default=ROOT / "tests" / "cases")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "fuzz" / "corpus")
    ap.add_argument("--show", metavar="FILE", help="print FILE (an input of --target) as a case block")
    ap.add_argument("--target", choices=TARGETS, default="parser")
    args = ap.parse_args()
    if args.show:
        show(args.show, args.target)
        return
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        ap.error(f"unknown target {unknown[0]}")
    write_corpus(args.cases, args.out, args.targets or TARGETS)


if __name__ == "__main__":
    main()
