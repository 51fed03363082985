// Starts the platform (unless E2E_PLATFORM_URL names a running one), a recording proxy in
// front of its /graphql, and the production build of the storefront; runs the journeys in
// Chromium; stops everything. `npm run e2e`; E2E_SKIP_BUILD=1 reuses the last build.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { guestToPaidOrder, priceChangeReachesTheProductPage, screenshotsDir, withoutJavaScript } from "./journeys.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(root, "..");
const children = [];
// Shared by the platform and the storefront: the revalidation route's secret, and the key
// that makes the storefront a first-party client whose shoppers are limited one by one.
const revalidateSecret = "e2e-revalidate-secret-0123456789abcdef";
const clientKey = "e2e-storefront-client-key-0123456789abcdef";

function freePort() {
  return new Promise((done, fail) => {
    const server = createNetServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
    server.on("error", fail);
  });
}

function start(name, command, args, options) {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let log = "";
  child.stdout.on("data", (chunk) => (log += chunk));
  child.stderr.on("data", (chunk) => (log += chunk));
  children.push({ name, child, log: () => log });
  return child;
}

async function waitFor(url, what, seconds = 120) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((done) => setTimeout(done, 500));
  }
  throw new Error(`${what} did not answer ${url} within ${seconds}s`);
}

function stopAll() {
  for (const { child } of children.reverse()) {
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
  }
}

/** Forwards to the gateway and keeps what the storefront's server sent. */
function recordingProxy(target, port) {
  const seen = [];
  const server = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString("utf8");
    seen.push({ method: request.method, url: request.url, body });
    const headers = { ...request.headers };
    delete headers.host;
    delete headers["content-length"];
    // A subscription's event stream is passed on as it comes, and given up with its client.
    const abandoned = new AbortController();
    response.on("close", () => abandoned.abort());
    try {
      const upstream = await fetch(new URL(request.url, target), {
        method: request.method,
        headers,
        body: request.method === "GET" ? undefined : body,
        signal: abandoned.signal,
      });
      const out = {};
      upstream.headers.forEach((value, name) => {
        if (!["content-length", "content-encoding", "transfer-encoding"].includes(name)) out[name] = value;
      });
      response.writeHead(upstream.status, out);
      if (upstream.body) for await (const chunk of upstream.body) response.write(chunk);
      response.end();
    } catch (error) {
      if (!abandoned.signal.aborted) response.destroy(error);
    }
  });
  return new Promise((done) => server.listen(port, "127.0.0.1", () => done({ server, seen })));
}

function assertOnlyDocumentIds(seen) {
  if (seen.length === 0) throw new Error("the storefront sent nothing to the gateway");
  for (const request of seen) {
    const url = new URL(request.url, "http://proxy");
    const params = request.method === "GET" ? Object.fromEntries(url.searchParams) : JSON.parse(request.body || "{}");
    if ("query" in params || !/^sha256:[0-9a-f]{64}$/.test(String(params.documentId))) {
      throw new Error(`document text or no documentId sent: ${request.method} ${request.url} ${request.body}`);
    }
    if (request.method === "POST" && !/^\s*\{/.test(request.body)) throw new Error("a POST without JSON");
  }
  const gets = seen.filter((request) => request.method === "GET").length;
  console.log(`trusted documents: ${seen.length} requests (${gets} GET), every one a documentId, no document text`);
}

async function main() {
  const storefrontPort = await freePort();
  const base = `http://127.0.0.1:${storefrontPort}`;
  // A platform of our own announces catalog changes to this storefront; one named by
  // E2E_PLATFORM_URL was configured by whoever started it.
  const ownPlatform = !process.env.E2E_PLATFORM_URL;
  let platform = process.env.E2E_PLATFORM_URL;
  if (!platform) {
    const port = await freePort();
    const shopgraph = process.env.SHOPGRAPH_BIN ?? join(repo, ".venv/bin/shopgraph");
    start("platform", shopgraph, ["serve", "--port", String(port)], {
      cwd: repo,
      env: {
        ...process.env,
        GATEWAY_OPERATIONS_DIR: join(repo, "schema/operations"),
        // The platform's own address: the demo pictures are served from it.
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        STOREFRONT_URL: base,
        STOREFRONT_REVALIDATE_SECRET: revalidateSecret,
        GATEWAY_FIRST_PARTY_KEYS: `storefront:${clientKey}`,
      },
    });
    platform = `http://127.0.0.1:${port}`;
  }
  await waitFor(`${platform}/ready`, "the platform", 180);

  if (process.env.E2E_SKIP_BUILD !== "1") {
    const build = spawnSync("npm", ["run", "build"], {
      cwd: root,
      stdio: "inherit",
      // next.config fixes the media host allowed to next/image when it builds.
      env: {
        ...process.env,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        SHOPGRAPH_MEDIA_URL: `${platform}/media`,
      },
    });
    if (build.status !== 0) throw new Error("npm run build failed");
  }

  const proxyPort = await freePort();
  const proxy = await recordingProxy(`${platform}/graphql`, proxyPort);
  start("storefront", process.execPath, [join(root, ".next/standalone/server.js")], {
    cwd: join(root, ".next/standalone"),
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(storefrontPort),
      HOSTNAME: "127.0.0.1",
      SHOPGRAPH_GRAPHQL_URL: `http://127.0.0.1:${proxyPort}/graphql`,
      SHOPGRAPH_MEDIA_URL: `${platform}/media`,
      STOREFRONT_URL: base,
      STOREFRONT_REVALIDATE_SECRET: revalidateSecret,
      ...(ownPlatform ? { SHOPGRAPH_CLIENT_KEY: clientKey } : {}),
    },
  });
  await waitFor(`${base}/robots.txt`, "the storefront", 60);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const shots = screenshotsDir(root);
  try {
    const started = Date.now();
    await guestToPaidOrder(browser, base, shots, `${platform}/graphql`);
    console.log(`journey: browse, filter, search, two sellers, register + merge, a voucher and express shipping change the totals, PRICE_CHANGED confirmed, checkout, decline, pay, PAID, shipped live (FULFILLED without a reload), out of stock refused (${Date.now() - started} ms)`);
    await withoutJavaScript(browser, base, shots);
    console.log("journey without JavaScript: product page, add to cart, update quantity, checkout asks to sign in");
    if (ownPlatform) {
      const polls = await priceChangeReachesTheProductPage(base, `${platform}/graphql`);
      console.log(`revalidation: a price changed through the API shows on the cached product page (${polls} polls)`);
    }
    const revalidate = await fetch(`${base}/api/revalidate`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-revalidate-secret": revalidateSecret },
      body: JSON.stringify({ tags: ["products"] }),
    });
    if (revalidate.status !== 200) throw new Error(`revalidate answered ${revalidate.status}`);
    const refused = await fetch(`${base}/api/revalidate`, { method: "POST", body: "{}" });
    if (refused.status !== 401) throw new Error(`revalidate without the secret answered ${refused.status}`);
    assertOnlyDocumentIds(proxy.seen);
  } finally {
    await browser.close();
    proxy.server.close();
  }
}

main()
  .then(() => {
    stopAll();
    console.log(`screenshots in ${join(root, "test-results")}`);
  })
  .catch((error) => {
    console.error(error);
    for (const { name, log } of children) console.error(`--- ${name} (last output) ---\n${log().slice(-4000)}`);
    stopAll();
    process.exit(1);
  });
