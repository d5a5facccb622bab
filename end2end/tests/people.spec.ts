import { expect, test } from "@playwright/test";
import { signIn } from "./credentials";

test("a person's page shows their accounts, teams and events from several products", async ({ page }) => {
  await signIn(page);
  await expect
    .poll(
      async () => {
        await page.goto("/people?range=90d");
        return page.locator('[data-testid="ranking"] tbody tr').count();
      },
      { timeout: 60_000 },
    )
    .toBeGreaterThan(0);
  // The busiest person works across products.
  const first = page.locator('[data-testid="ranking"] tbody tr a').first();
  const name = await first.innerText();
  await first.click();
  await expect(page.getByTestId("person-name")).toHaveText(name);
  await page.getByLabel("Range").selectOption("90d");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByTestId("person-name")).toHaveText(name);
  const products = await page.locator('[data-testid="person-products"] li .product').allInnerTexts();
  expect(products.length).toBeGreaterThanOrEqual(3);
  const shown = await page.locator('[data-testid="recent-events"] [data-testid="product"]').allInnerTexts();
  expect(new Set(shown).size).toBeGreaterThanOrEqual(3);
  await expect(page.locator('[data-testid="accounts"] tbody tr')).not.toHaveCount(0);
  const work = page.locator('[data-testid="work-items"] tbody tr a');
  expect(await work.count()).toBeGreaterThan(0);
  expect(await work.first().getAttribute("href")).toMatch(/^https?:\/\//);
  await expect(page.locator("#chart-person-time svg rect.hit").first()).toBeAttached();
});

test("the person picker finds people by name, with and without suggestions", async ({ page }) => {
  await signIn(page);
  await page.goto("/people?range=90d");
  const name = await page.locator('[data-testid="ranking"] tbody tr a').first().innerText();
  await page.goto("/events?range=90d");
  await expect(page.locator(".frame")).toHaveAttribute("data-hydrated", "true");
  const field = page.getByLabel("Person");
  await field.pressSequentially(name.slice(0, 5));
  // Suggestions come from the server's decrypted directory while typing.
  await expect(page.locator('#person-options option').first()).toBeAttached();
  const values = await page.locator("#person-options option").evaluateAll((o) =>
    o.map((x) => x.textContent ?? ""),
  );
  expect(values.some((v) => v === name)).toBe(true);
  // The whole name, submitted as typed, is resolved on the server.
  await field.fill(name);
  await page.getByRole("button", { name: "Apply" }).click();
  const actors = await page.locator('[data-testid="events-table"] tbody td:nth-child(4)').allInnerTexts();
  expect(actors.length).toBeGreaterThan(0);
  expect(new Set(actors)).toEqual(new Set([name]));
  await page.goto("/events?person=zzzz-nobody");
  await expect(page.getByRole("alert")).toContainText("no person matches");
});

test("teams rank by activity and by security events, and a team's page lists its members", async ({ page }) => {
  await signIn(page);
  await page.goto("/teams?range=90d");
  const rows = page.locator('[data-testid="ranking"] tbody tr');
  await expect(rows.first()).toBeVisible();
  const events = (await rows.locator("td:nth-child(2)").allInnerTexts()).map(Number);
  expect(events).toEqual([...events].sort((a, b) => b - a));
  await page.getByLabel("Rank by").selectOption("security");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/order=security/);
  const security = (await rows.locator("td:nth-child(3)").allInnerTexts()).map(Number);
  expect(security).toEqual([...security].sort((a, b) => b - a));
  const team = await rows.first().locator("a").innerText();
  await rows.first().locator("a").click();
  await expect(page.getByTestId("team-name")).toHaveText(team);
  await expect(page.locator('[data-testid="ranking"] tbody tr')).not.toHaveCount(0);
});
