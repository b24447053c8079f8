"""The workloads. Each creates its table and publication before the source slot exists, then writes
its changes either before the contenders start (backlog) or while one runs (steady rate); workload
6 writes its rows before and has no source slot: the contender snapshots the table (snapshot_run)."""
import re
import threading
import time

from pgwire import PgConnection, format_lsn, parse_lsn

ROW_COLUMNS = """id bigserial PRIMARY KEY, account_id int NOT NULL, amount numeric(12,2) NOT NULL,
    status text NOT NULL, note text NOT NULL, created_at timestamptz NOT NULL"""
# ~150-byte rows: 8 + 4 + ~8 + 8 + 78 + 8 bytes of data plus the tuple header.
ROW_VALUES = """(random()*1e6)::int, round((random()*1e4)::numeric, 2), 'pending',
    md5(random()::text) || md5(random()::text) || ' benchmark row', clock_timestamp()"""
INSERT_5 = f"INSERT INTO {{table}} (account_id, amount, status, note, created_at) SELECT {ROW_VALUES} FROM generate_series(1, 5)"


class Workload:
    number = 0
    title = ""
    live = False  # True: the changes are written while the contender runs
    snapshot = False  # True: rows written in prepare(), read by the contender's initial snapshot (no slot, no generate)

    def __init__(self, quick):
        self.quick = quick

    @property
    def table(self):
        return f"bench_w{self.number}"

    @property
    def publication(self):
        return f"bench_pub_w{self.number}"

    def prepare(self, db):
        """Table, generator procedure, publication and any data written before the slot exists."""
        raise NotImplementedError

    def generate(self, cluster, database):
        """Writes the measured changes; returns the number of row changes."""
        raise NotImplementedError

    def describe(self):
        raise NotImplementedError


class BacklogDrain(Workload):
    number = 1
    title = "backlog drain"
    sessions = 2  # concurrent generator sessions (2 cores)
    size_override = None  # bench/run --backlog-changes

    @property
    def changes(self):
        if self.size_override:
            return self.size_override // 10 * 10
        return 50_000 if self.quick else 1_000_000

    def prepare(self, db):
        db.query(f"CREATE TABLE {self.table} ({ROW_COLUMNS})")
        db.query(f"""CREATE PROCEDURE {self.table}_gen(txns int) LANGUAGE plpgsql AS $$
            BEGIN
              FOR i IN 1..txns LOOP
                {INSERT_5.format(table=self.table)};
                COMMIT;
              END LOOP;
            END $$""")
        db.query(f"CREATE PUBLICATION {self.publication} FOR TABLE {self.table}")

    def generate(self, cluster, database):
        per_session = self.changes // 5 // self.sessions
        _parallel(cluster, database, [f"CALL {self.table}_gen({per_session})"] * self.sessions)
        return per_session * self.sessions * 5

    def describe(self):
        return (f"{self.changes:,} inserts in 5-row transactions on a 6-column table (~150-byte rows), "
                f"written by {self.sessions} concurrent sessions (PL/pgSQL procedure, COMMIT every 5 rows) "
                "before the contender starts")


class OneBigTransaction(Workload):
    number = 2
    title = "one big transaction"

    @property
    def changes(self):
        return 100_000 if self.quick else 2_000_000

    def prepare(self, db):
        db.query(f"CREATE TABLE {self.table} ({ROW_COLUMNS})")
        db.query(f"CREATE PUBLICATION {self.publication} FOR TABLE {self.table}")

    def generate(self, cluster, database):
        _parallel(cluster, database, [f"INSERT INTO {self.table} (account_id, amount, status, note, created_at) "
                                      f"SELECT {ROW_VALUES} FROM generate_series(1, {self.changes})"])
        return self.changes

    def describe(self):
        return f"one transaction inserting {self.changes:,} rows into the same 6-column table"


