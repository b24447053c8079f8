"""Tests of the harness itself: python3 bench/harness/test_harness.py (standard library only).
The NATS test starts a real nats-server on loopback when one is installed."""
import os
import shutil
import struct
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))

import contenders  # noqa: E402
import report  # noqa: E402
import servers  # noqa: E402
import workloads  # noqa: E402
from natsclient import NatsConnection, protobuf_int_field  # noqa: E402
from pgwire import format_lsn, parse_lsn  # noqa: E402


def varint(value):
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def change_event(commit_time_us):
    """A ChangeEvent-shaped message: operation, database (string), end_lsn, then commit_time_us."""
    return (varint(1 << 3) + varint(1) + varint(2 << 3 | 2) + varint(5) + b"bench"
            + varint(6 << 3) + varint(0x1_0000_0000) + varint(8 << 3) + varint(commit_time_us))


def result(contender, changes_per_s, user, system, rep=1, workload=1):
    wall = 1_000_000 / changes_per_s
    return {"workload": workload, "contender": contender, "rep": rep, "status": "ok", "changes": 1_000_000,
            "wall_s": wall, "changes_per_s": changes_per_s, "contender_user_s": user, "contender_sys_s": system,
            "contender_peak_rss_mb": 80, "walsender_user_s": 2.0, "walsender_sys_s": 3.0,
            "contender_wakeups": 1000, "walsender_wakeups": 10, "machine_busy_s": user + system + 5.0, "run_s": wall}


class LsnTests(unittest.TestCase):
    def test_lsn_text_round_trips(self):
        for text in ("0/0", "0/16B3748", "1/0", "FFFFFFFF/FFFFFFFF"):
            self.assertEqual(format_lsn(parse_lsn(text)), text)

    def test_lsn_orders_by_high_then_low_word(self):
        self.assertLess(parse_lsn("0/FFFFFFFF"), parse_lsn("1/0"))


class WalDumpTests(unittest.TestCase):
    COMMIT = ("rmgr: Transaction len (rec/tot):    405/   405, tx:        724, lsn: 0/01527978, prev 0/01527938, "
              "desc: COMMIT 2026-11-22 05:33:23.243122 UTC; inval msgs: catcache 80 catcache 79 snapshot 2608")

    def test_commit_line_gives_its_start_lsn_and_total_length(self):
        self.assertEqual(workloads.commit_record(self.COMMIT), (parse_lsn("0/01527978"), 405))

    def test_other_records_are_not_commits(self):
        for line in ("rmgr: Heap        len (rec/tot):     59/    59, tx:        724, lsn: 0/01527938, prev 0/01527900, desc: INSERT off 1",
                     "rmgr: Transaction len (rec/tot):     34/    34, tx:        725, lsn: 0/01527B10, prev 0/01527AD8, desc: ABORT 2026-11-22",
                     "pg_waldump: error: error in WAL record at 0/1527B10: invalid record length"):
            self.assertIsNone(workloads.commit_record(line), line)


class ProtobufTests(unittest.TestCase):
    def test_commit_time_is_read_after_other_fields(self):
        self.assertEqual(protobuf_int_field(change_event(1_700_000_000_123_456), 8), 1_700_000_000_123_456)

    def test_negative_int64_is_sign_extended(self):
        self.assertEqual(protobuf_int_field(change_event(-5), 8), -5)

    def test_absent_field_is_zero(self):
        self.assertEqual(protobuf_int_field(varint(1 << 3) + varint(1), 8), 0)


