// Reads every message of a JetStream stream with the official NATS JavaScript client, as a consumer in another
// language would read Cdc's events, and prints one JSON line per message: subject, headers (name -> first value),
// the payload parsed with JSON.parse when its Content-Type is JSON (`event`), else the payload in base64 (`data`).
// Usage: node read-events.mjs <nats-url> <stream> <expected-count> [timeout-ms]
import { connect } from "nats";

const [url, stream, expectedText, timeoutText] = process.argv.slice(2);
if (!url || !stream || !expectedText) {
  console.error("usage: node read-events.mjs <nats-url> <stream> <expected-count> [timeout-ms]");
  process.exit(2);
}

const expected = Number(expectedText);
const deadline = Date.now() + Number(timeoutText ?? 30000);
const nc = await connect({ servers: url, name: "cdc-read-events-js" });
try {
  const consumer = await nc.jetstream().consumers.get(stream);
  let seen = 0;
  while (seen < expected && Date.now() < deadline) {
    const batch = await consumer.fetch({ max_messages: Math.min(1000, expected - seen), expires: 2000 });
    for await (const m of batch) {
      const headers = {};
      for (const key of m.headers ? m.headers.keys() : []) {
        headers[key] = m.headers.get(key);
      }
      const contentType = headers["Content-Type"] ?? "";
      const isJson = contentType === "application/json" || contentType === "application/cloudevents+json";
      process.stdout.write(JSON.stringify({
        subject: m.subject,
        headers,
        event: isJson ? m.json() : null,
        data: isJson ? null : Buffer.from(m.data).toString("base64"),
      }) + "\n");
      seen++;
    }
  }
} finally {
  await nc.close();
}