class SteadyRate(Workload):
    number = 3
    title = "steady rate (latency)"
    live = True
    rate = 5_000  # changes/s
    seconds_override = None  # bench/run --steady-seconds

    @property
    def seconds(self):
        if self.seconds_override:
            return self.seconds_override
        return 8 if self.quick else 60

    @property
    def changes(self):
        return self.rate * self.seconds // 5 * 5

    def prepare(self, db):
        db.query(f"CREATE TABLE {self.table} ({ROW_COLUMNS})")
        # Paced on the server: after each 5-row commit, sleep until the schedule says the next is due.
        db.query(f"""CREATE PROCEDURE {self.table}_gen(rate int, txns int) LANGUAGE plpgsql AS $$
            DECLARE
              t0 timestamptz := clock_timestamp();
              ahead float8;
            BEGIN
              FOR i IN 1..txns LOOP
                {INSERT_5.format(table=self.table)};
                COMMIT;
                ahead := i * 5.0 / rate - extract(epoch FROM clock_timestamp() - t0);
                IF ahead > 0.0005 THEN PERFORM pg_sleep(ahead); END IF;
              END LOOP;
            END $$""")
        db.query(f"CREATE PUBLICATION {self.publication} FOR TABLE {self.table}")

    def generate(self, cluster, database):
        _parallel(cluster, database, [f"CALL {self.table}_gen({self.rate}, {self.changes // 5})"])
        return self.changes

    def describe(self):
        return (f"{self.rate:,} changes/s in 5-row transactions for {self.seconds} s "
                f"({self.changes:,} inserts), written while the contender runs")


class WideRows(Workload):
    number = 4
    title = "wide rows, unchanged TOAST"
    columns = 50

    @property
    def rows(self):
        return 5_000 if self.quick else 50_000

    @property
    def changes(self):
        return 10_000 if self.quick else 200_000

    def prepare(self, db):
        small = ", ".join(f"c{i:02} {'int' if i % 2 else 'text'} NOT NULL" for i in range(1, self.columns - 2))
        db.query(f"CREATE TABLE {self.table} (id int PRIMARY KEY, {small}, payload text NOT NULL)")
        # EXTERNAL: out of line and uncompressed, so an update that does not touch it sends 'u'.
        db.query(f"ALTER TABLE {self.table} ALTER COLUMN payload SET STORAGE EXTERNAL")
        values = ", ".join(f"g + {i}" if i % 2 else f"'value ' || g || ' {i}'" for i in range(1, self.columns - 2))
        db.query(f"INSERT INTO {self.table} SELECT g, {values}, "
                 f"(SELECT string_agg(md5(g::text || x::text), '') FROM generate_series(1, 128) x) "
                 f"FROM generate_series(1, {self.rows}) g")
        db.query(f"""CREATE PROCEDURE {self.table}_gen(txns int, nrows int) LANGUAGE plpgsql AS $$
            DECLARE k int;
            BEGIN
              FOR i IN 0..txns - 1 LOOP
                k := (i * 5) % nrows;
                UPDATE {self.table} SET c01 = c01 + 1, c02 = 'updated ' || i WHERE id > k AND id <= k + 5;
                COMMIT;
              END LOOP;
            END $$""")
        db.query(f"CREATE PUBLICATION {self.publication} FOR TABLE {self.table}")

    def generate(self, cluster, database):
        _parallel(cluster, database, [f"CALL {self.table}_gen({self.changes // 5}, {self.rows})"])
        return self.changes // 5 * 5

    def describe(self):
        return (f"{self.changes:,} updates in 5-row transactions on a {self.columns}-column table "
                f"({self.rows:,} rows) with a 4 KB TOASTed text column (STORAGE EXTERNAL) that the updates do not touch")


class SteadyRateDuringBackfill(SteadyRate):
    """Workload 3 at 1,000 changes/s while `cdc backfill` re-reads a large table of the same publication
    (issue 14). The request is a logical message, so only the Cdc contenders backfill; backfill rows
    carry no commit time and are left out of the latency samples."""
    number = 5
    title = "steady rate during a backfill (latency)"
    rate = 1_000

    @property
    def big_rows(self):
        return 100_000 if self.quick else 1_000_000

    def prepare(self, db):
        super().prepare(db)
        db.query(f"CREATE TABLE {self.table}_big ({ROW_COLUMNS})")
        db.query(f"INSERT INTO {self.table}_big (account_id, amount, status, note, created_at) "
                 f"SELECT {ROW_VALUES} FROM generate_series(1, {self.big_rows})")
        db.query(f"ANALYZE {self.table}_big")
        db.query(f"ALTER PUBLICATION {self.publication} ADD TABLE {self.table}_big")

    def generate(self, cluster, database):
        request = '{"table":"public.%s_big"}' % self.table
        _parallel(cluster, database, [f"SELECT pg_logical_emit_message(true, 'cdc.backfill', '{request}')"])
        return super().generate(cluster, database)

    def describe(self):
        return (f"{self.rate:,} changes/s in 5-row transactions for {self.seconds} s while Cdc backfills "
                f"a {self.big_rows:,}-row table (cdc backfill, Cdc:Backfill defaults)")


