// bench/run contender f: the PostgreSQL -> JetStream service a Node.js team would write with the usual npm
// packages (pg-logical-replication for pgoutput, nats for JetStream). Each insert, update and delete becomes a
// JSON message on <prefix>.<schema>.<table> with a Nats-Msg-Id (its LSN); a transaction's commit LSN is confirmed
// to PostgreSQL once every PubAck of it and of every transaction before it has arrived. At most --window
// publishes wait for their PubAck at once (256 was nats.js's best window in bench/nats-publish).
// Usage: node index.mjs --host H --port P --user U --database D --slot S --publication PUB --nats URL --stream NAME
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import { connect, JSONCodec } from 'nats';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '5432' },
    user: { type: 'string', default: 'postgres' },
    database: { type: 'string', default: 'postgres' },
    slot: { type: 'string' },
    publication: { type: 'string' },
    nats: { type: 'string', default: 'nats://127.0.0.1:4222' },
    stream: { type: 'string' },
    window: { type: 'string', default: '256' },
  },
});
for (const required of ['slot', 'publication', 'stream']) {
  if (!args[required]) {
    console.error(`--${required} is required`);
    process.exit(2);
  }
}

const maxInFlight = Number(args.window);
const prefix = `node.${args.stream.toLowerCase()}`;
const nc = await connect({ servers: args.nats });
const jsm = await nc.jetstreamManager();
await jsm.streams.add({ name: args.stream, subjects: [`${prefix}.>`] });
const js = nc.jetstream();
const codec = JSONCodec();

// bigint (commit times, int8 columns) as JSON numbers' text.
const json = (value) => JSON.parse(JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));

const service = new LogicalReplicationService(
  { host: args.host, port: Number(args.port), user: args.user, database: args.database },
  // Confirm only what JetStream acknowledged: no automatic acknowledgement of the last received LSN.
  { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
);
const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [args.publication] });

let inFlight = []; // PubAck promises of every publish not yet past the window, oldest first
let transactionAcks = []; // PubAck promises of the open transaction
let confirming = Promise.resolve(); // confirmations, one per commit, in commit order
let commitTimeUs = 0;
let confirmed = null; // the newest commit end LSN whose changes (and all before) are acknowledged
let changes = 0;

const fail = (e) => {
  console.error(`publish failed: ${e?.message ?? e}`);
  process.exit(1);
};

service.on('data', async (lsn, log) => {
  switch (log.tag) {
    case 'begin':
      commitTimeUs = Number(log.commitTime);
      break;
    case 'insert':
    case 'update':
    case 'delete': {
      const { schema, name } = log.relation;
      const event = { op: log.tag, schema, table: name, lsn, commit_time_us: commitTimeUs, new: log.new ?? null, old: log.old ?? log.key ?? null };
      const ack = js.publish(`${prefix}.${schema}.${name}`, codec.encode(json(event)), { msgID: lsn });
      inFlight.push(ack);
      transactionAcks.push(ack);
      changes++;
      if (inFlight.length >= maxInFlight) {
        await inFlight.shift().catch(fail);
      }
      break;
    }
    case 'commit': {
      // Confirmed once this transaction's PubAcks and every earlier confirmation are in; the next transaction
      // is read meanwhile.
      const acks = transactionAcks;
      const end = log.commitEndLsn;
      transactionAcks = [];
      confirming = confirming
        .then(() => Promise.all(acks))
        .then(() => {
          confirmed = end;
          return service.acknowledge(end);
        })
        .catch(fail);
      break;
    }
    default:
      break;
  }
});
service.on('heartbeat', async (lsn, timestamp, shouldRespond) => {
  if (shouldRespond && confirmed) {
    await service.acknowledge(confirmed);
  }
});
service.on('error', (e) => {
  console.error(`replication error: ${e?.message ?? e}`);
  process.exit(1);
});

const stop = async () => {
  await service.stop().catch(() => {});
  await nc.drain().catch(() => {});
  console.log(JSON.stringify({ changes }));
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

await service.subscribe(plugin, args.slot);
