// Shopper journeys in Chromium against a running platform and a production build.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export async function guestToPaidOrder(browser, base, shots, graphqlUrl) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const shot = async (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const step = async (name, run) => {
    try {
      await run();
    } finally {
      await shot(name).catch(() => {});
    }
  };

  await step("01-home", async () => {
    const images = [];
    page.on("response", (response) => {
      if (response.request().resourceType() === "image") {
        images.push({ url: response.url(), status: response.status() });
      }
    });
    await page.goto(`${base}/`, { waitUntil: "load" });
    assert.ok((await page.getByTestId("product-card").count()) > 0, "the home page lists products");
    // The demo pictures load: every image the page asked for answered, none with an error.
    const broken = images.filter((image) => image.status >= 400);
    assert.deepEqual(broken, [], `no image of the home page fails: ${JSON.stringify(broken.slice(0, 3))}`);
    assert.ok(images.some((image) => image.status === 200), "the home page shows pictures");
    const blank = await page.evaluate(() =>
      Array.from(document.images).filter((img) => img.complete && img.naturalWidth === 0).length,
    );
    assert.equal(blank, 0, "every loaded picture has pixels");
  });

  await step("02-category", async () => {
    await page.getByRole("navigation", { name: "Categories" }).getByRole("link", { name: "Clothing" }).click();
    await page.waitForURL(/\/category\/clothing/);
    await page.getByRole("heading", { name: "Clothing", level: 1 }).waitFor();
  });

  await step("02b-promoted-prices", async () => {
    // The demo takes 5.00 off every Outdoors product: cards and the product page show the
    // sale price, the list price struck through and the promotion's name.
    await page.goto(`${base}/category/outdoors`);
    const promoted = page.getByTestId("product-card").filter({ has: page.getByTestId("promotion-name") });
    assert.ok((await promoted.count()) > 0, "an Outdoors card shows its promotion");
    assert.ok(await promoted.first().getByTestId("list-price").isVisible(), "with the list price struck through");
    await promoted.first().click();
    await page.waitForURL(/\/product\//);
    await page.getByTestId("product-price").getByTestId("promotion-name").waitFor();
    assert.ok((await page.getByTestId("variant-option").getByTestId("list-price").count()) > 0, "variants show their list price");
    await page.goto(`${base}/category/clothing`);
  });

  await step("03-filtered", async () => {
    await page.getByTestId("in-stock-filter").click();
    await page.waitForURL(/inStock=1/);
    await page.getByTestId("price-facet").first().click();
    await page.waitForURL(/minPrice=/);
    assert.ok((await page.getByTestId("product-card").count()) > 0, "the filtered listing is not empty");
  });

  await step("04-search-typo", async () => {
    await page.getByRole("searchbox", { name: "Search products" }).fill("jeens");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(/\/search\?q=jeens/);
    const names = await page.getByTestId("product-card").allInnerTexts();
    assert.ok(names.some((text) => /jeans/i.test(text)), "a misspelt search finds jeans");
  });

  // Two products of two different sellers, in stock.
  await page.goto(`${base}/search?inStock=1&sort=NEWEST`);
  const cards = await page.getByTestId("product-card").evaluateAll((links) =>
    links.map((link) => ({ href: link.getAttribute("href"), text: link.textContent ?? "" })),
  );
  const picked = [];
  for (const card of cards) {
    await page.goto(`${base}${card.href}`);
    const seller = await page.getByTestId("seller-name").innerText();
    const enabled = page.locator('input[name="variantId"]:not([disabled])');
    if ((await enabled.count()) < 2 || picked.some((p) => p.seller === seller)) continue;
    picked.push({ href: card.href, seller });
    if (picked.length === 2) break;
  }
  assert.equal(picked.length, 2, "two in-stock products of two sellers exist");

  for (const [index, product] of picked.entries()) {
    await step(`05-product-${index + 1}`, async () => {
      await page.goto(`${base}${product.href}`);
      await page.locator('input[name="variantId"]:not([disabled])').nth(1).check();
      await page.getByRole("button", { name: "Add to cart" }).click();
      await page.waitForURL(/\/cart$/);
    });
  }
  await step("06-guest-cart", async () => {
    assert.equal(await page.getByTestId("cart-line").count(), 2, "the guest cart holds two lines");
  });

  const email = `shopper-${Date.now()}@example.com`;
  await step("07-registered-cart-merged", async () => {
    await page.goto(`${base}/register?next=/cart`);
    await page.getByLabel("Name").fill("Ada Lovelace");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel(/^Password/).fill("a long passphrase");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(/\/cart$/);
    await page.getByTestId("viewer-name").waitFor();
    assert.equal(await page.getByTestId("cart-line").count(), 2, "the guest cart was merged at sign-in");
  });

  const voucherName = "Journey ten percent";
  await step("07b-voucher-and-express-shipping", async () => {
    // Staff hand out a platform code: 10 % off the order, promoted lines included.
    const code = `JOURNEY${Date.now().toString(36).toUpperCase()}`;
    const staff = await staffToken(graphqlUrl);
    const { voucherCreate } = await platformQuery(
      graphqlUrl,
      "mutation($input: VoucherCreateInput!) { voucherCreate(input: $input) { voucher { code } errors { code message } } }",
      { input: { code, name: voucherName, kind: "PERCENTAGE", value: 1000, scope: "ORDER", combinable: true } },
      staff,
    );
    assert.deepEqual(voucherCreate.errors, []);

    // No default address yet: the summary is for the US, tax added. Ship to Britain instead.
    await page.getByTestId("summary-tax-amount").filter({ hasText: /^\+ / }).waitFor();
    await page.getByLabel("Ship to").selectOption("GB");
    await page.getByTestId("summary-tax-amount").filter({ hasText: /^incl\. VAT/ }).waitFor();
    const total = () => page.getByTestId("summary-total-amount").innerText();
    const totalChanges = async (from) => {
      await page.waitForFunction(
        (before) => document.querySelector('[data-testid="summary-total-amount"]')?.textContent !== before,
        from,
      );
      return total();
    };
    const atList = await total();

    await page.getByLabel("Voucher code").fill("NO-SUCH-CODE");
    await page.getByRole("button", { name: "Apply code" }).click();
    await page.getByTestId("voucher-error").waitFor();
    assert.match(await page.getByTestId("voucher-error").innerText(), /NO-SUCH-CODE/, "the refusal names the code");

    await page.getByLabel("Voucher code").fill(code.toLowerCase());
    await page.getByRole("button", { name: "Apply code" }).click();
    await page.getByTestId("applied-voucher").filter({ hasText: code }).waitFor();
    await page.getByTestId("summary-discount").filter({ hasText: voucherName }).waitFor();
    const withVoucher = await totalChanges(atList);

    // Express for a parcel whose seller ships with the platform's methods.
    const express = page.getByRole("radio", { name: /^Express/ }).first();
    await express.check();
    const withExpress = await totalChanges(withVoucher);
    console.log(`cart totals: ${atList} at list prices, ${withVoucher} with the code, ${withExpress} with express shipping`);
    await page.reload();
    assert.ok(await page.getByRole("radio", { name: /^Express/ }).first().isChecked(), "the shipping choice survives a reload");
    assert.equal(await total(), withExpress, "and so does the total");
  });

  await step("08-checkout-price-changed", async () => {
    await page.getByRole("link", { name: "Check out" }).click();
    await page.waitForURL(/\/checkout$/);
    await page.getByTestId("chosen-shipping").filter({ hasText: /^Express/ }).waitFor();
    // Priced for Britain, shipped to Germany: another VAT rate, so the platform answers
    // PRICE_CHANGED and the page asks to confirm the German summary.
    await fillAddress(page, "DE");
    await page.getByRole("button", { name: "Place order" }).click();
    await page.getByTestId("price-change").first().waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId("price-changes").innerText(), /tax|rate|VAT|total/i);
  });

  await step("08-checkout", async () => {
    await page.getByRole("button", { name: "Confirm the new total and place order" }).click();
    await page.waitForURL(/\/account\/orders\//);
    await page.getByRole("button", { name: "Decline (test card)" }).waitFor({ timeout: 30_000 });
    await page.getByTestId("order-discount").filter({ hasText: voucherName }).waitFor();
    assert.ok(
      (await page.getByTestId("order-parcel").allInnerTexts()).some((text) => /Express/.test(text)),
      "the order keeps the express parcel",
    );
  });

  await step("09-declined", async () => {
    await page.getByRole("button", { name: "Decline (test card)" }).click();
    await page.getByText("Your payment was declined").waitFor({ timeout: 30_000 });
  });

  await step("10-paid", async () => {
    await page.getByRole("button", { name: "Pay (test card)" }).click();
    await page.getByTestId("order-status").filter({ hasText: /^PAID$/ }).waitFor({ timeout: 30_000 });
    const history = await page.getByTestId("status-history").innerText();
    for (const status of ["PENDING", "AWAITING_PAYMENT", "PAID"]) {
      assert.ok(history.includes(status), `the status history shows ${status}`);
    }
  });

  await step("10b-shipped-live", async () => {
    // Staff ship the order through the API while the shopper looks at it: the page shows
    // FULFILLED by itself (orderStatusChanged over Server-Sent Events), without a reload.
    const orderId = decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1));
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    const staff = await staffToken(graphqlUrl);
    const { order } = await platformQuery(graphqlUrl, "query($id: ID!) { order(id: $id) { lines { id } } }", { id: orderId }, staff);
    const { orderFulfill } = await platformQuery(
      graphqlUrl,
      "mutation($id: ID!, $lines: [ID!]!) { orderFulfill(orderId: $id, lineIds: $lines, trackingNumber: \"TRACK-E2E\") { errors { code message } } }",
      { id: orderId, lines: order.lines.map((line) => line.id) },
      staff,
    );
    assert.deepEqual(orderFulfill.errors, []);
    await page.getByTestId("order-status").filter({ hasText: /^FULFILLED$/ }).waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "the page updated without a reload");
    await page.getByTestId("parcel-shipped").filter({ hasText: "TRACK-E2E" }).first().waitFor({ timeout: 30_000 });
  });

  await step("11-order-history", async () => {
    await page.goto(`${base}/account/orders`);
    assert.equal(await page.getByTestId("order-row").count(), 1, "the order is in the history");
  });

  await step("12-out-of-stock-refused", async () => {
    await page.goto(`${base}${picked[0].href}`);
    await page.getByLabel("Quantity").fill("999");
    await page.getByRole("button", { name: "Add to cart" }).click();
    await page.waitForURL(/\/cart$/);
    await page.getByTestId("stock-warning").first().waitFor();
    await page.getByRole("link", { name: "Check out" }).click();
    await fillAddress(page);
    await page.getByRole("button", { name: "Place order" }).click();
    await page.getByTestId("line-error").first().waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId("line-error").first().innerText(), /Not enough in stock/);
  });

  await context.close();
  return { email };
}