class InitialSnapshot(Workload):
    """Issue 14: the workload-1 table shape, filled before Cdc starts, read by `cdc run --snapshot
    initial_only` (the rows as OPERATION_READ events into JetStream, then exit 0, no slot kept). The
    floor is PostgreSQL alone: `COPY (SELECT ...) TO STDOUT (FORMAT binary)` to /dev/null."""
    number = 6
    title = "initial snapshot into JetStream"
    snapshot = True

    @property
    def changes(self):
        return 100_000 if self.quick else 2_000_000

    def prepare(self, db):
        db.query(f"CREATE TABLE {self.table} ({ROW_COLUMNS})")
        db.query(f"INSERT INTO {self.table} (account_id, amount, status, note, created_at) "
                 f"SELECT {ROW_VALUES} FROM generate_series(1, {self.changes})")
        db.query(f"VACUUM ANALYZE {self.table}")
        db.query(f"CREATE PUBLICATION {self.publication} FOR TABLE {self.table}")

    def generate(self, cluster, database):
        raise NotImplementedError("workload 6 writes its rows in prepare()")

    def copy_floor_sql(self):
        columns = "id, account_id, amount, status, note, created_at"
        return f"COPY (SELECT {columns} FROM public.{self.table}) TO STDOUT (FORMAT binary)"

    def describe(self):
        return (f"{self.changes:,} rows of the workload-1 table shape (~150-byte rows) already in the table, "
                "published by `cdc run --snapshot initial_only` (one OPERATION_READ message per row, then a "
                "SnapshotEvent; exits 0 with no slot kept); floor: the same rows by "
                "`COPY (SELECT ...) TO STDOUT (FORMAT binary)` through psql to /dev/null")


ALL = {1: BacklogDrain, 2: OneBigTransaction, 3: SteadyRate, 4: WideRows, 5: SteadyRateDuringBackfill, 6: InitialSnapshot}


def _parallel(cluster, database, statements):
    errors = []

    def run(sql):
        try:
            conn = PgConnection("127.0.0.1", cluster.port, database=database, application_name="bench-generator")
            try:
                conn.query(sql)
            finally:
                conn.close()
        except Exception as e:  # noqa: BLE001 - reported to the caller below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(sql,)) for sql in statements]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def last_commit_end_lsn(cluster, db, since_lsn):
    """The end LSN of the newest commit record: the position a contender's confirmed_flush_lsn
    reaches once it has everything. pg_current_wal_insert_lsn() alone may be past it (a page
    header, or a background record written after the commit)."""
    insert = parse_lsn(db.scalar("SELECT pg_current_wal_insert_lsn()"))
    start = max(since_lsn, insert - 4 * 1024 * 1024)
    last = None
    for line in cluster.waldump_records(format_lsn(start), format_lsn(insert)).splitlines():
        record = commit_record(line)
        if record:
            last = record
    if last is None:
        return insert, "pg_current_wal_insert_lsn (no commit found by pg_waldump)"
    lsn, total = last
    page = 8192
    if lsn % page + total <= page:
        return lsn + ((total + 7) & ~7), "pg_waldump"
    return insert, "pg_current_wal_insert_lsn (commit record crosses a page)"


_COMMIT = re.compile(r"rmgr: Transaction\s+len \(rec/tot\):\s*\d+/\s*(\d+),.*\blsn: ([0-9A-F]+/[0-9A-F]+),.*\bdesc: COMMIT")


def commit_record(line):
    """(start LSN, total length) of a pg_waldump line describing a commit record, else None."""
    m = _COMMIT.search(line)
    return (parse_lsn(m.group(2)), int(m.group(1))) if m else None
