// Publish throughput of the official NATS JavaScript client (async JetStream publish, every PubAck
// awaited, each message with a msgID like ours). Prints one JSON line.
// Usage: node publish.mjs <nats-url> <stream> <messages> <payload-bytes> [window]
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";

// The nats package is installed once, in tests/interop-js (shared with the interop test).
const require = createRequire(new URL("../../tests/interop-js/package.json", import.meta.url));
const { connect } = require("nats");

const [url, stream, countText, sizeText, windowText] = process.argv.slice(2);
const count = Number(countText);
const payload = randomBytes(Number(sizeText));
// 256 in flight was the JS client's best window here (measured 256..32768).
const window = Number(windowText ?? 256);
const subject = `bench.${stream}`;

const nc = await connect({ servers: url, name: "bench-js" });
const jsm = await nc.jetstreamManager();
await jsm.streams.add({ name: stream, subjects: [subject], storage: "file" });
const js = nc.jetstream();

const started = process.hrtime.bigint();
let pending = [];
for (let i = 0; i < count; i++) {
  pending.push(js.publish(subject, payload, { msgID: `js-${i}` }));
  if (pending.length >= window) {
    await Promise.all(pending);
    pending = [];
  }
}
await Promise.all(pending);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await nc.close();
console.log(JSON.stringify({ client: "nats.js", messages: count, seconds: Number(seconds.toFixed(3)), msgs_per_sec: Math.round(count / seconds) }));
