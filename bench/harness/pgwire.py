"""A minimal PostgreSQL client (simple query protocol, trust authentication) from the standard library.

The harness polls the slot position many times a second; a persistent connection costs the
measured machine almost nothing, where spawning psql each time would not.
"""
import socket
import struct


class PgError(Exception):
    pass


class PgConnection:
    def __init__(self, host, port, user="postgres", database="postgres", application_name="bench-harness"):
        self._sock = socket.create_connection((host, port), timeout=600)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = b""
        params = b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in
                          (("user", user), ("database", database), ("application_name", application_name)))
        body = struct.pack("!I", 196608) + params + b"\0"
        self._sock.sendall(struct.pack("!I", len(body) + 4) + body)
        while True:
            kind, payload = self._read_message()
            if kind == b"R":
                (code,) = struct.unpack("!I", payload[:4])
                if code != 0:
                    raise PgError(f"authentication method {code} requested; the bench cluster uses trust")
            elif kind == b"E":
                raise PgError(self._error_text(payload))
            elif kind == b"Z":
                return

    def _recv_exact(self, n):
        while len(self._buf) < n:
            chunk = self._sock.recv(max(65536, n - len(self._buf)))
            if not chunk:
                raise PgError("server closed the connection")
            self._buf += chunk
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def _read_message(self):
        header = self._recv_exact(5)
        kind = header[:1]
        (length,) = struct.unpack("!I", header[1:])
        return kind, self._recv_exact(length - 4)

    @staticmethod
    def _error_text(payload):
        fields = {}
        for part in payload.split(b"\0"):
            if part:
                fields[chr(part[0])] = part[1:].decode(errors="replace")
        return f"{fields.get('S', 'ERROR')}: {fields.get('M', '?')}" + (f" ({fields['D']})" if "D" in fields else "")

    def query(self, sql):
        """Runs one or more statements; returns the rows of the last result set as lists of str/None."""
        body = sql.encode() + b"\0"
        self._sock.sendall(b"Q" + struct.pack("!I", len(body) + 4) + body)
        rows, error = [], None
        while True:
            kind, payload = self._read_message()
            if kind == b"T":
                rows = []
            elif kind == b"D":
                (n,) = struct.unpack("!H", payload[:2])
                pos, row = 2, []
                for _ in range(n):
                    (length,) = struct.unpack("!i", payload[pos:pos + 4])
                    pos += 4
                    if length < 0:
                        row.append(None)
                    else:
                        row.append(payload[pos:pos + length].decode())
                        pos += length
                rows.append(row)
            elif kind == b"E":
                error = self._error_text(payload)
            elif kind == b"Z":
                if error:
                    raise PgError(error)
                return rows

    def scalar(self, sql):
        rows = self.query(sql)
        return rows[0][0] if rows else None

    def close(self):
        try:
            self._sock.sendall(b"X" + struct.pack("!I", 4))
        except OSError:
            pass
        self._sock.close()


def parse_lsn(text):
    if text is None:
        return None
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def format_lsn(value):
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def quote_literal(text):
    return "'" + text.replace("'", "''") + "'"
