import { expect, test } from "@playwright/test";
import { signIn } from "./credentials";

test.describe.configure({ timeout: 120_000 });

/** Generic events from "outside Atlassian", unique to this run, one line of which is broken. */
function ndjson(run: string): string {
  const at = new Date(Date.now() - 60 * 60 * 1000).toISOString();
  const event = (n: number, operation: string) =>
    JSON.stringify({ source: "e2e-vpn", id: `${run}-${n}`, occurred_at: at, operation, actor: { email: `vpn-${run}@example.com` }, source_ip: "203.0.113.77" });
  return [event(1, "login"), '{"id": "broken", ', event(2, "login_failed"), event(3, "logout")].join("\r\n") + "\r\n";
}

test("an uploaded file's events appear on the Events page and its rejects are listed", async ({ page }) => {
  const run = `r${Date.now()}`;
  const file = Buffer.from(ndjson(run));
  await signIn(page);
  await page.getByRole("link", { name: "Import", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Import", level: 1 })).toBeVisible();
  await page.getByLabel("File (NDJSON, JSON, CSV or XML, optionally gzip-compressed)").setInputFiles({
    name: `vpn-${run}.ndjson`,
    mimeType: "application/x-ndjson",
    buffer: file,
  });
  await page.getByTestId("import-submit").click();
  await expect(page).toHaveURL(/\/imports\?id=[0-9a-f]{24}$/);
  const report = page.getByTestId("import-report");
  await expect(report).toHaveAttribute("data-status", "complete", { timeout: 60_000 });
  await expect(page.getByTestId("import-records")).toHaveText("4");
  await expect(page.getByTestId("import-new")).toHaveText("3");
  await expect(page.getByTestId("import-rejected")).toHaveText("1");
  const rejects = page.getByTestId("import-rejects");
  await expect(rejects).toContainText(`vpn-${run}.ndjson line 2`);
  await expect(rejects).toContainText("not JSON");
  await expect(page.getByTestId("imports-table")).toContainText(`vpn-${run}.ndjson`);

  // The same bytes again (under another name) store nothing and name the first import.
  await page.getByLabel("File (NDJSON, JSON, CSV or XML, optionally gzip-compressed)").setInputFiles({
    name: `again-${run}.ndjson`,
    mimeType: "application/x-ndjson",
    buffer: file,
  });
  await page.getByTestId("import-submit").click();
  await expect(page.getByTestId("import-report")).toHaveAttribute("data-status", "already imported", { timeout: 60_000 });

  // The new events, behind the number.
  await page.goto("/imports");
  await page.getByRole("link", { name: `vpn-${run}.ndjson` }).click();
  await page.getByTestId("import-new").getByRole("link").click();
  await expect(page).toHaveURL(/\/events\?from=.+&product=external$/);
  // This run's three events, each linking to its page by its id.
  const rows = page.locator('[data-testid="events-table"] tbody tr', { has: page.locator(`a[href*="${run}-"]`) });
  await expect(rows).toHaveCount(3);
  await expect(page.getByTestId("events-table")).toContainText("login_failed");
});

test("a token is shown once, works on the ingest API, and stops working when revoked", async ({ page, request }) => {
  const name = `e2e-${Date.now()}`;
  await signIn(page);
  await page.goto("/tokens");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Source (empty: the name)").fill("e2e-idp");
  await page.getByTestId("create-token").click();
  const value = page.getByTestId("token-value");
  await expect(value).toHaveText(/^atl_ingest_[0-9a-f]{64}$/);
  const token = await value.innerText();
  const row = page.locator(`tr[data-token="${name}"]`);
  await expect(row.getByTestId("token-state")).toHaveText("active");

  const event = { id: `${name}-1`, occurred_at: new Date().toISOString(), operation: "login" };
  const ok = await request.post("/api/ingest/events", { headers: { Authorization: `Bearer ${token}` }, data: [event] });
  expect(ok.status()).toBe(200);
  expect((await ok.json()).accepted).toBe(1);

  // Shown once: a reload no longer shows it.
  await page.reload();
  await expect(page.getByTestId("token-value")).toHaveCount(0);

  await row.getByTestId("revoke-token").click();
  await expect(row.getByTestId("token-state")).toHaveText(/^revoked by /);
  const refused = await request.post("/api/ingest/events", { headers: { Authorization: `Bearer ${token}` }, data: [event] });
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error).toContain("revoked");
});
