import { APIRequestContext, expect, Page, test } from "@playwright/test";
import { signIn } from "./credentials";

// scripts/e2e.sh runs `atlaslens simulate` and points AtlasLens at it (deployment `sim`).
const SIM_URL = process.env.SIM_URL ?? "";
const STREAM = "sim/jira/audit";

async function setFaults(request: APIRequestContext, faults: object): Promise<void> {
  expect(SIM_URL, "SIM_URL is set by scripts/e2e.sh").not.toBe("");
  const response = await request.post(`${SIM_URL}/_sim/faults`, { data: faults });
  expect(response.ok()).toBe(true);
}

function row(page: Page, stream: string) {
  return page.locator(`tr[data-stream="${stream}"]`);
}

/** Waits until the start-up syncs the scheduler queued are over, so a click starts a new run. */
async function waitUntilIdle(page: Page, stream: string): Promise<void> {
  await expect(row(page, stream).getByTestId("sync-state")).toHaveText(/idle|failing/, { timeout: 60_000 });
}

test.describe.configure({ timeout: 120_000 });

test("Sync now creates a run that completes and updates the counters", async ({ page, request }) => {
  await setFaults(request, {});
  await signIn(page);
  await page.getByRole("link", { name: "Sync" }).click();
  await expect(page.getByRole("heading", { name: "Sync", level: 1 })).toBeVisible();
  await waitUntilIdle(page, STREAM);
  // Bitbucket's audit log needs Atlassian Guard: listed, with the reason, and no button.
  const bitbucketAudit = row(page, "sim/bitbucket/audit");
  await expect(bitbucketAudit.getByTestId("sync-state")).toHaveText("unavailable");
  await expect(bitbucketAudit).toContainText("Guard");
  await expect(bitbucketAudit.getByRole("button")).toHaveCount(0);

  const lastRun = row(page, STREAM).getByTestId("last-run");
  const total = row(page, STREAM).getByTestId("total-events");
  await expect(total).not.toHaveText("0");
  const before = await row(page, STREAM).locator("td").nth(1).innerText();
  await row(page, STREAM).getByRole("button", { name: `Sync ${STREAM} now` }).click();
  // The page follows the run by itself: queued or running, then idle with a new last run.
  await waitUntilIdle(page, STREAM);
  await expect(row(page, STREAM).getByTestId("sync-state")).toHaveText("idle");
  await expect(lastRun).toContainText(/\d+ records, \d+ new/);
  await expect(row(page, STREAM).locator("td").nth(1)).not.toHaveText(before);
});

test("a failed job retried from the Jobs page ends done", async ({ page, request }) => {
  await signIn(page);
  await page.goto("/sync");
  await waitUntilIdle(page, STREAM);

  // The source starts refusing the token: the run fails at once (credentials are not retried).
  await setFaults(request, { reject_credentials: true });
  await row(page, STREAM).getByRole("button", { name: `Sync ${STREAM} now` }).click();
  await expect(row(page, STREAM).getByTestId("sync-state")).toHaveText("failing", { timeout: 60_000 });
  await expect(row(page, STREAM)).toContainText("401");

  // The token is fixed; an operator retries the failed job.
  await setFaults(request, {});
  await page.goto(`/jobs?status=failed&stream=${encodeURIComponent(STREAM)}`);
  const failed = page.locator('tr[data-status="failed"]').first();
  await expect(failed).toContainText("401");
  const jobId = await failed.getAttribute("data-job");
  await failed.getByRole("button", { name: "Retry" }).click();

  await page.goto(`/jobs/${jobId}`);
  await expect(page.getByTestId("job-status")).toHaveText("done", { timeout: 60_000 });
  // Its page keeps every attempt: the refused one with its error, then the successful one.
  const attempts = page.getByTestId("attempts").locator("li");
  await expect(attempts).toHaveCount(2);
  await expect(attempts.first()).toContainText("401");

  await page.goto("/sync");
  await expect(row(page, STREAM).getByTestId("sync-state")).toHaveText("idle");
});
