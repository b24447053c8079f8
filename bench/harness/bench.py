"""bench/run: side-by-side benchmark of Cdc against what a user would use instead (issue 7)."""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time

import procstat
import report
import servers
from contenders import REPO, all_contenders
from measure import Progress, run_one
from snapshot_run import run_snapshot
from pgwire import PgConnection, format_lsn, parse_lsn
from workloads import ALL as WORKLOADS, last_commit_end_lsn


class Environment:
    def __init__(self, cluster, nats, database):
        self.cluster = cluster
        self.nats = nats
        self.database = database
        self.db = PgConnection("127.0.0.1", cluster.port, database=database)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke run of about a minute")
    p.add_argument("--workloads", default="1,2,3,4", help="comma-separated workload numbers (1-6; 5 and 6 need a Cdc contender)")
    p.add_argument("--contenders", default="a,b,c,d,e",
                   help="comma-separated contender keys (a-e; f: the Node.js service; j-l: cdc with the json and "
                        "CloudEvents formats; s: d with the .NET thread pool's spinning off; u: d with the backfill unpaced; "
                        "o: d on the cdc binary named by CDC_BENCH_BEFORE, an earlier build; p: c on that build; n: b built and run "
                        "as cdc is: published ReadyToRun, with cdc's runtime settings)")
    p.add_argument("--backlog-changes", type=int, metavar="N", help="workload 1 size (default 1,000,000; --quick 50,000)")
    p.add_argument("--steady-seconds", type=int, metavar="S", help="workload 3 length (default 60 s; --quick 8 s)")
    p.add_argument("--reps", type=int, default=2, help="runs per contender, alternating (default 2)")
    p.add_argument("--no-install", action="store_true", help="bench/run: do not run scripts/setup (which installs what is missing)")
    p.add_argument("--output", default=os.path.join(REPO, "docs"), help="where benchmarks.md/.json/.svg go")
    p.add_argument("--report-only", action="store_true", help="rewrite benchmarks.md/.svg from benchmarks.json")
    p.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                   help="before each run, wait up to this long for the rest of the machine to use < 0.2 cores")
    p.add_argument("--keep", action="store_true", help="keep the server directories under /tmp")
    args = p.parse_args(argv)
    args.workloads = [int(w) for w in args.workloads.split(",") if w]
    args.contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    bad = [w for w in args.workloads if w not in WORKLOADS] + [c for c in args.contenders if c not in all_contenders()]
    if bad:
        p.error(f"unknown workload/contender: {bad}")
    return args


def check_servers():
    """bench/run has run scripts/setup (unless --no-install); say what is still missing."""
    missing = [path for path in (servers.PG_BIN + "/postgres", servers.PG_BIN + "/pg_waldump", servers.NATS_BIN)
               if not os.path.exists(path)]
    if missing:
        raise SystemExit(f"bench/run: {', '.join(missing)} missing: run scripts/setup "
                         "(apt-get install -y postgresql-15 nats-server)")


def dotnet_rid():
    """The runtime identifier of this machine, for `dotnet publish -r`."""
    arch = {"x86_64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "x64")
    return f"linux-{arch}"


def make_builder(progress):
    built = {}

    def build(project, binary, publish=False):
        """publish: `dotnet publish` for this platform into the binary's directory (ReadyToRun where the project asks
        for it, as docker/build-images publishes cdc) instead of `dotnet build`."""
        key = (project, binary)
        if key in built:
            return built[key]
        if publish:
            command = ["dotnet", "publish", "-c", "Release", "-r", dotnet_rid(), "--self-contained", "false",
                       "-o", os.path.dirname(binary), "--nologo", "-v", "q", project]
        else:
            command = ["dotnet", "build", "-c", "Release", "--nologo", "-v", "q", project]
        progress.line(f"building {os.path.relpath(project, REPO)} ({' '.join(command[:2])} -c Release)")
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0 or not os.path.exists(binary):
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-5:])
            built[key] = f"build failed: {tail}"
        else:
            built[key] = None
        return built[key]

    return build


def wait_quiet(limit_s, progress, threshold_cores=0.2):
    """On a shared machine, waits (up to limit_s) for a second in which other processes use less
    than threshold_cores; the run's 'other load' figure shows what remained."""
    deadline = time.monotonic() + limit_s
    while True:
        before = procstat.machine_busy_seconds()
        time.sleep(1)
        busy = procstat.machine_busy_seconds() - before
        if busy < threshold_cores or time.monotonic() > deadline:
            return
        progress.update(f"  waiting for a quiet machine: {busy:.2f} cores busy elsewhere", force=True)


def machine_info():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    pg = subprocess.run([servers.PG_BIN + "/postgres", "--version"], capture_output=True, text=True).stdout.strip()
    nats = subprocess.run([servers.NATS_BIN, "--version"], capture_output=True, text=True).stdout.strip()
    dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return {"commit": commit or "?", "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_gb, 1), "postgres": pg,
            "nats_server": nats, "dotnet_sdk": dotnet, "kernel": os.uname().release}


