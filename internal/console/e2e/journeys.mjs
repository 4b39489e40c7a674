// The console's browser journeys: Playwright's core driving the system's chromium against a running
// `qualify serve --dev`. Run by internal/console/browser_test.go, which starts the server and sets:
//   BASE_URL, REVOPS_TOKEN, ANALYST_TOKEN, ADMIN_TOKEN (the second pair of eyes), CHROMIUM (executable), ARTIFACTS (failure screenshots),
//   SCREENSHOTS (optional: where to write the README's screenshots), JOURNEYS (optional: which to run).
import { chromium } from "playwright-core";
import { readFile, mkdir } from "node:fs/promises";
import path from "node:path";

const env = process.env;
const base = env.BASE_URL;
const artifacts = env.ARTIFACTS ?? "artifacts";

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

// expect is a check that lets the journey go on, so that one run reports every screen that lacks
// something; the journey fails at its end (see run below).
let expected = [];
function expect(ok, what) {
  if (!ok) expected.push(what);
}

async function signIn(page, token) {
  await page.goto(`${base}/console/`);
  await page.getByLabel("Bearer token or API key").fill(token);
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

async function shot(locator, name) {
  if (!env.SCREENSHOTS) return;
  await mkdir(env.SCREENSHOTS, { recursive: true });
  await locator.screenshot({ path: path.join(env.SCREENSHOTS, name), animations: "disabled" });
}

// revops: edit a knob into an invalid value and see the located error, fix it, simulate, publish,
// see it live, roll back.
async function revops(page) {
  await signIn(page, env.REVOPS_TOKEN);
  const active = page.getByTestId("active-revision");
  await active.waitFor();
  const before = await active.textContent();
  // By hash: two revisions may carry the same manifest revision.
  const beforeHash = await page.getByTestId("active-hash").getAttribute("data-hash");
  // What each replica serves (one here: this server), from the heartbeats.
  const self = page.getByTestId("replicas").locator('tbody tr[data-self="true"]');
  expect((await self.count()) === 1 && (await self.getAttribute("data-hash")) === beforeHash, "the replicas table shows this server serving the active revision");
  // Decision latency and errors per revision: the demo seed qualified leads on the active one.
  const stats = page.getByTestId("decision-stats").locator(`tbody tr[data-hash="${beforeHash}"]`);
  expect((await stats.count()) > 0, "decision latency and errors are shown for the active revision");
  if (await stats.count()) {
    const cells = await stats.first().locator("td").allTextContents();
    expect(Number(cells[2]) > 0 && Number.isFinite(Number(cells[5])), `the active revision's decisions are counted with a mean latency: ${cells}`);
  }
  const cap = page.getByLabel("latam", { exact: true });
  const original = await cap.inputValue();
  check(original !== "", "the latam region knob shows its value");

  // The form comes from data.schema.json: the range as help text, an enum as a list to pick from,
  // and keys the schema does not describe inferred from their values.
  const help = await page.locator(`[id="${(await cap.getAttribute("aria-describedby")).split(" ")[0]}"]`).textContent();
  check(/from -100 to 100/.test(help), `the latam knob's help text gives the schema's range, got ${JSON.stringify(help)}`);
  check((await cap.getAttribute("data-source")) === "schema", "the latam knob is described by the schema");
  const kind = page.locator('[id="knob-qualify.stages.0.kind"]');
  check((await kind.evaluate((el) => el.tagName)) === "SELECT", "an enum knob (stage kind) is a select");
  check((await kind.locator("option").allTextContents()).join() === "open,won,lost,parked", "the stage kind offers the schema's enum");

  // Out of the schema's range: the server's validation locates it at the knob.
  await cap.fill("101");
  await page.getByRole("button", { name: "Validate" }).click();
  const problem = page.locator(".problems li").first();
  await problem.waitFor();
  const located = await problem.textContent();
  check(/^data\.json:\d+:\d+/.test(located), `a located problem in data.json, got ${JSON.stringify(located)}`);
  check((await cap.getAttribute("aria-invalid")) === "true", "the latam knob is marked invalid");
  const err = await page.locator(`[id="${(await cap.getAttribute("aria-describedby")).split(" ").pop()}"]`).textContent();
  check(err.startsWith(located.split(" ")[0]), `the knob's error names the location: ${err}`);

  // A broken rule: located in its .rego file and underlined in the editor.
  await page.getByLabel("File").selectOption("qualify/routing/routing.rego");
  const source = page.getByLabel("Source");
  const rule = await source.inputValue();
  await source.fill(rule + "\nbroken := {\n");
  await page.getByRole("button", { name: "Validate" }).click();
  await page.locator(".problems li", { hasText: "qualify/routing/routing.rego:" }).first().waitFor();
  check((await page.locator(".highlight .bad").count()) > 0, "the editor marks the broken row");
  await source.fill(rule);

  const changed = String(Number(original) + 1);
  await cap.fill(changed);
  await page.getByRole("button", { name: "Validate" }).click();
  await page.getByText(/^Valid: \d+ tests passed\.$/).waitFor();
  check((await page.locator(".problems li").count()) === 0, "no problems once fixed");

  // The tests with coverage: a percentage, and a module's untested rows shaded in the editor.
  await page.getByRole("button", { name: "Run tests" }).click();
  await page.getByText(/^\d+ passed, 0 failed\.$/).waitFor({ timeout: 60000 });
  const coverage = page.getByTestId("coverage");
  expect((await coverage.count()) === 1, "the test run shows coverage");
  if (await coverage.count()) {
    const caption = await coverage.locator("caption").textContent();
    expect(/^Test coverage: \d+\.\d% of the policy rows$/.test(caption), `coverage in percent: ${caption}`);
    const gap = coverage.locator("td[data-rows]:not([data-rows=''])").first();
    expect((await gap.count()) === 1, "some policy row is not covered by the shipped tests");
    if (await gap.count()) {
      const rows = (await gap.getAttribute("data-rows")).split(",");
      await gap.locator("xpath=..").getByRole("button").click();
      const shaded = await page.locator(".highlight .uncovered").count();
      expect(shaded === rows.length, `the editor shades the ${rows.length} uncovered rows (${shaded})`);
    }
  }

  await page.getByRole("button", { name: "Simulate" }).click();
  const sim = page.getByTestId("simulation");
  await sim.waitFor({ timeout: 60000 });
  // The requalify matrix: stored × active × draft → outcome, counts adding up to at most the leads
  // simulated, and the draft's change (latam +1) moves someone somewhere.
  const summary = await sim.locator("p").first().textContent();
  const simulated = Number(/^(\d+) leads simulated/.exec(summary)?.[1]);
  const rows = sim.getByTestId("requalify-matrix").locator("tbody tr");
  check((await rows.count()) > 0, "the requalify matrix has rows");
  const counts = (await rows.locator("td:nth-child(5)").allTextContents()).map(Number);
  const total = counts.reduce((a, b) => a + b, 0);
  check(total > 0 && total <= simulated, `the matrix counts ${total} of ${simulated} leads`);
  check((await rows.first().locator("td").count()) === 6, "each cell names stored, active, draft, outcome, count and sample leads");
  check((await sim.getByTestId("requalify-matrix").locator("tbody a").count()) > 0, "cells link their sample leads");
  check(/^\d+ protected leads/.test(await sim.getByTestId("protected").locator("p").textContent()), "the protected leads are counted");
  check((await sim.locator("table.matrix tbody tr").count()) > 0, "the stage matrix has rows");
  await shot(page.locator("section[aria-labelledby=draft-h]"), "policy-workspace.png");
  const sampleLead = await sim.locator("table.sample tbody a").first().textContent().catch(() => null);

  // Four-eyes publishing (the journeys' server requires approval): the author's publish is
  // refused with who must approve; an admin approves the same draft; then the author publishes.
  const message = `LATAM fit ${changed} (console journey ${Date.now()})`;
  await page.getByLabel("Publish message").fill(message);
  await page.getByRole("button", { name: "Publish" }).click();
  const refusal = page.getByTestId("approval-required");
  await refusal.waitFor();
  const refused = await refusal.textContent();
  check(/another revops or admin, not you, must/.test(refused) && refused.includes("Approve"), `the refusal says who must approve: ${refused}`);
  const second = await page.context().browser().newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const admin = await second.newPage();
    admin.setDefaultTimeout(20000);
    await signIn(admin, env.ADMIN_TOKEN);
    await admin.getByLabel("latam", { exact: true }).fill(changed);
    await admin.getByLabel("Publish message").fill(`Reviewed: ${message}`);
    await admin.getByRole("button", { name: "Approve" }).click();
    const approved = await admin.getByTestId("approved").textContent({ timeout: 60000 });
    check(approved.startsWith("Approved draft "), `the admin's approval is confirmed: ${approved}`);
  } finally {
    await second.close();
  }
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByTestId("active-message").filter({ hasText: message }).waitFor({ timeout: 60000 });
  check((await active.textContent()) !== before, "a new revision is active");
  const publishedHash = await page.getByTestId("active-hash").getAttribute("data-hash");
  expect((await page.getByTestId("replicas").locator('tbody tr[data-self="true"]').getAttribute("data-hash").catch(() => null)) === publishedHash, "this server serves the published revision");
  check((await page.getByLabel("latam", { exact: true }).inputValue()) === changed, `the live policy has latam ${changed}`);

  // The history shows it; roll back to the revision before.
  const history = page.locator("table.history");
  await history.getByText(message).first().waitFor();
  const acts = await history.locator("tr", { hasText: message }).getByTestId("revision-acts").textContent();
  check(acts.includes("publish: user:") && acts.includes("(revops)") && acts.includes(message), `the history says who published it, got ${JSON.stringify(acts)}`);
  await page.getByRole("button", { name: `Roll back to ${before} (${beforeHash.slice(0, 8)})` }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Message").fill(`Roll back the console journey`);
  await dialog.getByRole("button", { name: "Roll back" }).click();
  await page.getByTestId("active-message").filter({ hasText: "Roll back the console journey" }).waitFor({ timeout: 60000 });
  check((await page.getByLabel("latam", { exact: true }).inputValue()) === original, "the rolled-back policy has the original value");

  // The diff between the published and the restored revision names data.json.
  await page.getByRole("button", { name: "Show diff" }).click();
  await page.locator(".diff h4").first().waitFor();

  // The audit trail lists the rollback, by whom and with its message.
  await page.goto(`${base}/console/#/audit`);
  const audit = page.getByTestId("audit");
  await audit.locator("tbody tr").first().waitFor();
  await page.getByLabel("Act").selectOption("POLICY_ROLLBACK");
  const latest = audit.locator("tbody tr").first();
  await latest.filter({ hasText: "Roll back the console journey" }).waitFor();
  check((await latest.textContent()).includes("policy rollback"), "the audit trail names the act");

  // The lead page says why: a changed lead of the simulation, its reasons and its history.
  check(sampleLead, "the simulation sampled a changed lead (the demo seed is deterministic)");
  await page.goto(`${base}/console/#/lead/${encodeURIComponent(sampleLead)}`);
  await page.getByText("Why: the reasons of the score").waitFor();
  check((await page.locator("table", { hasText: "Why: the reasons" }).locator("tbody tr").count()) > 0, "the lead has reasons");
  check((await page.locator("table", { hasText: "Stage history" }).locator("tbody tr").count()) > 0, "the lead has a history");

  // Its decision log, and a logged decision replayed on the revision published above.
  const decisions = page.getByTestId("decisions").locator("tbody tr");
  check((await decisions.count()) > 0, "the lead has logged decisions");
  const logged = decisions.first();
  await logged.getByText("Replay on revision…").click();
  const pick = logged.getByLabel(/^Revision to replay decision/);
  await pick.locator(`option[value="${publishedHash}"]`).waitFor({ state: "attached" });
  await pick.selectOption(publishedHash);
  await logged.getByRole("button", { name: "Replay", exact: true }).click();
  const replayed = logged.getByTestId("replay-result");
  await replayed.waitFor();
  const said = await replayed.textContent();
  check(said.includes(publishedHash.slice(0, 8)) && /^(Same result|A different result)/.test(said), `the replay names its revision and outcome: ${said}`);
}

// parseCSV reads RFC 4180 text into rows.
function parseCSV(text) {
  const rows = [];
  let row = [], cell = "", q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') q = false;
      else cell += c;
    } else if (c === '"') q = true;
    else if (c === ",") row.push(cell), (cell = "");
    else if (c === "\n") row.push(cell), rows.push(row), (row = []), (cell = "");
    else if (c !== "\r") cell += c;
  }
  if (cell !== "" || row.length) row.push(cell), rows.push(row);
  return rows;
}

