import { APIRequestContext, expect, Page, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { signIn } from "./credentials";

// scripts/e2e.sh runs `atlaslens simulate` (SIM_URL) and stand-ins for Slack, Jira and a signed
// webhook (their URLs in RECEIVERS_FILE), and lets AtlasLens send to loopback addresses.
const SIM_URL = process.env.SIM_URL ?? "";

interface Receivers {
  slack: string;
  jira: string;
  jira_email: string;
  jira_token: string;
  webhook: string;
  webhook_secret: string;
  report: string;
}

function receivers(): Receivers {
  const file = process.env.RECEIVERS_FILE;
  expect(file, "RECEIVERS_FILE is set by scripts/e2e.sh").toBeTruthy();
  return JSON.parse(readFileSync(file!, "utf8")) as Receivers;
}

interface Report {
  slack: unknown[];
  jira: { created: string[]; requests: unknown[] };
  webhook: { id: string; verified: boolean; body: unknown }[];
}

async function report(request: APIRequestContext): Promise<Report> {
  const response = await request.get(receivers().report);
  expect(response.ok()).toBe(true);
  return (await response.json()) as Report;
}

function count(text: string): number {
  return Number(text.replace(/[^0-9]/g, ""));
}

/** Waits until the start-up sync has stored events and the first rules pass has recorded alerts. */
async function alertsArrived(page: Page): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.goto("/alerts?range=30d");
        return page.getByTestId("alerts-table").count();
      },
      { timeout: 90_000, intervals: [1_000, 2_000, 5_000] },
    )
    .toBe(1);
}

/** The ids of every impersonation alert of the last day. */
async function impersonationAlerts(page: Page): Promise<string[]> {
  await page.goto("/alerts?rule=user-impersonation&range=24h");
  return page
    .locator('tr[data-rule="user-impersonation"]')
    .evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-alert") ?? ""));
}

test.describe.configure({ timeout: 180_000 });

test("a built-in rule fires on the demo data, and its alert leads to its events and can be acknowledged", async ({ page }) => {
  await signIn(page);
  await alertsArrived(page);
  // The demo data has administrator grants every day: the built-in rule catches them.
  const granted = page.locator('tr[data-rule="admin-granted"][data-status="open"]').first();
  await expect(granted).toBeVisible();
  const events = count(await granted.locator("td.number a").innerText());
  expect(events).toBeGreaterThan(0);
  await granted.getByRole("link", { name: "Administrator rights granted" }).click();

  await expect(page.getByRole("heading", { name: "Administrator rights granted", level: 1 })).toBeVisible();
  await expect(page.getByTestId("alert-why")).not.toBeEmpty();
  await expect(page.getByTestId("alert-status")).toHaveText("open");
  const alertUrl = page.url();
  // The number links to the events behind it: exactly as many.
  await page.getByTestId("alert-events-link").click();
  await expect(page.getByTestId("total-count")).toHaveText(new RegExp(`^${events} events?$`));
  await expect(page.locator('[data-testid="events-table"] tbody td:nth-child(3)').first()).toContainText("admin_granted");

  await page.goto(alertUrl);
  await page.getByRole("button", { name: "Acknowledge" }).click();
  await expect(page.getByTestId("alert-status")).toHaveText("acknowledged");
  await page.reload();
  await expect(page.getByTestId("alert-status")).toHaveText("acknowledged");
  await expect(page.getByRole("button", { name: "Acknowledge" })).toHaveCount(0);
});

test("Alert on this turns an Events view into a rule whose preview counts the same events", async ({ page }) => {
  await signIn(page);
  await alertsArrived(page);
  await page.goto("/events?operation=permission_changed&range=7d");
  const total = count(await page.getByTestId("total-count").innerText());
  expect(total).toBeGreaterThan(0);

  await page.getByTestId("alert-on-this").click();
  await expect(page).toHaveURL(/\/rules\/new\?filter=/);
  await expect(page.getByTestId("rule-filter")).toHaveValue("operation=permission_changed");
  await page.getByLabel("Name").fill("Permission changes (e2e)");
  await page.getByTestId("preview-7").click();
  await expect(page.getByTestId("preview")).toBeVisible({ timeout: 30_000 });
  // The same evaluator over the same stored events: the count the Events page gave.
  await expect(page.getByTestId("preview-events")).toHaveText(`${total} matching events`);
  const fired = count(await page.getByTestId("preview-alerts").innerText());
  expect(fired).toBeGreaterThan(0);
  expect(fired).toBeLessThanOrEqual(total);
  // A match rule firing on ~27 changes a day is more than one alert an hour: flagged as noise.
  await expect(page.getByTestId("noise-warning")).toBeVisible();
  // The preview's own link shows those events.
  const previewUrl = page.url();
  await page.getByTestId("preview-events").click();
  await expect(page.getByTestId("total-count")).toHaveText(new RegExp(`^${total} events?$`));

  await page.goto(previewUrl);
  await expect(page.getByLabel("Name")).toHaveValue("Permission changes (e2e)");
  await page.getByTestId("save-rule").click();
  await expect(page).toHaveURL(/\/rules$/);
  const row = page.locator("tr", { hasText: "Permission changes (e2e)" });
  await expect(row.getByTestId("rule-state")).toHaveText("on");
  await expect(row).toContainText("operation=permission_changed");
});

