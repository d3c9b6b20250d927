// The peer of bench/push-fanout.sh: Node's `web-push` library (its aes128gcm encryption and its
// VAPID signature, one per push, as `sendNotification` does) sending one push to each
// subscription in a JSON file, CONCURRENCY in flight, to the same local receiving service the
// server's fan-out is measured against. `sendNotification` speaks only HTTPS, and the receiver
// is plain HTTP on loopback, so the requests it details (`generateRequestDetails`) are sent with
// Node's own `http` module over keep-alive connections.
//
//   node bench/webpush-node/send.mjs SUBSCRIPTIONS.json [CONCURRENCY=64]
//
// SUBSCRIPTIONS.json: [{"endpoint": "http://127.0.0.1:PORT/push/0", "keys": {"p256dh", "auth"}}]
// Prints one JSON line: {"sent", "failed", "seconds", "per_second"}.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import webpush from 'web-push';

const [file, concurrencyArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node send.mjs SUBSCRIPTIONS.json [CONCURRENCY]');
  process.exit(2);
}
const subscriptions = JSON.parse(readFileSync(file, 'utf8'));
const concurrency = Number(concurrencyArg ?? 64);
const vapid = webpush.generateVAPIDKeys();
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
// About the size of the server's payload for the benchmark's warning.
const payload = JSON.stringify({
  notification_id: '0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b',
  kind: 'news',
  title: 'Unwetterwarnung',
  body: 'Sturmböen bis 100 km/h. Bitte lose Gegenstände sichern und Bäume meiden. '
    + 'Die Feuerwehr ist erreichbar unter 112.',
  data: { type: 'news', id: '0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6c' },
});
const options = {
  TTL: 24 * 60 * 60,
  urgency: 'high',
  contentEncoding: 'aes128gcm',
  vapidDetails: {
    subject: 'mailto:bench@dorfapp.invalid',
    publicKey: vapid.publicKey,
    privateKey: vapid.privateKey,
  },
};

function post(details) {
  return new Promise((resolve) => {
    const url = new URL(details.endpoint);
    const request = http.request({
      agent,
      method: details.method,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname,
      headers: details.headers,
    }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    request.on('error', () => resolve(0));
    request.end(details.body);
  });
}

let next = 0;
let sent = 0;
let failed = 0;
async function sender() {
  while (next < subscriptions.length) {
    const subscription = subscriptions[next];
    next += 1;
    const status = await post(webpush.generateRequestDetails(subscription, payload, options));
    if (status >= 200 && status < 300) sent += 1; else failed += 1;
  }
}

const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: concurrency }, sender));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
agent.destroy();
console.log(JSON.stringify({ sent, failed, seconds, per_second: sent / seconds }));
