"""rawhttp: a socket-level HTTP/1.1 client: sends arbitrary bytes, parses responses exactly."""

import json
import socket
import ssl
import time

# Generous: only there so that a server that never answers fails the test
# instead of hanging it. No test passes or fails by how fast anything is.
TIMEOUT = 10.0

NO_CONTENT_STATUSES = (204, 304)


class ProtocolError(AssertionError):
    """The server's bytes are not a well-framed HTTP/1.1 response."""


class Response:
    """One parsed response: status line, header lines in order, body bytes."""

    def __init__(self, version, status, reason, headers, body, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # [(name, value)] as sent, repeats included
        self.body = body
        self.raw_head = raw_head

    def header(self, name):
        """The value of header `name` (case-insensitive); None if absent.

        Fails if the header was sent more than once: callers of this expect one.
        """
        values = self.header_all(name)
        if len(values) > 1:
            raise ProtocolError(f"header {name!r} sent {len(values)} times: {values!r}")
        return values[0] if values else None

    def header_all(self, name):
        key = name.lower()
        return [value for n, value in self.headers if n.lower() == key]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return (f"<Response {self.status} {self.reason!r} headers={self.headers!r} "
                f"body={self.body[:200]!r}>")


class TlsSocket:
    """A TLS client on a socket, through memory BIOs: the socket can be half-closed.

    ssl.SSLSocket.shutdown() drops TLS from the socket (what follows would be
    read as ciphertext), and a close_notify makes OpenSSL discard the
    answers still coming. Here shutdown() is the TCP half-close alone, as
    a plain client's, and the responses after it are still decrypted.
    """

    def __init__(self, sock, context, server_hostname):
        self.sock = sock
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_hostname=server_hostname)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                if not self._pull():
                    raise ConnectionResetError("the server closed the connection during the "
                                               "TLS handshake") from None
            except ssl.SSLError:
                self._flush()  # the alert that tells the server why
                raise
        self._flush()

    def _flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def _pull(self):
        data = self.sock.recv(1 << 16)
        if not data:
            self.incoming.write_eof()
            return False
        self.incoming.write(data)
        return True

    def sendall(self, data):
        view = memoryview(data)
        while view:
            view = view[self.tls.write(view):]
            self._flush()

    def recv(self, n):
        while True:
            try:
                return self.tls.read(n)
            except ssl.SSLWantReadError:
                self._flush()
                self._pull()
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""

    def version(self):
        return self.tls.version()

    def selected_alpn_protocol(self):
        return self.tls.selected_alpn_protocol()

    def getpeercert(self, binary_form=False):
        return self.tls.getpeercert(binary_form)

    def __getattr__(self, name):  # shutdown, close, settimeout, gettimeout, setsockopt
        return getattr(self.sock, name)