def main(argv):
    args = parse_args(argv)
    WORKLOADS[1].size_override = args.backlog_changes
    WORKLOADS[3].seconds_override = args.steady_seconds
    progress = Progress()
    if args.report_only:
        with open(os.path.join(args.output, "benchmarks.json")) as f:
            run = json.load(f)
        run["workloads"] = {int(k): v for k, v in run["workloads"].items()}
        report.write(run, args.output)
        progress.line(f"rewrote {os.path.join(args.output, 'benchmarks.md')} from benchmarks.json")
        return 0
    command = "bench/run" + ("".join(f" {a}" for a in argv) if argv else "")
    check_servers()
    build = make_builder(progress)
    contenders = all_contenders()
    unavailable = {}
    for key in args.contenders:
        reason = contenders[key].prepare(build)
        if reason:
            unavailable[key] = reason
            progress.line(f"contender {key}: not available ({reason})")

    root = f"/tmp/cdc-bench-{os.getpid()}"
    cluster = servers.PostgresCluster(os.path.join(root, "pg"))
    nats = servers.NatsServerProcess(os.path.join(root, "nats"))
    results = []
    generation = {}
    started = time.monotonic()
    try:
        progress.line(f"starting PostgreSQL 15 and nats-server under {root}")
        cluster.start()
        nats.start()
        admin = PgConnection("127.0.0.1", cluster.port)
        admin.query("CREATE DATABASE bench")
        admin.close()
        env = Environment(cluster, nats, "bench")
        stall_s = 20 if args.quick else 120
        for number in args.workloads:
            workload = WORKLOADS[number](args.quick)
            progress.line(f"workload {number} ({workload.title}): {workload.describe()}")
            workload.prepare(env.db)
            source = f"bench_w{number}_src"
            end_lsn = None
            if not workload.live and not workload.snapshot:
                start = parse_lsn(env.db.scalar(f"SELECT lsn FROM pg_create_logical_replication_slot('{source}', 'pgoutput')"))
                t = time.monotonic()
                workload.generate(cluster, env.database)
                seconds = time.monotonic() - t
                end_lsn, how = last_commit_end_lsn(cluster, env.db, start)
                wal_mb = (end_lsn - start) / 2**20
                generation[number] = {"seconds": seconds, "changes": workload.changes, "wal_mb": wal_mb,
                                      "start_lsn": format_lsn(start), "end_lsn": format_lsn(end_lsn), "end_lsn_from": how}
                progress.line(f"  generated {workload.changes:,} changes in {seconds:.1f} s "
                              f"({workload.changes / seconds:,.0f}/s), {wal_mb:,.0f} MiB of WAL, end LSN {format_lsn(end_lsn)}")
            for rep in range(1, args.reps + 1):
                for key in args.contenders:
                    if key in unavailable:
                        if rep == 1:
                            results.append({"workload": number, "contender": key, "rep": rep,
                                            "status": "not available", "reason": unavailable[key]})
                        continue
                    if args.wait_quiet:
                        wait_quiet(args.wait_quiet, progress)
                    if workload.snapshot:
                        r = run_snapshot(env, workload, contenders[key], rep, progress)
                    else:
                        r = run_one(env, workload, contenders[key], rep, source, end_lsn, progress, stall_s)
                    results.append(r)
                    progress.line(report.one_line(r))
            if not workload.live and not workload.snapshot:
                env.db.query(f"SELECT pg_drop_replication_slot('{source}')")
            env.db.query(f"DROP TABLE {workload.table} CASCADE")
            env.db.query("CHECKPOINT")
        env.db.close()
    finally:
        nats.stop()
        cluster.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    run = {
        "command": command,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": args.quick,
        "reps": args.reps,
        "duration_s": round(time.monotonic() - started, 1),
        "machine": machine_info(),
        "postgres_settings": servers.PG_SETTINGS,
        "workloads": {n: {"title": WORKLOADS[n](args.quick).title, "description": WORKLOADS[n](args.quick).describe(),
                          "generation": generation.get(n)} for n in args.workloads},
        "contenders": {k: contenders[k].label for k in args.contenders},
        "results": results,
    }
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "benchmarks.json"), "w") as f:
        json.dump(run, f, indent=2, default=str)
        f.write("\n")
    report.write(run, args.output)
    progress.line(f"done in {run['duration_s']:.0f} s: {os.path.join(args.output, 'benchmarks.md')}")
    failed = [r for r in results if r["status"] == "failed"]
    return 1 if failed else 0


def _interrupt(signum, frame):
    # SIGTERM like Ctrl+C: unwind so the servers and contenders this run started are stopped.
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted: servers stopped, nothing written\n")
        sys.exit(130)