// analyst: the funnel by source; the CSV download equals what is on screen.
async function analyst(page) {
  await signIn(page, env.ANALYST_TOKEN);
  await page.goto(`${base}/console/#/funnel`);
  await page.getByLabel("Group by").selectOption("SOURCE");
  const from12 = await page.getByLabel("From", { exact: true }).inputValue();
  await page.getByLabel("Period").selectOption("lastQuarter");
  check((await page.getByLabel("From", { exact: true }).inputValue()) !== from12, "a period preset sets the dates");
  await page.getByLabel("Period").selectOption("12m");
  check((await page.getByLabel("From", { exact: true }).inputValue()) === from12, "and back");
  await page.getByRole("button", { name: "Show" }).click();
  await page.getByText(/groups by source/).waitFor();
  const screen = await page.locator("#funnel-table tr[data-stage]").evaluateAll((trs) =>
    trs.map((tr) => {
      const v = [...tr.querySelectorAll("td[data-value]")].map((td) => td.dataset.value);
      return [tr.dataset.key, tr.dataset.stage, ...v];
    }),
  );
  check(screen.length > 0, "the funnel has rows");
  check(new Set(screen.map((r) => r[0])).size > 1, "more than one source");
  await page.locator("svg[role=img] polyline").waitFor();
  await shot(page.locator("section[aria-labelledby=funnel-h]"), "funnel.png");

  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
  const csv = parseCSV(await readFile(await dl.path(), "utf8"));
  const head = csv[0];
  check(head.join(",") === "row,source,stage,reason_code,count,conversion_from_previous,conversion_from_first,median_days_to_next,p90_days_to_next", `CSV header ${head}`);
  const steps = csv.slice(1).filter((r) => r[0] === "step").map((r) => [r[1], r[2], r[4], r[5], r[6], r[7]]);
  const num = (s) => (s === "" ? "" : String(Number(s)));
  check(steps.length === screen.length, `CSV has ${steps.length} step rows, the screen ${screen.length}`);
  steps.forEach((r, i) => {
    const s = screen[i];
    const same = r[0] === s[0] && r[1] === s[1] && r.slice(2).every((v, j) => num(v) === num(s[j + 2]));
    check(same, `CSV row ${i + 1} ${JSON.stringify(r)} equals the screen's ${JSON.stringify(s)}`);
  });
  const exitsOnScreen = await page.locator("#funnel-table tr.exits li").evaluateAll((lis) => lis.map((li) => [li.dataset.key, li.dataset.stage, li.dataset.reason, li.dataset.count].join("|")));
  const exitsInCSV = csv.slice(1).filter((r) => r[0] === "exit").map((r) => [r[1], r[2], r[3], r[4]].join("|"));
  check(exitsInCSV.length > 0, "the CSV has exits");
  check(exitsInCSV.join("\n") === exitsOnScreen.join("\n"), `the CSV's exits ${exitsInCSV.length} equal the screen's ${exitsOnScreen.length}`);
}