/** The country is left as checkout fills it in (the summary's) unless given. */
async function fillAddress(page, country) {
  await page.getByLabel("First name").fill("Ada");
  await page.getByLabel("Last name").fill("Lovelace");
  await page.getByLabel("Street address").fill("12 St James's Square");
  await page.getByLabel("City").fill("London");
  await page.getByLabel("Postal code").fill("SW1Y 4JH");
  if (country) await page.getByLabel(/^Country code/).fill(country);
}

export async function withoutJavaScript(browser, base, shots) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/search?q=jeans`);
  const href = await page.getByTestId("product-card").first().getAttribute("href");
  await page.goto(`${base}${href}`);
  await page.screenshot({ path: join(shots, "nojs-01-product.png"), fullPage: true });
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.waitForURL(/\/cart$/);
  assert.equal(await page.getByTestId("cart-line").count(), 1, "a form post adds to the cart without JavaScript");
  await page.getByLabel("Quantity").fill("2");
  await page.getByRole("button", { name: "Update" }).click();
  await page.waitForURL(/\/cart$/);
  assert.equal(await page.getByTestId("cart-count").innerText(), "2");
  await page.screenshot({ path: join(shots, "nojs-02-cart.png"), fullPage: true });
  await page.getByRole("link", { name: "Check out" }).click();
  await page.waitForURL(/\/sign-in/);
  await page.screenshot({ path: join(shots, "nojs-03-sign-in.png"), fullPage: true });
  await context.close();
}

export function screenshotsDir(root) {
  const dir = join(root, "test-results");
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function platformQuery(graphqlUrl, query, variables, token) {
  const response = await fetch(graphqlUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  assert.ok(!body.errors, `the platform answered ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function staffToken(graphqlUrl) {
  const { tokenCreate } = await platformQuery(
    graphqlUrl,
    "mutation($email: String!, $password: String!) { tokenCreate(email: $email, password: $password) { accessToken errors { code } } }",
    { email: "staff@shopgraph.dev", password: "shopgraph-demo" },
  );
  assert.ok(tokenCreate.accessToken, `staff sign in: ${JSON.stringify(tokenCreate.errors)}`);
  return tokenCreate.accessToken;
}

