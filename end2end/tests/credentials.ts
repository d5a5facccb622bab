import { expect, Page } from "@playwright/test";

/** The administrator scripts/e2e.sh seeded for this run. */
export const USERNAME = required("E2E_USERNAME");
export const PASSWORD = required("E2E_PASSWORD");

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run the suite through scripts/e2e.sh`);
  return value;
}

/** Signs in through the form, as a person would, and waits for the Events page. */
export async function signIn(page: Page): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Username").fill(USERNAME);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/events$/);
  await expect(page.getByRole("heading", { name: "Events", level: 1 })).toBeVisible();
}
