import { createHash } from "crypto";
import { readFileSync } from "fs";
import { expect, Page, test } from "@playwright/test";
import { PASSWORD, USERNAME, signIn } from "./credentials";

test.describe.configure({ timeout: 120_000 });

/** A UTC day `offset` days from today, as the Events filter takes it. */
function day(offset: number): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + offset);
  return d.toISOString().slice(0, 10);
}

/**
 * A filter over a window that has closed (two days ago to yesterday, UTC), so neither new
 * simulator activity nor a sync's overlap can change its events while the test counts them.
 */
const FILTERED = `/events?product=jira&from=${day(-3)}&to=${day(-1)}`;

/** Waits until no sync is queued or running, so the window's events are all stored. */
async function syncsSettled(page: Page): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.goto("/sync");
        const states = await page.getByTestId("sync-state").allInnerTexts();
        return states.length > 0 && states.every((s) => !/queued|running/.test(s));
      },
      { timeout: 90_000, intervals: [1_000] },
    )
    .toBe(true);
}

/** The exact number in `[data-testid="total-count"]` ("1,234 events" → 1234). */
async function totalCount(page: Page): Promise<number> {
  const text = await page.getByTestId("total-count").innerText();
  const digits = text.replace(/[^0-9]/g, "");
  expect(digits, `a count in "${text}"`).not.toBe("");
  return Number(digits);
}

/** CSV records after the header; quoted cells may hold line breaks (RFC 4180). */
function csvRows(text: string): number {
  let quoted = false;
  let records = 0;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (c === "\n" && !quoted) records += 1;
  }
  return records - 1;
}

test("Export CSV downloads every event the filter matches, and the Exports page lists it with its manifest", async ({
  page,
}) => {
  await signIn(page);
  await syncsSettled(page);
  await page.goto(FILTERED);
  await expect(page.getByTestId("events-table")).toBeVisible();
  const total = await totalCount(page);
  expect(total).toBeGreaterThan(0);

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("export-csv").click(),
  ]);
  const name = download.suggestedFilename();
  expect(name).toMatch(/^atlaslens-events-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv$/);
  expect(name).toContain(`${day(-3).replace(/-/g, "")}T000000Z`);
  const path = await download.path();
  const bytes = readFileSync(path!);
  const text = bytes.toString("utf8");
  expect(text.split("\r\n")[0]).toContain("occurred_at,event_id");
  expect(csvRows(text)).toBe(total);

  // The Exports page lists it: complete, the same rows, and a manifest that matches the bytes.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Exports" }).click();
  await expect(page.getByRole("heading", { name: "Exports", level: 1 })).toBeVisible();
  const row = page.locator(`tr[data-file="${name}"]`).first();
  await expect(row).toHaveAttribute("data-status", "complete");
  await expect(row.getByTestId("export-rows")).toHaveText(String(total));
  const sha = createHash("sha256").update(bytes).digest("hex");
  await expect(row.getByTestId("export-sha256")).toHaveAttribute("title", sha);
  const href = await row.getByTestId("manifest-link").getAttribute("href");
  const manifest = await (await page.request.get(href!)).json();
  expect(manifest.rows).toBe(total);
  expect(manifest.sha256).toBe(sha);
  expect(manifest.file_name).toBe(name);
  expect(manifest.generated_by).toBe(USERNAME);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the export links are plain downloads", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Username").fill(USERNAME);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/events$/);
    await page.goto(FILTERED);
    await expect(page.getByTestId("events-table")).toBeVisible();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByTestId("export-ndjson").click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.ndjson$/);
    const lines = readFileSync((await download.path())!, "utf8").trim().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(JSON.parse(line).product).toBe("jira");
    }
  });
});
