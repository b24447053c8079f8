"""Workload 6: one contender's initial snapshot of a filled table, timed against the COPY floor.

`cdc run --snapshot initial_only` creates a temporary slot, publishes every row and exits 0 once
JetStream acknowledged them all; its wall time (process start to exit, start-up included) gives the
rows/s. The floor is PostgreSQL alone: the same rows by binary COPY through psql to /dev/null, timed
in the same repetition, so both see the same machine.
"""
import os
import re
import subprocess
import tempfile
import time

import procstat
import servers
from natsclient import NatsConnection

TIMEOUT_S = 3600
# SnapshotLog.TablePublished: the table's own time, from its first row read to its last row handed to the sink.
_TABLE_PUBLISHED = re.compile(r"Snapshot of \S+: ([\d,]+) rows published in ([\d.]+)s")


def copy_floor(env, workload):
    """Seconds for psql to COPY the table's rows in binary to /dev/null."""
    cmd = [os.path.join(servers.PG_BIN, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
           "-d", env.cluster.conninfo(env.database), "-c", workload.copy_floor_sql()]
    t = time.monotonic()
    with open(os.devnull, "wb") as sink:
        subprocess.run(cmd, stdout=sink, stderr=subprocess.PIPE, check=True, timeout=TIMEOUT_S)
    return time.monotonic() - t


def run_snapshot(env, workload, contender, rep, progress):
    """A result dict shaped like measure.run_one's, plus the floor's figures."""
    from contenders import Cdc, RunContext
    name = f"w{workload.number} {contender.key}#{rep}"
    result = {"workload": workload.number, "contender": contender.key, "rep": rep, "status": "ok"}
    if not isinstance(contender, Cdc) or not contender.uses_nats_stream:
        return dict(result, status="not available", reason="only Cdc contenders that publish to JetStream take a snapshot")

    floor_s = copy_floor(env, workload)
    progress.line(f"  {name}: COPY floor {workload.changes / floor_s:,.0f} rows/s ({floor_s:.2f} s)")

    slot = f"bench_w{workload.number}_{contender.key}{rep}"
    stream = f"BENCH_W{workload.number}_{contender.key.upper()}{rep}"
    nats = NatsConnection("127.0.0.1", env.nats.port)
    if nats.stream_info(stream):
        nats.delete_stream(stream)
    ctx = RunContext(env.cluster, env.database, slot, workload.publication, None, env.nats.url, stream, False)
    cmd = contender.command(ctx) + ["--snapshot", "initial_only"]
    result["command"] = " ".join(cmd)
    process_env = dict(os.environ, **contender.env) if contender.env else None
    nats_before = procstat.cpu_seconds(env.nats.pid)
    machine_before = procstat.machine_busy_seconds()
    t0 = time.monotonic()
    with tempfile.TemporaryFile(mode="w+") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=process_env)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.monotonic() - t0
            progress.update(f"  {name}: snapshotting {workload.changes:,} rows  {elapsed:6.1f} s")
            if elapsed > TIMEOUT_S:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    nats_after = procstat.cpu_seconds(env.nats.pid)
    machine_s = procstat.machine_busy_seconds() - machine_before
    try:
        info = nats.stream_info(stream)
        messages = info["state"]["messages"] if info else 0
        if info:
            nats.delete_stream(stream)
    finally:
        nats.close()

    result.update(
        changes=workload.changes, wall_s=wall, changes_per_s=workload.changes / wall,
        contender_user_s=usage.ru_utime, contender_sys_s=usage.ru_stime, contender_peak_rss_mb=usage.ru_maxrss / 1024,
        # No walsender streams: the rows are read by COPY in an ordinary backend (not measured here).
        walsender_user_s=0.0, walsender_sys_s=0.0, walsender_wakeups=0, walsender_preempted=0,
        contender_wakeups=usage.ru_nvcsw, contender_preempted=usage.ru_nivcsw,
        nats_user_s=(nats_after[0] - nats_before[0]) if nats_before and nats_after else None,
        nats_sys_s=(nats_after[1] - nats_before[1]) if nats_before and nats_after else None,
        machine_busy_s=machine_s, run_s=wall, stream_messages=messages,
        floor_s=floor_s, floor_rows_per_s=workload.changes / floor_s,
    )
    published = _TABLE_PUBLISHED.search(output)
    if published and float(published.group(2)) > 0:
        result["table_rows_per_s"] = int(published.group(1).replace(",", "")) / float(published.group(2))
    # Every row, one marker and the schema event: fewer messages means rows are missing.
    if proc.returncode != 0 or messages < workload.changes:
        result.update(status="failed", reason=f"exit code {proc.returncode}, {messages:,} messages in the stream for "
                                              f"{workload.changes:,} rows", stderr_tail=output[-2000:])
    return result
