// Open-loop HTTP load for bench/run.py: autocannon, driven programmatically so that every
// response time is kept and p50/p95/p99 come from the full sample (autocannon's own
// summary has no p95).
//
// Usage: node load.mjs --url URL --body-file FILE --connections N --duration S
//                      [--warmup S] [--rounds R] [--expect-file FILE]
//
// With --expect-file, every response body must equal that file's text (the answer the
// bench checked before timing); any other body counts as an error, so a server that
// answers 200 with errors under load (a timed-out subgraph, say) is not scored as fast.
//
// Prints one JSON object: {"warmup": {...}, "rounds": [{requests, seconds, rps, p50, p95,
// p99, errors, non2xx, mismatches}, ...]}; latencies in milliseconds.

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

import autocannon from "autocannon";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    "body-file": { type: "string" },
    connections: { type: "string", default: "10" },
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "0" },
    rounds: { type: "string", default: "1" },
    "expect-file": { type: "string" },
  },
  strict: true,
});

if (!values.url || !values["body-file"]) {
  process.stderr.write("usage: node load.mjs --url URL --body-file FILE [...]\n");
  process.exit(2);
}

const body = await readFile(values["body-file"], "utf8");
const expected = values["expect-file"] ? await readFile(values["expect-file"], "utf8") : null;

function percentile(sorted, fraction) {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(index, 0)];
}

async function round(seconds) {
  const times = [];
  let non2xx = 0;
  const instance = autocannon({
    url: values.url,
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    connections: Number(values.connections),
    duration: seconds,
    ...(expected === null ? {} : { expectBody: expected }),
  });
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    times.push(responseTime);
    if (statusCode < 200 || statusCode >= 300) non2xx += 1;
  });
  const started = process.hrtime.bigint();
  const result = await instance;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  times.sort((a, b) => a - b);
  return {
    requests: times.length,
    seconds: elapsed,
    rps: times.length / elapsed,
    p50: percentile(times, 0.5),
    p95: percentile(times, 0.95),
    p99: percentile(times, 0.99),
    errors: result.errors + result.timeouts + (result.mismatches ?? 0),
    non2xx,
    mismatches: result.mismatches ?? 0,
  };
}

const output = { warmup: null, rounds: [] };
if (Number(values.warmup) > 0) {
  output.warmup = await round(Number(values.warmup));
}
for (let n = 0; n < Number(values.rounds); n += 1) {
  output.rounds.push(await round(Number(values.duration)));
}
process.stdout.write(JSON.stringify(output) + "\n");
