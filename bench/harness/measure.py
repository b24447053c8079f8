"""Runs one contender on one copy of a workload's slot and measures it."""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import procstat
from natsclient import NatsConnection
from pgwire import PgConnection, format_lsn, parse_lsn, quote_literal
from workloads import last_commit_end_lsn

POLL_S = 0.05


class Progress:
    def __init__(self):
        self._tty = sys.stderr.isatty()
        self._last = 0.0

    def update(self, text, force=False):
        now = time.monotonic()
        if self._tty:
            sys.stderr.write("\r\033[K" + text)
            sys.stderr.flush()
        elif force or now - self._last >= 5:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()
            self._last = now

    def line(self, text):
        if self._tty:
            sys.stderr.write("\r\033[K")
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


class Walsender:
    """CPU of the walsender(s) serving a slot. A walsender is a fresh process (counters start at
    zero), so its last sample is its whole cost; a reconnect adds a new pid."""

    def __init__(self):
        self._last = {}
        self._switches = {}
        self._preempted = {}

    def sample(self, pid):
        if pid:
            cpu = procstat.cpu_seconds(pid)
            if cpu:
                self._last[pid] = cpu
                self._switches[pid] = procstat.status_kb(pid, "voluntary_ctxt_switches") or 0
                self._preempted[pid] = procstat.status_kb(pid, "nonvoluntary_ctxt_switches") or 0

    @property
    def involuntary_switches(self):
        return sum(self._preempted.values())

    @property
    def voluntary_switches(self):
        return sum(self._switches.values())

    @property
    def user(self):
        return sum(u for u, _ in self._last.values())

    @property
    def system(self):
        return sum(s for _, s in self._last.values())