test("a sync that brings an impersonation reaches Slack, a signed webhook and Jira", async ({ page, request }) => {
  const r = receivers();
  await signIn(page);
  await alertsArrived(page);

  // Three destinations, each taking every alert of high severity or above.
  await page.goto("/destinations");
  const add = async (fill: () => Promise<void>) => {
    await fill();
    await page.getByLabel("Also every alert at or above").selectOption("high");
    await page.getByTestId("add-destination").click();
    await expect(page.getByTestId("destination-error")).toHaveCount(0);
    await expect(page).toHaveURL(/\/destinations\/.+/);
    await page.goto("/destinations");
  };
  await add(async () => {
    await page.getByLabel("Name").fill("Security channel");
    await page.getByLabel("Kind").selectOption("slack");
    await page.getByLabel("URL").fill(r.slack);
  });
  await add(async () => {
    await page.getByLabel("Name").fill("SIEM webhook");
    await page.getByLabel("Kind").selectOption("webhook");
    await page.getByLabel("URL").fill(r.webhook);
    await page.getByLabel("Secret").fill(r.webhook_secret);
  });
  await add(async () => {
    await page.getByLabel("Name").fill("Security Jira");
    await page.getByLabel("Kind").selectOption("jira");
    await page.getByLabel("URL").fill(r.jira);
    await page.getByLabel("Secret").fill(r.jira_token);
    await page.getByLabel("Project").fill("SEC");
    await page.getByLabel("Issue type").fill("Task");
    await page.getByLabel("E-mail").fill(r.jira_email);
  });
  await expect(page.getByTestId("destinations-table").locator("tbody tr")).toHaveCount(3);

  // Someone signs in as another user at Atlassian; the next sync of the organization log brings it.
  const before = await impersonationAlerts(page);
  const added = await request.post(`${SIM_URL}/_sim/scenario/impersonation`);
  expect(added.ok()).toBe(true);
  const situation = await added.json();
  const stream: string = `sim/${situation.records[0].product}/${situation.records[0].pipeline}`;
  const actor: string = situation.people[0].name;
  await page.goto("/sync");
  const row = page.locator(`tr[data-stream="${stream}"]`);
  await expect(row.getByTestId("sync-state")).toHaveText(/idle|failing/, { timeout: 60_000 });
  await row.getByRole("button", { name: `Sync ${stream} now` }).click();

  let alertId = "";
  await expect
    .poll(
      async () => {
        const now = await impersonationAlerts(page);
        alertId = now.find((id) => !before.includes(id)) ?? "";
        return alertId;
      },
      { timeout: 90_000, intervals: [2_000] },
    )
    .not.toBe("");
  await page.goto(`/alerts/${encodeURIComponent(alertId)}`);
  await expect(page.locator("main")).toContainText(actor);

  // Every destination got it: a Slack message naming the rule, a webhook whose signature the
  // receiver verified with the shared secret, and a Jira issue whose key the alert now shows.
  await expect
    .poll(async () => JSON.stringify((await report(request)).slack), { timeout: 60_000 })
    .toContain("Administrator signed in as another user");
  await expect
    .poll(
      async () =>
        (await report(request)).webhook.filter((d) => JSON.stringify(d.body).includes(alertId)).map((d) => d.verified),
      { timeout: 60_000 },
    )
    .toContain(true);
  const hooks = (await report(request)).webhook.filter((d) => JSON.stringify(d.body).includes(alertId));
  expect(hooks.every((d) => d.verified)).toBe(true);
  // Retries of one delivery reuse its id; this alert was delivered once.
  expect(new Set(hooks.map((d) => d.id)).size).toBe(1);
  await expect.poll(async () => (await report(request)).jira.created.length, { timeout: 60_000 }).toBeGreaterThan(0);

  await page.goto(`/alerts/${encodeURIComponent(alertId)}`);
  await expect(page.getByTestId("delivery-status")).toHaveText(["delivered", "delivered", "delivered"], { timeout: 60_000 });
  await page.reload();
  await expect(page.getByTestId("jira-issue")).toHaveText(/^SEC-\d+$/);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("rules are snoozed and switched back, and alerts acknowledged and closed", async ({ page }) => {
    await signIn(page);
    await alertsArrived(page);

    await page.goto("/rules");
    const rule = page.locator('tr[data-rule="mass-export"]');
    await expect(rule.getByTestId("rule-state")).toHaveText("on");
    await rule.getByLabel("Snooze for").selectOption("24");
    await rule.getByRole("button", { name: "Snooze" }).click();
    // Back on the list the form was sent from.
    await expect(page).toHaveURL(/\/rules\??$/);
    await expect(rule.getByTestId("rule-state")).toHaveText("snoozed");
    await expect(rule).toContainText("until");
    await rule.getByRole("button", { name: "Unsnooze" }).click();
    await expect(rule.getByTestId("rule-state")).toHaveText("on");
    await rule.getByRole("button", { name: "Switch off" }).click();
    await expect(rule.getByTestId("rule-state")).toHaveText("off");
    await rule.getByRole("button", { name: "Switch on" }).click();
    await expect(rule.getByTestId("rule-state")).toHaveText("on");

    // Tick two open alerts and acknowledge them together, then close one from its page.
    await page.goto("/alerts?status=open&range=30d");
    const open = page.locator('[data-testid="alerts-table"] tbody tr[data-status="open"]');
    const ids = await open.evaluateAll((trs) => trs.slice(0, 2).map((tr) => tr.getAttribute("data-alert")!));
    expect(ids.length).toBe(2);
    for (const id of ids) await page.locator(`tr[data-alert="${id}"] input[type="checkbox"]`).check();
    await page.getByRole("button", { name: "Acknowledge ticked" }).click();
    for (const id of ids) {
      await page.goto(`/alerts/${encodeURIComponent(id)}`);
      await expect(page.getByTestId("alert-status")).toHaveText("acknowledged");
    }
    await page.getByRole("button", { name: "Close" }).click();
    await page.goto(`/alerts/${encodeURIComponent(ids[1])}`);
    await expect(page.getByTestId("alert-status")).toHaveText("closed");
    await expect(page.getByRole("button", { name: "Close" })).toHaveCount(0);
  });

  test("a rule is previewed and saved from the form", async ({ page }) => {
    await signIn(page);
    await page.goto("/rules/new?filter=operation%3Dcontent_exported");
    await page.getByLabel("Name").fill("Exports, previewed without JavaScript");
    await page.getByTestId("preview-30").click();
    await expect(page.getByTestId("preview")).toContainText("Preview over the last 30 days");
    await expect(page.getByTestId("preview-events")).toHaveText(/^\d+ matching events$/);
    await expect(page.getByLabel("Name")).toHaveValue("Exports, previewed without JavaScript");
    await page.getByTestId("save-rule").click();
    await expect(page).toHaveURL(/\/rules$/);
    await expect(page.locator("tr", { hasText: "Exports, previewed without JavaScript" }).getByTestId("rule-state")).toHaveText("on");
  });
});

test("bad rule and destination settings are explained and nothing is saved", async ({ page }) => {
  await signIn(page);
  await page.goto("/rules/new?filter=ip%3D10.0.0.300");
  await page.getByLabel("Name").fill("Bad address");
  await page.getByTestId("preview-7").click();
  await expect(page.getByTestId("rule-error").first()).toContainText("10.0.0.300");
  await expect(page.getByTestId("preview")).toHaveCount(0);

  await page.goto("/destinations");
  const before = await page.getByTestId("destinations-table").locator("tbody tr").count();
  await page.getByLabel("Name").fill("Not a web address");
  await page.getByLabel("Kind").selectOption("slack");
  await page.getByLabel("URL").fill("ftp://files.example.com/hook");
  await page.getByTestId("add-destination").click();
  await expect(page.getByTestId("destination-error")).toContainText(/http/i);
  await page.goto("/destinations");
  await expect(page.getByTestId("destinations-table").locator("tbody tr")).toHaveCount(before);
});
