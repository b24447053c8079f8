"""The contenders: each is a command the harness starts on a copy of the workload's slot.

A contender either exits by itself once it has confirmed the end LSN (a, b on backlog workloads)
or runs until the harness has seen the slot reach the end LSN and sends it `stop_signal`.
"""
import os
import signal
import subprocess

from pgwire import format_lsn

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BASELINE_PROJECT = os.path.join(REPO, "bench", "NpgsqlBaseline")
BASELINE_BIN = os.path.join(BASELINE_PROJECT, "bin", "Release", "net10.0", "npgsql-baseline")
CDC_PROJECT = os.path.join(REPO, "src", "Cdc.Listener")
CDC_BIN = os.path.join(CDC_PROJECT, "bin", "Release", "net10.0", "cdc")

# HOOK (contender e): Cdc's batching options, tuned. Fill in once the options exist, e.g.
# ["--batch-max-messages", "1000", "--batch-max-bytes", "1048576", "--max-in-flight-bytes", "67108864"].
# While this list is empty, contender e is reported as "not available".
CDC_TUNED_ARGS = ["--binary", "true", "--set", "Cdc:Nats:BatchMaxRows=5000", "--set", "Cdc:Nats:BatchMaxBytes=4194304",
                  "--set", "Cdc:Nats:MaxPendingAcks=16384"]

# HOOK (workload 2 target): Cdc's in-flight byte budget in MiB as configured for the runs (the
# target is peak RSS <= budget + 150 MB). Set it to the listener's default once it exists.
CDC_IN_FLIGHT_BUDGET_MB = 64


class RunContext:
    def __init__(self, cluster, database, slot, publication, end_lsn, nats_url, stream, live):
        self.cluster = cluster
        self.database = database
        self.slot = slot
        self.publication = publication
        self.end_lsn = end_lsn  # None while a live workload is still writing
        self.nats_url = nats_url
        self.stream = stream
        self.live = live


class Contender:
    key = ""
    label = ""
    exits_by_itself = False
    stop_signal = signal.SIGTERM
    uses_nats_stream = False

    def prepare(self, build):
        """Builds what the contender needs; returns None when available, else the reason it is not."""
        return None

    def command(self, ctx):
        raise NotImplementedError

    def parse_output(self, stdout):
        """Figures the contender reports itself (latency for b)."""
        return {}


class PgRecvLogical(Contender):
    key = "a"
    label = "pg_recvlogical (pgoutput v1) -> /dev/null"

    def prepare(self, build):
        return None if os.path.exists("/usr/lib/postgresql/15/bin/pg_recvlogical") else "pg_recvlogical not installed"

    @property
    def exits_by_itself(self):
        return True

    def command(self, ctx):
        # -F 0: no fsync of /dev/null, flush position = written position; -s 1: status every second.
        args = ["/usr/lib/postgresql/15/bin/pg_recvlogical", "-d", ctx.cluster.conninfo(ctx.database),
                "--slot", ctx.slot, "--start", "--no-loop", "-F", "0", "-s", "1",
                "-o", "proto_version=1", "-o", f"publication_names={ctx.publication}", "-f", "/dev/null"]
        if ctx.end_lsn is not None:
            args += ["--endpos", format_lsn(ctx.end_lsn)]
        return args


class NpgsqlBaseline(Contender):
    """Runs until stopped, like a service: if it exited right after its last status update, the
    update could be lost (see bench/NpgsqlBaseline/Program.cs)."""
    key = "b"
    label = "Npgsql 10 built-in pgoutput decoder (bench/NpgsqlBaseline)"

    def prepare(self, build):
        return build(BASELINE_PROJECT, BASELINE_BIN)

    def command(self, ctx):
        args = [BASELINE_BIN, "--connection", ctx.cluster.npgsql(ctx.database), "--slot", ctx.slot,
                "--publication", ctx.publication]
        if ctx.live:
            args.append("--latency")
        return args

    def parse_output(self, stdout):
        import json
        for line in reversed(stdout.splitlines()):
            if line.startswith("{"):
                data = json.loads(line)
                out = {"reported_changes": data.get("changes")}
                if data.get("latency_samples"):
                    out.update(latency_p50_ms=data["latency_p50_ms"], latency_p99_ms=data["latency_p99_ms"],
                               latency_max_ms=data["latency_max_ms"], latency_kind="commit-to-receive (per transaction)")
                return out
        return {}


class Cdc(Contender):
    """c, d, e: `cdc run`. Stopped with SIGTERM once the slot reached the end LSN."""

    def __init__(self, key, label, sink_args, nats_stream):
        self.key = key
        self.label = label
        self._sink_args = sink_args
        self.uses_nats_stream = nats_stream

    def prepare(self, build):
        if self.key == "e" and not CDC_TUNED_ARGS:
            return "batching options not defined yet (CDC_TUNED_ARGS in bench/harness/contenders.py)"
        if not os.path.exists(os.path.join(CDC_PROJECT, "Cdc.Listener.csproj")):
            return "src/Cdc.Listener does not exist"
        reason = build(CDC_PROJECT, CDC_BIN)
        if reason:
            return reason
        probe = subprocess.run([CDC_BIN, "run", "--help"], capture_output=True, text=True, timeout=60)
        text = probe.stdout + probe.stderr
        if probe.returncode != 0 or "--slot" not in text:
            return f"`cdc run --help` does not offer `cdc run --slot ...` yet (exit {probe.returncode})"
        if "--sink" in self._sink_args and "--sink" not in text:
            return "`cdc run` has no --sink option yet"
        return None

    def command(self, ctx):
        return [CDC_BIN, "run", "--connection", ctx.cluster.npgsql(ctx.database), "--nats", ctx.nats_url,
                "--slot", ctx.slot, "--publication", ctx.publication, "--stream", ctx.stream, "--http", "off"] + self._sink_args


def all_contenders():
    return {
        "a": PgRecvLogical(),
        "b": NpgsqlBaseline(),
        "c": Cdc("c", "Cdc, null sink", ["--sink", "null"], nats_stream=False),
        "d": Cdc("d", "Cdc -> JetStream, one message per row, defaults", [], nats_stream=True),
        "e": Cdc("e", "Cdc -> JetStream, batching tuned", CDC_TUNED_ARGS, nats_stream=True),
    }
