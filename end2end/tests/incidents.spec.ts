import { expect, Page, test } from "@playwright/test";
import { createHash } from "node:crypto";
import { signIn, USERNAME, PASSWORD } from "./credentials";

test.describe.configure({ timeout: 180_000 });

/** Waits until the first rules pass has correlated the demo's alerts into incidents. */
async function incidentsArrived(page: Page): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.goto("/incidents?state=triggered");
        return page.getByTestId("incidents-table").count();
      },
      { timeout: 90_000, intervals: [1_000, 2_000, 5_000] },
    )
    .toBe(1);
}

/** Opens a triggered incident that two different rules' alerts for one person made. */
async function openTwoRuleIncident(page: Page): Promise<string> {
  await page.goto("/incidents?state=triggered");
  const row = page.locator('tr[data-state="triggered"]', { hasText: ", then " }).first();
  await expect(row).toBeVisible();
  const title = await row.getByTestId("incident-title").innerText();
  await row.getByTestId("incident-title").click();
  await expect(page.getByTestId("incident-heading")).toHaveText(title);
  await expect(page.getByTestId("incident-state")).toHaveText("triggered");
  // One person, two rules: the alerts behind it come from more than one rule.
  await expect(page.getByTestId("incident-people").locator("li")).toHaveCount(1);
  const rules = await page
    .locator('[data-testid="incident-alerts"] tbody td:nth-child(3)')
    .allInnerTexts();
  expect(new Set(rules).size).toBeGreaterThanOrEqual(2);
  return page.url();
}

test("two built-in rules firing for one person make one incident, triaged through every state into evidence", async ({ page }) => {
  await signIn(page);
  await incidentsArrived(page);
  await page.goto("/overview");
  const open = Number(await page.getByTestId("kpi-incidents-value").innerText());
  expect(open).toBeGreaterThan(0);
  await page.getByTestId("kpi-incidents").click();
  await expect(page).toHaveURL(/\/incidents\?state=triggered,open,investigating$/);

  const url = await openTwoRuleIncident(page);
  // What else the person did around it: the Events page for that person and those hours.
  const around = await page.getByTestId("incident-people").getByTestId("around-link").getAttribute("href");
  expect(around).toMatch(/^\/events\?from=.+&to=.+&person=person%3A/);

  await page.getByRole("button", { name: "Acknowledge" }).click();
  await expect(page.getByTestId("incident-state")).toHaveText("open");
  await page.getByLabel("Assign to").selectOption(USERNAME);
  await page.getByRole("button", { name: "Assign", exact: true }).click();
  await expect(page.getByTestId("incident-state")).toHaveText("investigating");
  await expect(page.getByTestId("incident-assignee")).toHaveText(USERNAME);
  await page.getByLabel("Note (Markdown)", { exact: true }).fill("Asked **the site owner**; <b>raw</b> stays text");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.locator('[data-testid="timeline"] li[data-kind="note"] strong', { hasText: "the site owner" })).toBeVisible();
  await expect(page.locator('[data-testid="timeline"] li[data-kind="note"]')).toContainText("<b>raw</b>");
  await page.getByLabel("Classification").selectOption("benign_true_positive");
  await page.getByLabel("Resolution note (Markdown)").fill("Planned access review; grants confirmed by the owner");
  await page.getByRole("button", { name: "Resolve" }).click();
  await expect(page.getByTestId("incident-state")).toHaveText("resolved");
  await expect(page.getByTestId("incident-resolution")).toContainText("benign true positive");
  await page.getByRole("button", { name: "Close for good" }).click();
  await expect(page.getByTestId("incident-state")).toHaveText("closed");

  // Closed is final: no form is offered, after a reload too.
  await page.goto(url);
  await expect(page.getByTestId("incident-final")).toBeVisible();
  await expect(page.getByTestId("incident-moves")).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^(Acknowledge|Assign|Resolve|Close for good|Add note|Link)$/ })).toHaveCount(0);
  await expect(page.locator("textarea")).toHaveCount(0);

  // The timeline lists each step with who made it.
  for (const kind of ["acknowledged", "assigned", "note", "resolved", "closed"]) {
    const entry = page.locator(`[data-testid="timeline"] li[data-kind="${kind}"]`);
    await expect(entry).toHaveCount(1);
    await expect(entry.locator(".actor")).toHaveText(USERNAME);
  }
  await expect(page.locator('[data-testid="timeline"] li[data-kind="alert_attached"]')).toHaveCount(
    await page.locator('[data-testid="incident-alerts"] tbody tr').count(),
  );

  // The evidence file's SHA-256 is the one its manifest states.
  for (const testid of ["export-json", "export-html"]) {
    const href = (await page.getByTestId(testid).getAttribute("href"))!;
    const file = await page.request.get(href);
    expect(file.ok()).toBe(true);
    const body = await file.body();
    const link = file.headers()["link"];
    const manifestUrl = link.slice(1, link.indexOf(">"));
    const manifest = await (await page.request.get(manifestUrl)).json();
    expect(manifest.sha256).toBe(createHash("sha256").update(body).digest("hex"));
    expect(manifest.bytes).toBe(body.length);
    expect(manifest.state).toBe("closed");
  }
  const evidence = await (await page.request.get((await page.getByTestId("export-json").getAttribute("href"))!)).json();
  const steps = evidence.timeline.filter((e: { by: string }) => e.by === USERNAME).map((e: { kind: string }) => e.kind);
  expect(steps).toEqual(["acknowledged", "assigned", "note", "resolved", "closed"]);
  // The page's own manifest link names the revision it shows: the same file.
  const pageManifest = await (await page.request.get((await page.getByTestId("export-manifest").getAttribute("href"))!)).json();
  const jsonFile = await page.request.get((await page.getByTestId("export-json").getAttribute("href"))!);
  expect(pageManifest.sha256).toBe(createHash("sha256").update(await jsonFile.body()).digest("hex"));

  // The list counts it as closed and filters by assignee in the URL.
  const id = url.slice(url.lastIndexOf("/") + 1);
  await page.goto(`/incidents?assignee=${encodeURIComponent(USERNAME)}`);
  await expect(page.locator(`tr[data-incident="${id}"]`).getByTestId("incident-state")).toHaveText("closed");
  await expect(page.getByTestId("mttr")).toContainText("(over ");
  await expect(page.getByTestId("mtta")).toContainText("(over ");
  await page.goto(`/incidents?state=triggered`);
  await expect(page.locator(`tr[data-incident="${id}"]`)).toHaveCount(0);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("an incident is acknowledged, assigned and resolved with plain forms", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Username").fill(USERNAME);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/events$/);
    await incidentsArrived(page);
    const url = await openTwoRuleIncident(page);

    await page.getByRole("button", { name: "Acknowledge" }).click();
    // Back on the incident the form was sent from.
    await expect(page).toHaveURL(new RegExp(`^${url}\\??$`));
    await expect(page.getByTestId("incident-state")).toHaveText("open");
    await page.getByLabel("Assign to").selectOption(USERNAME);
    await page.getByRole("button", { name: "Assign", exact: true }).click();
    await expect(page.getByTestId("incident-state")).toHaveText("investigating");
    await page.getByLabel("Classification").selectOption("false_positive");
    await page.getByLabel("Resolution note (Markdown)").fill("The grant was reverted within a minute");
    await page.getByRole("button", { name: "Resolve" }).click();
    await expect(page.getByTestId("incident-state")).toHaveText("resolved");
    await expect(page.locator('[data-testid="timeline"] li[data-kind="resolved"] .actor')).toHaveText(USERNAME);
  });
});
