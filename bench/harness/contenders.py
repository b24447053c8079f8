"""The contenders: each is a command the harness starts on a copy of the workload's slot.

A contender either exits by itself once it has confirmed the end LSN (a, b on backlog workloads)
or runs until the harness has seen the slot reach the end LSN and sends it `stop_signal`.
"""
import json
import os
import re
import shutil
import signal
import subprocess

from natsclient import protobuf_int_field
from pgwire import format_lsn

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BASELINE_PROJECT = os.path.join(REPO, "bench", "NpgsqlBaseline")
BASELINE_BIN = os.path.join(BASELINE_PROJECT, "bin", "Release", "net10.0", "npgsql-baseline")
BASELINE_PUBLISHED_BIN = os.path.join(BASELINE_PROJECT, "bin", "bench-publish", "npgsql-baseline")
CDC_PROJECT = os.path.join(REPO, "src", "Cdc.Listener")
# cdc as users run it: published for this platform (ReadyToRun, as docker/build-images publishes it), not the build output.
CDC_BIN = os.path.join(CDC_PROJECT, "bin", "bench-publish", "cdc")
NODE_PROJECT = os.path.join(REPO, "bench", "node-cdc")

# Contender e: Cdc with binary values and larger batches and PubAck window than the defaults.
CDC_TUNED_ARGS = ["--binary", "true", "--set", "Cdc:Nats:BatchMaxRows=5000", "--set", "Cdc:Nats:BatchMaxBytes=4194304",
                  "--set", "Cdc:Nats:MaxPendingAcks=16384"]

# The runtime settings cdc's runtimeconfig carries (src/Cdc.Listener/Cdc.Listener.csproj), as environment variables.
CDC_RUNTIME_ENV = {"DOTNET_ThreadPool_UnfairSemaphoreSpinLimit": "0"}

# Cdc's in-flight byte budget in MiB as the runs use it (the default of Cdc:Pusher:MaxInFlightBytes;
# no contender changes it): the workload 2 target is peak RSS <= budget + 150 MB.
CDC_IN_FLIGHT_BUDGET_MB = 64


