// Reads every message of a JetStream stream with the official NATS JavaScript client and prints
// one JSON line per message: subject, stream sequence, headers (name -> values), payload (base64).
// Usage: node consume.mjs <nats-url> <stream> <expected-count> [timeout-ms]
import { connect } from "nats";

const [url, stream, expectedText, timeoutText] = process.argv.slice(2);
if (!url || !stream || !expectedText) {
  console.error("usage: node consume.mjs <nats-url> <stream> <expected-count> [timeout-ms]");
  process.exit(2);
}

const expected = Number(expectedText);
const deadline = Date.now() + Number(timeoutText ?? 30000);
const nc = await connect({ servers: url, name: "cdc-interop-js" });
try {
  const js = nc.jetstream();
  // An ordered consumer: ephemeral, in stream order, no acks needed.
  const consumer = await js.consumers.get(stream);
  let seen = 0;
  while (seen < expected && Date.now() < deadline) {
    const batch = await consumer.fetch({ max_messages: Math.min(1000, expected - seen), expires: 2000 });
    for await (const m of batch) {
      const headers = {};
      if (m.headers) {
        for (const key of m.headers.keys()) {
          headers[key] = m.headers.values(key);
        }
      }
      process.stdout.write(JSON.stringify({
        subject: m.subject,
        seq: m.seq,
        headers,
        data: Buffer.from(m.data).toString("base64"),
      }) + "\n");
      seen++;
    }
  }
} finally {
  await nc.close();
}