class TargetTests(unittest.TestCase):
    def run_with(self, results):
        run = {"results": results}
        return {name: (measured, verdict, note) for name, measured, verdict, note in report.targets(run, report.summarize(run))}

    def test_throughput_shortfall_is_quantified_with_where_the_time_went(self):
        rows = self.run_with([result("b", 100_000, 4.0, 4.0), result("c", 80_000, 1.0, 0.5)])
        measured, verdict, note = rows["w1 changes/s c ≥ 1.00× b"]
        self.assertEqual(measured, "0.80×")
        self.assertEqual(verdict, "missed by 20%")
        self.assertIn("walsender busy", note)

    def test_cpu_ratio_shortfall_is_quantified(self):
        rows = self.run_with([result("b", 100_000, 4.0, 4.0), result("c", 100_000, 3.0, 2.0)])
        measured, verdict, note = rows["w1 Cdc CPU per change in c ≤ 0.25× b's"]
        self.assertTrue(measured.startswith("0.62×"), measured)
        self.assertEqual(verdict, "missed by 150%")
        self.assertIn("walsender busy", note)

    def test_cpu_ratio_target_met(self):
        rows = self.run_with([result("b", 100_000, 4.0, 4.0), result("c", 120_000, 1.0, 0.5)])
        measured, verdict, _ = rows["w1 Cdc CPU per change in c ≤ 0.25× b's"]
        self.assertTrue(measured.startswith("0.19×"), measured)
        self.assertEqual(verdict, "met")

    def test_unavailable_contender_is_not_measured_rather_than_a_number(self):
        rows = self.run_with([result("b", 100_000, 4.0, 4.0),
                              {"workload": 1, "contender": "d", "rep": 1, "status": "not available", "reason": "no cdc"}])
        measured, verdict, note = rows["w1 changes/s d ≥ 0.75× b"]
        self.assertEqual((measured, verdict), ("–", "not measured"))
        self.assertIn("no cdc", note)

    def test_snapshot_rate_against_streaming_and_the_copy_floor(self):
        snapshot = dict(result("d", 50_000, 10.0, 2.0, workload=6), floor_rows_per_s=200_000, contender_peak_rss_mb=260)
        rows = self.run_with([result("d", 40_000, 10.0, 2.0), snapshot])
        self.assertEqual(rows["w6 snapshot rows/s of d ≥ w1 changes/s of d"][:2], ("1.25× (50,000 vs 40,000)", "met"))
        self.assertEqual(rows["w6 snapshot rows/s of d against the COPY floor (report)"][0], "0.25× (200,000 rows/s)")
        self.assertEqual(rows["w6 peak RSS of d ≤ in-flight budget + 150 MB"][:2], ("260 MB (limit 214 MB)", "missed by 46 MB"))

    def test_no_snapshot_targets_without_workload_6(self):
        rows = self.run_with([result("d", 40_000, 10.0, 2.0)])
        self.assertFalse([name for name in rows if name.startswith("w6")])

    def test_steady_rate_cpu_against_the_baseline_of_the_same_workload(self):
        rows = self.run_with([result("b", 100_000, 9.0, 9.0), result("b", 5_000, 30.0, 30.0, workload=3),
                              result("d", 5_000, 40.0, 50.0, workload=3)])
        measured, verdict, _ = rows["w3 Cdc CPU per change in d ≤ 1.00× b's"]
        self.assertEqual(measured, "1.50× (90.00 vs 60.00 s/M)")
        self.assertEqual(verdict, "missed by 50%")

    def test_runs_are_averaged(self):
        summary = report.summarize({"results": [result("b", 100_000, 4.0, 4.0, 1), result("b", 50_000, 4.0, 4.0, 2)]})
        self.assertAlmostEqual(summary[(1, "b")]["changes_per_s"], 75_000)


class LatencyPayloadTests(unittest.TestCase):
    def test_each_contender_reads_the_commit_time_of_its_own_payload(self):
        by_key = contenders.all_contenders()
        event = change_event(1_700_000_000_123_456)
        self.assertEqual(by_key["d"].commit_time_us(event), 1_700_000_000_123_456)
        self.assertIsNone(by_key["j"].commit_time_us(b'{"commitTime":"2026-12-07T00:00:00Z"}'))
        self.assertEqual(by_key["f"].commit_time_us(b'{"op":"insert","commit_time_us":1700000000123456}'), 1_700_000_000_123_456)
        self.assertIsNone(by_key["f"].commit_time_us(b"not json"))


class ReportFileTests(unittest.TestCase):
    def test_section_is_replaced_and_the_rest_of_the_page_kept(self):
        run = {"command": "bench/run", "date_utc": "now", "quick": True, "reps": 1, "duration_s": 1,
               "machine": {"cpu": "x", "cores": 2, "memory_gib": 1, "postgres": "pg", "nats_server": "n",
                           "dotnet_sdk": "10", "kernel": "k"},
               "postgres_settings": {"fsync": "off"}, "contenders": {"b": "baseline"},
               "workloads": {1: {"title": "backlog drain", "description": "d", "generation": None}},
               "results": [result("b", 100_000, 4.0, 4.0)]}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "benchmarks.md")
            with open(path, "w") as f:
                f.write("# Benchmarks\n\nintro\n\n## Later section\n\nkept\n")
            report.write(run, d)
            report.write(run, d)
            with open(path) as f:
                text = f.read()
            self.assertEqual(text.count(report.BEGIN), 1)
            self.assertIn("kept", text)
            self.assertIn("| b | 100,000 |", text)
            self.assertTrue(os.path.exists(os.path.join(d, "benchmarks.svg")))


@unittest.skipUnless(os.path.exists(servers.NATS_BIN), "nats-server not installed")
class NatsReadBackTests(unittest.TestCase):
    def test_stream_is_read_back_with_store_timestamps(self):
        root = tempfile.mkdtemp(prefix="cdc-bench-test-")
        server = servers.NatsServerProcess(root)
        server.start()
        try:
            nats = NatsConnection("127.0.0.1", server.port)
            config = {"name": "T", "subjects": ["t.>"], "storage": "file"}
            import json
            reply = nats.request("$JS.API.STREAM.CREATE.T", json.dumps(config).encode())
            self.assertNotIn("error", reply)
            commit_us = int(time.time() * 1e6)
            for _ in range(3):
                payload = change_event(commit_us)
                ack = nats.request("t.x", payload)
                self.assertEqual(ack.get("stream"), "T")
            seen = []
            count = nats.read_stream("T", lambda p, ns: seen.append(ns / 1000 - protobuf_int_field(p, 8)))
            self.assertEqual(count, 3)
            self.assertTrue(all(0 <= lat < 5_000_000 for lat in seen), seen)
            nats.delete_stream("T")
            self.assertIsNone(nats.stream_info("T"))
            nats.close()
        finally:
            server.stop()
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
