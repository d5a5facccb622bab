import { expect, test } from "@playwright/test";
import { signIn } from "./credentials";

/** Opens the 90-day Overview once the start-up sync has filled the rollups. */
async function overviewWithData(page: import("@playwright/test").Page): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.goto("/overview?range=90d");
        return Number(await page.getByTestId("kpi-value").first().innerText());
      },
      { timeout: 60_000 },
    )
    .toBeGreaterThan(0);
}

test("the Overview counts synced events from the rollups and opens the matching events", async ({ page }) => {
  await signIn(page);
  await overviewWithData(page);
  const events = Number(await page.getByTestId("kpi-value").nth(0).innerText());
  const security = Number(await page.getByTestId("kpi-value").nth(1).innerText());
  expect(security).toBeGreaterThan(0);
  expect(security).toBeLessThanOrEqual(events);
  await page.getByTestId("kpi").nth(1).click();
  await expect(page).toHaveURL(/\/events\?from=[^&]+&to=[^&]+&category=security$/);
  await expect(page.getByLabel("Category")).toHaveValue("security");
  await expect(page.getByTestId("total-count")).toHaveText(`${security.toLocaleString("en-US")} events`);
});

test("each chart is an accessible SVG with data, and a bar opens exactly its events", async ({ page }) => {
  await signIn(page);
  await overviewWithData(page);
  for (const id of ["chart-time", "chart-people", "chart-operations", "chart-severity", "chart-heatmap"]) {
    const svg = page.locator(`#${id} svg`);
    await expect(svg).toHaveAttribute("role", "img");
    await expect(svg.locator("title").first()).not.toBeEmpty();
    await expect(svg.locator("desc")).not.toBeEmpty();
    const values = await svg.locator("rect.hit").evaluateAll((rects) =>
      rects.map((r) => Number(r.getAttribute("data-value"))),
    );
    expect(values.length, id).toBeGreaterThan(0);
    expect(values.some((v) => v > 0), id).toBe(true);
  }

  // The tallest bar segment of the time chart outside the latest bucket (still filling as the
  // sync goes on): its events are settled, and it is large and clickable at any time of day.
  const segments = page.locator("#chart-time svg a");
  const bars = await segments.evaluateAll((links) =>
    links.map((a) => ({
      to: new URLSearchParams(a.getAttribute("href")!.split("?")[1]).get("to")!,
      value: Number(a.querySelector("rect")!.getAttribute("data-value")),
    })),
  );
  const latest = bars.map((b) => b.to).sort().at(-1);
  const settled = bars.map((b, i) => ({ ...b, i })).filter((b) => b.to !== latest);
  expect(settled.length).toBeGreaterThan(0);
  const tallest = settled.reduce((a, b) => (b.value > a.value ? b : a));
  const segment = segments.nth(tallest.i);
  const value = tallest.value;
  const href = (await segment.getAttribute("href"))!;
  const product = new URLSearchParams(href.split("?")[1]).get("product")!;
  await segment.locator("rect").click();
  await expect(page).toHaveURL(/\/events\?from=.+&to=.+&product=/);
  await expect(page.getByLabel("Product")).toHaveValue(product);
  await expect(page.getByTestId("total-count")).toHaveText(
    `${value.toLocaleString("en-US")} ${value === 1 ? "event" : "events"}`,
  );
  const shown = await page.locator('[data-testid="events-table"] tbody td:nth-child(2)').allInnerTexts();
  expect(new Set(shown)).toEqual(new Set([product]));
});

test("a top person's bar narrows Events to that person, shown by name", async ({ page }) => {
  await signIn(page);
  await overviewWithData(page);
  const bar = page.locator("#chart-people svg a").first();
  const label = (await bar.getAttribute("aria-label"))!;
  const name = label.slice(0, label.lastIndexOf(":"));
  await bar.locator("rect").click();
  await expect(page).toHaveURL(/[?&]person=person%3A/);
  const actors = await page.locator('[data-testid="events-table"] tbody td:nth-child(4)').allInnerTexts();
  expect(actors.length).toBeGreaterThan(0);
  expect(new Set(actors)).toEqual(new Set([name]));
});

test("the heatmap follows the chosen time zone and the time chart can stack by category", async ({ page }) => {
  await signIn(page);
  await overviewWithData(page);
  await page.getByLabel("Time zone").selectOption("Asia/Tokyo");
  await page.getByLabel("Stack by").selectOption("category");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/[?&]tz=Asia%2FTokyo/);
  await expect(page.locator("#chart-heatmap figcaption")).toHaveText("Hour × weekday (Asia/Tokyo)");
  const series = await page.locator("#chart-time svg a").evaluateAll((links) =>
    links.map((a) => new URLSearchParams(a.getAttribute("href")!.split("?")[1]).get("category")),
  );
  expect(new Set(series)).toEqual(new Set(["content", "security"]));
  await page.goto("/overview?range=7d&tz=Mars/Olympus");
  await expect(page.getByRole("alert")).toContainText("not a known time zone");
});