// frontend: the lead page as the reference for frontend teams (where the caller may move the lead,
// and the policy's reasons where not), and the audit trail naming people.
async function frontend(page) {
  await signIn(page, env.REVOPS_TOKEN);
  const me = (await page.locator("header .who").textContent()).split(" · ")[0];
  const res = await page.request.post(`${base}/graphql`, {
    headers: { Authorization: `Bearer ${env.REVOPS_TOKEN}` },
    data: { query: "{ leads(first: 1, orderBy: {field: CREATED_AT, direction: ASC}) { edges { node { id } } } }" },
  });
  const lead = (await res.json()).data.leads.edges[0].node.id;
  await page.goto(`${base}/console/#/lead/${encodeURIComponent(lead)}`);
  await page.getByText("Why: the reasons of the score").waitFor();
  const moves = page.getByTestId("transitions").locator("tbody tr");
  expect((await moves.count()) > 1, "the lead page lists the stages the lead may move to");
  const refused = moves.filter({ has: page.locator("td", { hasText: /^refused$/ }) });
  expect((await refused.count()) > 0, "some move is refused");
  for (const tr of await refused.all()) {
    expect((await tr.locator("ul.reasons li").count()) > 0, `a refused move says why: ${await tr.textContent()}`);
  }

  // The journey's simulations and publishes are in the audit trail by name, not only by user id.
  await page.goto(`${base}/console/#/audit`);
  const rows = page.getByTestId("audit").locator("tbody tr");
  await rows.first().waitFor();
  const who = await rows.locator("td:nth-child(3)").allTextContents();
  expect(who.some((w) => w.includes(me) && w.includes("(revops)")), `the audit trail names ${me}: ${who.slice(0, 3)}`);
}

