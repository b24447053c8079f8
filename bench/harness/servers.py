"""The throwaway PostgreSQL 15 cluster and nats-server the benchmark runs against."""
import os
import shutil
import socket
import subprocess
import time

PG_BIN = "/usr/lib/postgresql/15/bin"
NATS_BIN = "/usr/sbin/nats-server"

# What the bench cluster runs with, quoted in docs/benchmarks.md. fsync and full_page_writes are
# off: the bench measures decoding and delivery, not the disk. synchronous_commit stays on: with
# it off the walsender only sees commits when the WAL writer flushes (every 200 ms), which would
# show up as latency in workload 3.
PG_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "wal_level": "logical",
    "max_replication_slots": "64",
    "max_wal_senders": "16",
    "max_connections": "50",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "on",
    "shared_buffers": "512MB",
    "max_wal_size": "8GB",
    "min_wal_size": "1GB",
    "checkpoint_timeout": "30min",
    "autovacuum": "off",
    "wal_sender_timeout": "120s",
    "logical_decoding_work_mem": "64MB",
    "log_min_messages": "warning",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {seconds} s")


def _as_postgres(args):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + args
    return args


class PostgresCluster:
    def __init__(self, root):
        self.root = root
        self.data = os.path.join(root, "pgdata")
        self.log = os.path.join(root, "postgres.log")
        self.port = free_port()
        self.running = False

    def start(self):
        os.makedirs(self.root, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(_as_postgres([f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                                     "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        settings = dict(PG_SETTINGS, port=str(self.port), unix_socket_directories=f"'{self.root}'")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            for key, value in settings.items():
                f.write(f"{key} = {value}\n")
        subprocess.run(_as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start"]),
                       check=True, stdout=subprocess.DEVNULL)
        self.running = True
        wait_listening(self.port, 30, "PostgreSQL")

    def conninfo(self, database="postgres"):
        """libpq key/value form (pg_recvlogical)."""
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def npgsql(self, database="postgres"):
        return f"Host=127.0.0.1;Port={self.port};Username=postgres;Database={database}"

    def waldump_records(self, start_lsn, end_lsn):
        """pg_waldump lines between two LSNs (text)."""
        result = subprocess.run([f"{PG_BIN}/pg_waldump", "--path", os.path.join(self.data, "pg_wal"),
                                 "--start", start_lsn, "--end", end_lsn],
                                capture_output=True, text=True)
        return result.stdout

    def stop(self):
        if self.running:
            subprocess.run(_as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data, "-w", "-t", "60", "-m", "immediate", "stop"]),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.running = False


class NatsServerProcess:
    def __init__(self, root):
        self.root = root
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    def start(self):
        os.makedirs(self.root, exist_ok=True)
        config = os.path.join(self.root, "nats.conf")
        with open(config, "w") as f:
            f.write(f"listen: 127.0.0.1:{self.port}\n")
            f.write(f"jetstream {{ store_dir: \"{os.path.join(self.root, 'jetstream')}\" }}\n")
            f.write("max_payload: 8MB\n")
        log = open(os.path.join(self.root, "nats.log"), "w")
        self.process = subprocess.Popen([NATS_BIN, "-c", config], stdout=log, stderr=subprocess.STDOUT)
        wait_listening(self.port, 20, "nats-server")

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