function money(amount, currency) {
  const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return new Intl.NumberFormat("en", { style: "currency", currency }).format(amount / 10 ** digits);
}

/**
 * Staff change a variant's price through the API; the product page, cached by the
 * storefront, shows the new price once the platform's event reaches /api/revalidate.
 * Returns how many times the page was fetched until it did.
 */
export async function priceChangeReachesTheProductPage(base, graphqlUrl) {
  const { products } = await platformQuery(
    graphqlUrl,
    "{ products(first: 1, sort: NEWEST) { nodes { slug variants { id price { amount currency } } } } }",
  );
  const [{ slug, variants }] = products.nodes;
  const [variant] = variants;
  const pageUrl = `${base}/product/${slug}`;
  const before = await (await fetch(pageUrl)).text();
  assert.ok(before.includes(money(variant.price.amount, variant.price.currency)), "the page shows the current price");

  const staff = await staffToken(graphqlUrl);
  const amount = 987_600 + Math.floor(Math.random() * 99);
  const { variantUpdate } = await platformQuery(
    graphqlUrl,
    // A price above any the demo has; the compare-at price (which must be higher) goes.
    "mutation($id: ID!, $price: MoneyInput!) { variantUpdate(id: $id, input: {price: $price, compareAtPrice: null}) { errors { code message } } }",
    { id: variant.id, price: { amount, currency: variant.price.currency } },
    staff,
  );
  assert.deepEqual(variantUpdate.errors, []);

  const shown = money(amount, variant.price.currency);
  assert.ok(!before.includes(shown), `the page showed ${shown} already`);
  for (let polls = 1; polls <= 120; polls++) {
    if ((await (await fetch(pageUrl)).text()).includes(shown)) return polls;
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`the product page never showed the new price ${shown}`);
}
