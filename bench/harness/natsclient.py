"""A minimal NATS client from the standard library: enough JetStream for the harness to reset a
stream and read it back (message timestamps for the commit-to-PubAck latency)."""
import collections
import json
import socket
import time


class NatsError(Exception):
    pass


class NatsConnection:
    def __init__(self, host, port, timeout=30):
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._buf = b""
        self._sid = 0
        # Messages for other subscriptions that arrived while a request waited for its reply
        # (a push consumer starts delivering before its create request is answered).
        self._pending = collections.deque()
        info = self._read_line()
        if not info.startswith(b"INFO "):
            raise NatsError(f"unexpected greeting {info[:80]!r}")
        connect = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True,
                   "lang": "python-bench", "version": "0", "protocol": 1, "name": "bench-harness"}
        self._sock.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
        while True:
            line = self._read_line()
            if line == b"PONG":
                return
            if line.startswith(b"-ERR"):
                raise NatsError(line.decode())

    def _fill(self):
        chunk = self._sock.recv(1 << 20)
        if not chunk:
            raise NatsError("server closed the connection")
        self._buf += chunk

    def _read_line(self):
        while b"\r\n" not in self._buf:
            self._fill()
        line, self._buf = self._buf.split(b"\r\n", 1)
        return line

    def _read_exact(self, n):
        while len(self._buf) < n:
            self._fill()
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def next_message(self):
        """Returns (subject, reply, headers bytes or None, payload); answers server PINGs."""
        if self._pending:
            return self._pending.popleft()
        return self._read_message()

    def _read_message(self):
        while True:
            line = self._read_line()
            if line == b"PING":
                self._sock.sendall(b"PONG\r\n")
                continue
            if line in (b"PONG", b"+OK") or line.startswith(b"INFO "):
                continue
            if line.startswith(b"-ERR"):
                raise NatsError(line.decode())
            parts = line.split()
            if parts[0] == b"MSG":
                subject, reply = parts[1], (parts[3] if len(parts) == 5 else None)
                size = int(parts[-1])
                payload = self._read_exact(size + 2)[:-2]
                return subject.decode(), reply.decode() if reply else None, None, payload
            if parts[0] == b"HMSG":
                subject, reply = parts[1], (parts[3] if len(parts) == 6 else None)
                hdr, total = int(parts[-2]), int(parts[-1])
                data = self._read_exact(total + 2)[:-2]
                return subject.decode(), reply.decode() if reply else None, data[:hdr], data[hdr:]
            raise NatsError(f"unexpected line {line[:80]!r}")

    def subscribe(self, subject):
        self._sid += 1
        self._sock.sendall(f"SUB {subject} {self._sid}\r\n".encode())
        return self._sid

    def unsubscribe(self, sid):
        self._sock.sendall(f"UNSUB {sid}\r\n".encode())

    def request(self, subject, payload=b"", timeout=10):
        inbox = f"_INBOX.bench.{time.monotonic_ns()}"
        sid = self.subscribe(inbox)
        self._sock.sendall(f"PUB {subject} {inbox} {len(payload)}\r\n".encode() + payload + b"\r\n")
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._sock.settimeout(max(0.1, deadline - time.monotonic()))
                message = self._read_message()
                subj, _, headers, data = message
                if subj != inbox:
                    self._pending.append(message)
                    continue
                if headers and b" 503" in headers.split(b"\r\n", 1)[0]:
                    raise NatsError(f"no responders for {subject}")
                return json.loads(data) if data else {}
        finally:
            self._sock.settimeout(None)
            self.unsubscribe(sid)

    def stream_info(self, stream):
        reply = self.request(f"$JS.API.STREAM.INFO.{stream}")
        return None if "error" in reply else reply

    def delete_stream(self, stream):
        self.request(f"$JS.API.STREAM.DELETE.{stream}")

    def read_stream(self, stream, on_message, timeout=120):
        """Delivers every stored message of a stream as on_message(payload, stored_ns) via an
        ephemeral push consumer; returns the count read. The consumer acks "all" every 1,000
        messages with at most 4,000 unacked, so the server never pushes more than this client reads
        (unbounded pushing made nats-server cut it off as a slow consumer on 300k messages)."""
        info = self.stream_info(stream)
        if info is None:
            raise NatsError(f"stream {stream} not found")
        total = info["state"]["messages"]
        if total == 0:
            return 0
        inbox = f"_INBOX.bench.read.{time.monotonic_ns()}"
        sid = self.subscribe(inbox)
        config = {"stream_name": stream, "config": {"deliver_subject": inbox, "ack_policy": "all",
                                                     "deliver_policy": "all", "max_ack_pending": 4000,
                                                     "ack_wait": 60_000_000_000, "flow_control": False}}
        reply = self.request(f"$JS.API.CONSUMER.CREATE.{stream}", json.dumps(config).encode())
        if "error" in reply:
            raise NatsError(f"consumer create: {reply['error']}")
        read = 0
        deadline = time.monotonic() + timeout
        try:
            self._sock.settimeout(timeout)
            while read < total and time.monotonic() < deadline:
                subj, reply_to, headers, payload = self.next_message()
                # A delivered message keeps its stream subject; the ack reply subject tells it apart.
                if not reply_to or not reply_to.startswith(f"$JS.ACK.{stream}."):
                    continue
                # $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts ns>.<pending>
                tokens = reply_to.split(".")
                on_message(payload, int(tokens[-2]))
                read += 1
                if read % 1000 == 0 or read == total:
                    self._sock.sendall(f"PUB {reply_to} 0\r\n\r\n".encode())
        finally:
            self._sock.settimeout(None)
            self.unsubscribe(sid)
            self.request(f"$JS.API.CONSUMER.DELETE.{stream}.{reply['name']}" if "name" in reply else "$JS.API.INFO")
        return read

    def close(self):
        self._sock.close()


def protobuf_int_field(payload, field_number):
    """The value of a top-level varint field of a protobuf message (0 when absent). Enough to read
    ChangeEvent.commit_time_us (field 8) without a protobuf library."""
    pos, n = 0, len(payload)
    while pos < n:
        key, pos = _varint(payload, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(payload, pos)
            if number == field_number:
                return value - (1 << 64) if value >= 1 << 63 else value
        elif wire == 1:
            pos += 8
        elif wire == 2:
            length, pos = _varint(payload, pos)
            pos += length
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return 0


def _varint(data, pos):
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