def run_one(env, workload, contender, rep, source_slot, end_lsn, progress, stall_s):
    """Returns a result dict for one run."""
    db = env.db
    slot = f"bench_w{workload.number}_{contender.key}{rep}"
    stream = f"BENCH_W{workload.number}_{contender.key.upper()}{rep}"
    name = f"w{workload.number} {contender.key}#{rep}"
    result = {"workload": workload.number, "contender": contender.key, "rep": rep, "status": "ok"}
    db.query(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = {quote_literal(slot)}")
    if workload.live:
        start_lsn = parse_lsn(db.scalar(f"SELECT lsn FROM pg_create_logical_replication_slot({quote_literal(slot)}, 'pgoutput')"))
    else:
        db.query(f"SELECT pg_copy_logical_replication_slot({quote_literal(source_slot)}, {quote_literal(slot)})")
        start_lsn = parse_lsn(db.scalar(f"SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = {quote_literal(slot)}"))
    nats = NatsConnection("127.0.0.1", env.nats.port) if contender.uses_nats_stream else None
    if nats and nats.stream_info(stream):
        nats.delete_stream(stream)

    from contenders import RunContext
    ctx = RunContext(env.cluster, env.database, slot, workload.publication, end_lsn, env.nats.url, stream, workload.live)
    cmd = contender.command(ctx)
    result["command"] = " ".join(cmd)
    out = tempfile.TemporaryFile(mode="w+")
    err = tempfile.TemporaryFile(mode="w+")
    nats_before = procstat.cpu_seconds(env.nats.pid)
    machine_before = procstat.machine_busy_seconds()
    walsender = Walsender()
    generator = None
    generated = {}
    t0 = time.monotonic()
    process_env = dict(os.environ, **contender.env) if contender.env else None
    if contender.env:
        result["env"] = " ".join(f"{k}={v}" for k, v in contender.env.items())
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=process_env)
    exit_status = rusage = None
    exit_time = reached_time = None
    last_flush, last_move = start_lsn, t0
    signalled = False
    streamed = False
    try:
        while True:
            now = time.monotonic()
            if exit_status is None:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    exit_status, rusage, exit_time = status, usage, now - t0
            row = db.query(f"SELECT active_pid, confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = {quote_literal(slot)}")[0]
            active_pid, flush = (int(row[0]) if row[0] else None), parse_lsn(row[1]) or start_lsn
            walsender.sample(active_pid)
            if workload.live and generator is None and active_pid:
                generator = threading.Thread(target=_generate, args=(env, workload, start_lsn, generated))
                generator.start()
            if workload.live and end_lsn is None and generator is not None and not generator.is_alive():
                if "error" in generated:
                    raise generated["error"]
                end_lsn = generated["end_lsn"]
            if flush > last_flush:
                last_flush, last_move = flush, now
            if end_lsn is not None and reached_time is None and flush >= end_lsn:
                reached_time = min(now - t0, exit_time) if exit_time is not None and exit_status == 0 else now - t0
            target_text = format_lsn(end_lsn) if end_lsn is not None else "(writing)"
            share = 100.0 * (flush - start_lsn) / max(1, (end_lsn or flush) - start_lsn) if end_lsn else 0.0
            progress.update(f"  {name}: {share:5.1f}%  flush {format_lsn(flush)} / {target_text}  {now - t0:6.1f} s")
            # A contender that exits as it confirms the end: its last status update may land a moment later.
            if exit_status is not None and (reached_time is not None or now - t0 - exit_time > 2):
                if reached_time is None:
                    result.update(status="failed", reason=f"exited with status {os.waitstatus_to_exitcode(exit_status)} "
                                                          f"before the slot reached the end LSN (at {format_lsn(flush)})")
                break
            if reached_time is not None and exit_status is None and (not contender.exits_by_itself or workload.live):
                if not signalled:
                    proc.send_signal(contender.stop_signal)
                    signalled = True
            if reached_time is not None and now - t0 - reached_time > 30:
                proc.kill()
            streamed = streamed or active_pid is not None
            if not streamed and now - t0 > 60 and exit_status is None:
                proc.kill()
                _, exit_status, rusage = os.wait4(proc.pid, 0)
                result.update(status="failed", reason="did not start streaming from the slot within 60 s")
                break
            if (not workload.live or end_lsn is not None) and reached_time is None and now - last_move > stall_s:
                proc.kill()
                _, exit_status, rusage = os.wait4(proc.pid, 0)
                result.update(status="failed", reason=f"no progress for {stall_s} s (slot at {format_lsn(flush)}, end {target_text})")
                break
            time.sleep(POLL_S)
    finally:
        if exit_status is None:
            proc.kill()
            os.wait4(proc.pid, 0)
        proc.returncode = -1
        if generator is not None:
            generator.join()

    nats_after = procstat.cpu_seconds(env.nats.pid)
    machine_s = procstat.machine_busy_seconds() - machine_before
    # nats-server only counts for the contenders that publish to it.
    uses_nats = contender.uses_nats_stream and nats_before is not None and nats_after is not None
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read(), err.read()
    if result["status"] != "ok":
        result["stderr_tail"] = stderr[-2000:]
    changes = workload.changes
    wall = reached_time
    result.update(
        changes=changes, start_lsn=format_lsn(start_lsn), end_lsn=format_lsn(end_lsn) if end_lsn else None,
        wall_s=wall, changes_per_s=(changes / wall if wall else None),
        contender_user_s=rusage.ru_utime if rusage else None, contender_sys_s=rusage.ru_stime if rusage else None,
        contender_peak_rss_mb=rusage.ru_maxrss / 1024 if rusage else None,
        walsender_user_s=walsender.user, walsender_sys_s=walsender.system,
        # Voluntary context switches (the process went to sleep waiting): many per change means it
        # reads or writes the socket in small pieces.
        contender_wakeups=rusage.ru_nvcsw if rusage else None, walsender_wakeups=walsender.voluntary_switches,
        contender_preempted=rusage.ru_nivcsw if rusage else None, walsender_preempted=walsender.involuntary_switches,
        nats_user_s=(nats_after[0] - nats_before[0]) if uses_nats else None,
        nats_sys_s=(nats_after[1] - nats_before[1]) if uses_nats else None,
        generate_s=generated.get("seconds"),
        machine_busy_s=machine_s, run_s=time.monotonic() - t0,
    )
    if result["status"] == "ok":
        result.update(contender.parse_output(stdout))
        if workload.live and nats is not None:
            result.update(_stream_latency(nats, stream, contender))
    if nats is not None:
        try:
            if nats.stream_info(stream):
                result["stream_messages"] = nats.stream_info(stream)["state"]["messages"]
                nats.delete_stream(stream)
        finally:
            nats.close()
    _drop_slot(db, slot)
    return result


def _generate(env, workload, start_lsn, generated):
    try:
        conn = PgConnection("127.0.0.1", env.cluster.port, database=env.database)
        t = time.monotonic()
        workload.generate(env.cluster, env.database)
        generated["seconds"] = time.monotonic() - t
        generated["end_lsn"], _ = last_commit_end_lsn(env.cluster, conn, start_lsn)
        conn.close()
    except Exception as e:  # noqa: BLE001 - re-raised by the poll loop
        generated["error"] = e


def _stream_latency(nats, stream, contender):
    """Commit-to-PubAck latency: the time JetStream stored each message (its PubAck follows at once)
    minus the commit time the message carries (Contender.commit_time_us), both from this machine's clock."""
    samples = []

    def on_message(payload, stored_ns):
        commit_us = contender.commit_time_us(payload)
        if commit_us:
            samples.append(stored_ns / 1000 - commit_us)

    nats.read_stream(stream, on_message)
    if not samples:
        return {}
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] / 1000  # noqa: E731
    return {"latency_p50_ms": pick(0.5), "latency_p99_ms": pick(0.99), "latency_max_ms": samples[-1] / 1000,
            "latency_kind": "commit-to-JetStream-store (per message)", "latency_samples": len(samples)}


def _drop_slot(db, slot):
    deadline = time.monotonic() + 30
    while True:
        try:
            db.query(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = {quote_literal(slot)}")
            return
        except Exception:  # noqa: BLE001 - the walsender may still hold it for a moment
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