const journeys = { revops, analyst, frontend };
const browser = await chromium.launch({
  executablePath: env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
let failed = 0;
for (const name of (env.JOURNEYS ?? "revops,analyst,frontend").split(",")) {
  // A fresh context per journey: its own storage, nothing shared.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  context.setDefaultTimeout(20000);
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
  const t0 = Date.now();
  expected = [];
  try {
    await journeys[name](page);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 1280, `the page fits 1280 px (it is ${width} px wide)`);
    // And a tablet held upright.
    await page.setViewportSize({ width: 820, height: 1180 });
    const tablet = await page.evaluate(() => document.documentElement.scrollWidth);
    check(tablet <= 820, `the page fits a tablet's 820 px (it is ${tablet} px wide)`);
    // Fingers: every visible control at least 44 × 44 px (a text field 44 px high).
    const small = await page.evaluate(() =>
      [...document.querySelectorAll("button, select, input, summary, header nav a")]
        .map((el) => [el, el.getBoundingClientRect()])
        .filter(([, r]) => r.width > 0 && r.height > 0)
        .filter(([el, r]) => r.height < 44 || (el.matches("button, summary, nav a, input[type=checkbox]") && r.width < 44))
        .map(([el, r]) => `${el.tagName.toLowerCase()} "${(el.textContent || el.id).trim().slice(0, 20)}" ${Math.round(r.width)}×${Math.round(r.height)}`),
    );
    expect(small.length === 0, `touch targets of 44 px on a tablet; smaller: ${small.slice(0, 5).join(", ")}${small.length > 5 ? ` and ${small.length - 5} more` : ""}`);
    check(expected.length === 0, expected.join("; "));
    check(pageErrors.length === 0, `no errors in the page: ${pageErrors.join("; ")}`);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    await mkdir(artifacts, { recursive: true });
    const file = path.resolve(artifacts, `${name}-failure.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    const also = expected.length && !e.message.includes(expected[0]) ? `\n     and before it: ${expected.join("; ")}` : "";
    console.log(`FAIL ${name}: ${e.message}${also}\n     page errors: ${pageErrors.join("; ") || "none"}\n     screenshot: ${file}`);
  }
  await context.close();
}
await browser.close();
process.exit(failed ? 1 : 0);