class Connection:
    """A client connection to host:port. Bytes received and not yet parsed stay in `buffer`.

    With `tls` (an ssl.SSLContext), the connection speaks TLS to `server_hostname`.
    """

    def __init__(self, host, port, timeout=TIMEOUT, tls=None, server_hostname="localhost"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            self.sock = TlsSocket(self.sock, tls, server_hostname)
        self.buffer = b""
        self.eof = False
        self.reset = False  # the connection ended with RST rather than FIN

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- sending ---------------------------------------------------------------

    def send(self, data):
        self.sock.sendall(data)

    def shutdown_write(self):
        """Half-close: the server sees EOF after the bytes sent so far."""
        self.sock.shutdown(socket.SHUT_WR)

    def send_in_pieces(self, data, sizes=(1, 2, 3), pause=0.001):
        """Send `data` a few bytes at a time (cycling through `sizes`), pausing between writes."""
        i = 0
        k = 0
        while i < len(data):
            n = sizes[k % len(sizes)]
            self.sock.sendall(data[i:i + n])
            i += n
            k += 1
            time.sleep(pause)

    # ---- receiving -------------------------------------------------------------

    def _fill(self):
        """Receive more bytes into the buffer; False at EOF."""
        if self.eof:
            return False
        try:
            chunk = self.sock.recv(1 << 20)
        except ConnectionResetError:
            self.reset = True
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def _take_until(self, marker):
        start = 0
        while True:
            pos = self.buffer.find(marker, start)
            if pos >= 0:
                data, self.buffer = self.buffer[:pos], self.buffer[pos + len(marker):]
                return data
            start = max(0, len(self.buffer) - len(marker) + 1)
            if not self._fill():
                raise ProtocolError(
                    f"connection closed before {marker!r}; got {self.buffer[:300]!r}")

    def _take(self, n):
        while len(self.buffer) < n:
            if not self._fill():
                raise ProtocolError(
                    f"connection closed after {len(self.buffer)} of {n} body bytes: "
                    f"{self.buffer[:300]!r}"
                )
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_response(self, head_request=False):
        """Parse one response (an interim 1xx included) off the connection.

        The body is framed by Content-Length; without one, a response that
        carries content is read to EOF (it must then say Connection: close).
        `head_request`: the response answers a HEAD, so no body follows.
        """
        raw_head = self._take_until(b"\r\n\r\n")
        lines = raw_head.split(b"\r\n")
        status_line = lines[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError(f"bad status line {status_line!r}")
        if b"\n" in raw_head.replace(b"\r\n", b""):
            raise ProtocolError(f"bare LF in response head {raw_head!r}")
        version, status = parts[0], int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep or not name or name != name.strip():
                raise ProtocolError(f"bad header line {line!r}")
            headers.append((name, value.strip(" \t")))
        response = Response(version, status, reason, headers, b"", raw_head)
        lengths = response.header_all("Content-Length")
        if len(lengths) > 1:
            raise ProtocolError(f"several Content-Length headers: {lengths!r}")
        if status < 200 or status in NO_CONTENT_STATUSES:
            if lengths:
                raise ProtocolError(f"{status} response with Content-Length {lengths[0]}")
            return response
        if head_request:
            return response
        if (response.header("Transfer-Encoding") or "").lower() == "chunked":
            if lengths:
                raise ProtocolError(f"chunked response with Content-Length {lengths[0]}")
            response.body = self._read_chunked()
            return response
        if lengths:
            if not lengths[0].isdigit():
                raise ProtocolError(f"bad Content-Length {lengths[0]!r}")
            response.body = self._take(int(lengths[0]))
        else:
            if (response.header("Connection") or "").lower() != "close":
                raise ProtocolError(
                    f"response has neither Content-Length nor Connection: close: {response!r}")
            while self._fill():
                pass
            response.body, self.buffer = self.buffer, b""
        return response

    def _read_chunked(self):
        """A chunked body (RFC 9112 7.1), strictly: hex sizes, CRLFs, no extensions or trailers."""
        body = bytearray()
        while True:
            line = self._take_until(b"\r\n")
            if not line or any(c not in b"0123456789abcdef" for c in line):
                raise ProtocolError(f"bad chunk size line {line!r}")
            size = int(line, 16)
            if size == 0:
                if self._take(2) != b"\r\n":
                    raise ProtocolError("chunked body without its final CRLF")
                return bytes(body)
            body += self._take(size)
            if self._take(2) != b"\r\n":
                raise ProtocolError("chunk data not followed by CRLF")

    def read_responses(self, n, head_request=False):
        return [self.read_response(head_request=head_request) for _ in range(n)]

    def read_responses_to_eof(self):
        """Every response the server sends until it closes the connection."""
        responses = []
        while self.buffer or self._fill():
            responses.append(self.read_response())
        return responses

    def read_final_response(self, head_request=False):
        """The next response that is not an interim 1xx; the interim ones are returned too."""
        interim = []
        while True:
            response = self.read_response(head_request=head_request)
            if response.status >= 200:
                return response, interim
            interim.append(response)

    def read_to_eof(self):
        """Everything the server sends until it closes; fails if it stays open past the timeout."""
        try:
            while self._fill():
                pass
        except socket.timeout:
            raise AssertionError(
                f"server did not close the connection within {self.sock.gettimeout()} s; "
                f"received {self.buffer[:300]!r}"
            ) from None
        data, self.buffer = self.buffer, b""
        return data

    def assert_closed(self):
        """The server closed the connection (recv returns b''), sending nothing more before."""
        rest = self.read_to_eof()
        assert rest == b"", f"server sent more bytes before closing: {rest[:300]!r}"
        assert not self.reset, "server reset the connection instead of closing it"


def get(path, headers=(), version="1.1", method="GET", host="localhost"):
    """The bytes of a request without a body."""
    lines = [f"{method} {path} HTTP/{version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def post(path, body, headers=(), version="1.1", method="POST"):
    """The bytes of a request with a Content-Length body."""
    head = get(path, [*headers, ("Content-Length", str(len(body)))], version, method)
    return head + body


def chunked(path, chunks, extension=None, trailers=(), method="POST"):
    """The bytes of a chunked request; `extension` is added to every chunk-size line."""
    out = [get(path, [("Transfer-Encoding", "chunked")], method=method)]
    ext = f";{extension}" if extension else ""
    for chunk in chunks:
        out.append(f"{len(chunk):x}{ext}\r\n".encode() + chunk + b"\r\n")
    out.append(b"0\r\n")
    out += [f"{name}: {value}\r\n".encode("latin-1") for name, value in trailers]
    out.append(b"\r\n")
    return b"".join(out)
