// Loads GraphiQL from the gateway in headless Chromium with every request outside
// 127.0.0.1 blocked, runs the example in the first tab and prints one JSON object: the
// tab titles, the headers editor's text, the result pane's text, every request that
// was blocked (there should be none) and every console error.
//
//   node graphiql.mjs http://127.0.0.1:PORT/graphql /usr/bin/chromium
import { chromium } from "playwright-core";

const [url, executablePath] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath,
  headless: true,
  // Containers run as root, where Chromium's sandbox cannot start.
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  const context = await browser.newContext();
  const blocked = [];
  const served = [];
  await context.route("**/*", (route) => {
    const requested = route.request().url();
    if (new URL(requested).hostname === "127.0.0.1") {
      served.push(requested);
      return route.continue();
    }
    blocked.push(requested);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));

  await page.goto(url, { waitUntil: "load" });
  await page.waitForSelector(".graphiql-execute-button", { timeout: 30_000 });
  const tabs = await page.locator(".graphiql-tab-button").allTextContents();
  // The variables and headers editors are CodeMirror instances below the query editor.
  const headers = await page.evaluate(() =>
    Array.from(document.querySelectorAll(".graphiql-editor-tool .CodeMirror"))
      .map((element) => element.CodeMirror.getValue())
      .join("\n")
  );
  await page.click(".graphiql-execute-button");
  const resultText = () =>
    document.querySelector(".result-window .CodeMirror")?.CodeMirror.getValue() || "";
  await page.waitForFunction(resultText, null, { timeout: 30_000 });
  const result = await page.evaluate(resultText);
  console.log(JSON.stringify({ tabs, headers, result, blocked, served, consoleErrors }));
} finally {
  await browser.close();
}
