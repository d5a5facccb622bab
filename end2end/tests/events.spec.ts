import { expect, Page, test } from "@playwright/test";
import { PASSWORD, USERNAME, signIn } from "./credentials";

/** Waits until the start-up sync of the simulator has stored events. */
async function eventsArrived(page: Page): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.goto("/events");
        return page.getByTestId("events-table").count();
      },
      { timeout: 60_000 },
    )
    .toBe(1);
}

async function productsShown(page: Page): Promise<string[]> {
  return page.locator('[data-testid="events-table"] tbody td:nth-child(2)').allInnerTexts();
}

test("filters live in the URL: applied, kept by a reload, and shareable", async ({ page }) => {
  await signIn(page);
  await eventsArrived(page);
  await page.getByLabel("Product").selectOption("org");
  await page.getByLabel("Range").selectOption("30d");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/[?&]product=org(&|$)/);
  await expect(page).toHaveURL(/[?&]range=30d(&|$)/);
  const shown = await productsShown(page);
  expect(shown.length).toBeGreaterThan(0);
  expect(new Set(shown)).toEqual(new Set(["org"]));

  await page.reload();
  await expect(page.getByLabel("Product")).toHaveValue("org");
  await expect(page.getByLabel("Range")).toHaveValue("30d");
  expect(new Set(await productsShown(page))).toEqual(new Set(["org"]));

  // "Share" freezes the relative range into absolute times.
  const share = await page.getByTestId("share-link").getAttribute("href");
  expect(share).toMatch(/from=\d{4}-\d\d-\d\dT/);
  expect(share).not.toContain("range=");
  await page.goto(share!);
  expect(new Set(await productsShown(page))).toEqual(new Set(["org"]));
});

test("an event's page shows every normalised field and the raw payload", async ({ page }) => {
  await signIn(page);
  await eventsArrived(page);
  const link = page.locator('[data-testid="events-table"] tbody tr').first().locator("td.time a");
  const href = await link.getAttribute("href");
  await link.click();
  await expect(page.getByTestId("event-fields")).toContainText("Deployment");
  await expect(page.getByTestId("event-fields")).toContainText("sim");
  const raw = await page.getByTestId("event-raw").innerText();
  expect(typeof JSON.parse(raw)).toBe("object");
  // The same page rendered on the server for a direct visit.
  await page.goto(href!);
  await expect(page.getByTestId("event-raw")).toHaveText(raw);
});

test("a bad filter value is explained, not ignored", async ({ page }) => {
  await signIn(page);
  await page.goto("/events?ip=10.0.0.300");
  await expect(page.getByRole("alert")).toContainText("10.0.0.300");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the filter form works", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Username").fill(USERNAME);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/events$/);
    await page.getByLabel("Product").selectOption("jira");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page).toHaveURL(/[?&]product=jira(&|$)/);
    const shown = await productsShown(page);
    expect(shown.length).toBeGreaterThan(0);
    expect(new Set(shown)).toEqual(new Set(["jira"]));
  });
});