_BACKFILL_COMPLETE = re.compile(r"Backfill of \S+ complete: ([\d,]+) rows in ([\d.]+)s")


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
    env = None  # extra environment variables

    def prepare(self, build):
        """Builds what the contender needs; returns None when available, else the reason it is not."""
        return None

    def command(self, ctx):
        raise NotImplementedError

    def parse_output(self, stdout):
        """Figures the contender reports itself (latency for b)."""
        return {}

    def commit_time_us(self, payload):
        """The commit time (microseconds since 1970) carried in one of its stream messages, for the latency of
        workload 3; None when the payload does not carry one (or is not one of its change events)."""
        return None


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

    def __init__(self, key="b", label="Npgsql 10 built-in pgoutput decoder (bench/NpgsqlBaseline)", env=None):
        self.key = key
        self.label = label
        self.env = env

    def prepare(self, build):
        if self.env is not None:
            # n: built as cdc is (published ReadyToRun for this platform) besides running with cdc's settings.
            return build(BASELINE_PROJECT, BASELINE_PUBLISHED_BIN, publish=True)
        return build(BASELINE_PROJECT, BASELINE_BIN)

    def command(self, ctx):
        args = [BASELINE_BIN if self.env is None else BASELINE_PUBLISHED_BIN, "--connection", ctx.cluster.npgsql(ctx.database), "--slot", ctx.slot,
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

    def __init__(self, key, label, sink_args, nats_stream, env=None, binary=None):
        self.key = key
        self.label = label
        self._sink_args = sink_args
        self.uses_nats_stream = nats_stream
        self.env = env
        self._binary = binary or CDC_BIN

    def prepare(self, build):
        if self._binary == CDC_BIN:
            reason = build(CDC_PROJECT, CDC_BIN, publish=True)
            if reason:
                return reason
        elif not os.path.exists(self._binary):
            return f"{self._binary} does not exist"
        # Every option this contender passes must still exist (a renamed option would fail each run).
        probe = subprocess.run([self._binary, "run", "--help"], capture_output=True, text=True, timeout=60)
        text = probe.stdout + probe.stderr
        options = ["--connection", "--nats", "--slot", "--publication", "--stream", "--http"] + self._sink_args
        unknown = [o for o in options if o.startswith("--") and not re.search(re.escape(o) + r"\b(?!-)", text)]
        if probe.returncode != 0 or unknown:
            return f"`cdc run --help` (exit {probe.returncode}) does not list {', '.join(unknown) or 'its options'}"
        return None

    def parse_output(self, stdout):
        # Workload 5: how fast the backfill went beside the writer (BackfillLog.Completed), the price of its pacing.
        m = _BACKFILL_COMPLETE.search(stdout)
        if not m:
            return {"backfill": "not complete within the run"} if "Backfill of " in stdout else {}
        rows, seconds = int(m.group(1).replace(",", "")), float(m.group(2))
        return {"backfill": f"{rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)" if seconds else f"{rows:,} rows"}

    def commit_time_us(self, payload):
        # HOOK (latency): a cdc.v1.ChangeEvent (commit_time_us = field 8); only the protobuf format. Schema events
        # (cdc.v1.RelationEvent) carry no commit time.
        if self._sink_args and any(a.startswith("Cdc:Format=") for a in self._sink_args):
            return None
        return protobuf_int_field(payload, 8) or None

    def command(self, ctx):
        return [self._binary, "run", "--connection", ctx.cluster.npgsql(ctx.database), "--nats", ctx.nats_url,
                "--slot", ctx.slot, "--publication", ctx.publication, "--stream", ctx.stream, "--http", "off"] + self._sink_args


class NodeService(Contender):
    """f: bench/node-cdc, what a Node.js team writes (pg-logical-replication + nats), stopped with SIGTERM."""
    key = "f"
    label = "Node.js service: pg-logical-replication + nats (JSON per change, PubAcks awaited)"
    uses_nats_stream = True

    def prepare(self, build):
        node = shutil.which("node")
        npm = shutil.which("npm")
        if not node or not npm:
            return "node or npm not installed (scripts/setup installs nodejs and npm)"
        if not os.path.isdir(os.path.join(NODE_PROJECT, "node_modules", "pg-logical-replication")):
            result = subprocess.run([npm, "ci", "--prefix", NODE_PROJECT, "--no-audit", "--no-fund", "--loglevel=error"],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                return "npm ci failed: " + " ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
        return None

    def command(self, ctx):
        return [shutil.which("node"), os.path.join(NODE_PROJECT, "index.mjs"), "--host", "127.0.0.1",
                "--port", str(ctx.cluster.port), "--user", "postgres", "--database", ctx.database,
                "--slot", ctx.slot, "--publication", ctx.publication, "--nats", ctx.nats_url, "--stream", ctx.stream]

    def parse_output(self, stdout):
        for line in reversed(stdout.splitlines()):
            if line.startswith("{"):
                return {"reported_changes": json.loads(line).get("changes")}
        return {}

    def commit_time_us(self, payload):
        try:
            return int(json.loads(payload)["commit_time_us"]) or None
        except (ValueError, KeyError, TypeError):
            return None


def all_contenders():
    before = os.environ.get("CDC_BENCH_BEFORE")  # a cdc binary built from an earlier commit: contender o
    return {
        "a": PgRecvLogical(),
        "b": NpgsqlBaseline(),
        # b built and run as cdc is: published ReadyToRun, with the runtime settings cdc's runtimeconfig carries
        # (src/Cdc.Listener/Cdc.Listener.csproj), so that what makes cdc cheaper also goes to the baseline it is compared with.
        "n": NpgsqlBaseline("n", "b built and run as cdc is: published ReadyToRun, " + " ".join(f"{k}={v}" for k, v in CDC_RUNTIME_ENV.items()),
                            env=CDC_RUNTIME_ENV),
        "c": Cdc("c", "Cdc, null sink", ["--sink", "null"], nats_stream=False),
        "d": Cdc("d", "Cdc -> JetStream, one message per row, defaults", [], nats_stream=True),
        "e": Cdc("e", "Cdc -> JetStream, batching tuned", CDC_TUNED_ARGS, nats_stream=True),
        "f": NodeService(),
        "j": Cdc("j", "Cdc -> JetStream, defaults, Cdc:Format=json", ["--set", "Cdc:Format=json"], nats_stream=True),
        "k": Cdc("k", "Cdc -> JetStream, defaults, CloudEvents structured", ["--set", "Cdc:Format=cloudevents"], nats_stream=True),
        "l": Cdc("l", "Cdc -> JetStream, defaults, CloudEvents binary (JSON data)",
                 ["--set", "Cdc:Format=cloudevents", "--set", "Cdc:CloudEvents:Mode=binary"], nats_stream=True),
        # The .NET thread pool spins (sched_yield) before a worker sleeps; at a moderate rate that is most of d's CPU.
        "s": Cdc("s", "Cdc -> JetStream, defaults, DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0", [], nats_stream=True,
                 env={"DOTNET_ThreadPool_UnfairSemaphoreSpinLimit": "0"}),
        # Workload 5's control for the backfill pacing: what Cdc did before it (2,048-row chunks at full speed).
        "u": Cdc("u", "Cdc -> JetStream, defaults but the backfill unpaced (ChunkRows 2048, MaxRowsPerSecond 0, PauseAboveInFlightBytes 0)",
                 ["--set", "Cdc:Backfill:ChunkRows=2048", "--set", "Cdc:Backfill:MaxRowsPerSecond=0",
                  "--set", "Cdc:Backfill:PauseAboveInFlightBytes=0"], nats_stream=True),
        "o": Cdc("o", f"Cdc -> JetStream, defaults, an earlier build ({before or 'set CDC_BENCH_BEFORE to its cdc binary'})",
                 [], nats_stream=True, binary=before or "/nonexistent/CDC_BENCH_BEFORE"),
        "p": Cdc("p", f"Cdc, null sink, an earlier build ({before or 'set CDC_BENCH_BEFORE to its cdc binary'})",
                 ["--sink", "null"], nats_stream=False, binary=before or "/nonexistent/CDC_BENCH_BEFORE"),
    }
