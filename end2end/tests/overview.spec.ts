import { expect, test } from "@playwright/test";
import { signIn } from "./credentials";

test("the Overview counts synced events from the rollups and opens the matching events", async ({ page }) => {
  await signIn(page);
  await expect
    .poll(
      async () => {
        await page.goto("/overview?days=90");
        return Number(await page.getByTestId("kpi-value").first().innerText());
      },
      { timeout: 60_000 },
    )
    .toBeGreaterThan(0);
  const events = Number(await page.getByTestId("kpi-value").nth(0).innerText());
  const security = Number(await page.getByTestId("kpi-value").nth(1).innerText());
  expect(security).toBeGreaterThan(0);
  expect(security).toBeLessThanOrEqual(events);
  await page.getByTestId("kpi").nth(1).click();
  await expect(page).toHaveURL(/\/events\?range=90d&category=security$/);
  await expect(page.getByLabel("Category")).toHaveValue("security");
});
