// What a draft would change: the stage matrix (active × draft) and the changed sample leads with
// their reasons before and after.
import { h, pct } from "./dom";

interface Reason {
  code: string;
  message: string;
  points: number;
}
export interface Simulation {
  activeRevision: string;
  leads: number;
  stageChanged: number;
  gradeChanged: number;
  temperatureChanged: number;
  errors: number;
  firstError: string;
  mqlToSqlNow: number | null;
  mqlToSqlDraft: number | null;
  durationMs: number;
  stageMatrix: { from: string; to: string; count: number }[];
  sample: {
    leadId: string;
    currentStage: string;
    oldStage: string;
    newStage: string;
    oldScore: number;
    newScore: number;
    oldGrade: string;
    newGrade: string;
    oldReasons: Reason[];
    newReasons: Reason[];
  }[];
}

// renderSimulation shows s; order lists the stage keys in the policy's order.
export function renderSimulation(s: Simulation, order: string[]): HTMLElement {
  const rank = (k: string) => (order.indexOf(k) + 1 || order.length + 1);
  const sorted = (ks: string[]) => [...new Set(ks)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const from = sorted(s.stageMatrix.map((c) => c.from));
  const to = sorted(s.stageMatrix.map((c) => c.to));
  const count = (f: string, t: string) => s.stageMatrix.find((c) => c.from === f && c.to === t)?.count ?? 0;
  return h(
    "div",
    { class: "simulation", "data-testid": "simulation" },
    h(
      "p",
      {},
      `${s.leads} leads simulated against ${s.activeRevision} in ${Math.round(s.durationMs)} ms: `,
      h("strong", {}, `${s.stageChanged} change stage`),
      `, ${s.gradeChanged} change grade, ${s.temperatureChanged} change temperature. MQL→SQL ${pct(s.mqlToSqlNow)} now, ${pct(s.mqlToSqlDraft)} with the draft.`,
      s.errors ? h("span", { class: "error" }, ` ${s.errors} leads failed: ${s.firstError}`) : null,
    ),
    h(
      "table",
      { class: "matrix" },
      h("caption", {}, "Recommended stage: active revision (rows) × draft (columns)"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "active \\ draft"), to.map((t) => h("th", { scope: "col", class: "num" }, t)))),
      h(
        "tbody",
        {},
        from.map((f) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, f),
            to.map((t) => h("td", { class: f === t ? "same num" : "num" }, count(f, t) || "")),
          ),
        ),
      ),
    ),
    s.sample.length
      ? h(
          "table",
          { class: "sample" },
          h("caption", {}, "Changed leads (sample)"),
          h(
            "thead",
            {},
            h("tr", {}, ["Lead", "Stage now", "Stage", "Score", "Grade", "Why"].map((c) => h("th", { scope: "col" }, c))),
          ),
          h(
            "tbody",
            {},
            s.sample.map((l) =>
              h(
                "tr",
                {},
                h("td", { class: "mono" }, h("a", { href: `#/lead/${encodeURIComponent(l.leadId)}`, target: "_blank", rel: "opener" }, l.leadId)),
                h("td", {}, l.currentStage),
                h("td", {}, `${l.oldStage} → ${l.newStage}`),
                h("td", { class: "num" }, `${l.oldScore} → ${l.newScore}`),
                h("td", {}, `${l.oldGrade} → ${l.newGrade}`),
                h("td", {}, h("details", {}, h("summary", {}, "Reasons"), reasonDiff(l.oldReasons, l.newReasons))),
              ),
            ),
          ),
        )
      : h("p", {}, "No sampled lead changes."),
  );
}

// reasonDiff lists the reasons that appear, disappear or change points.
function reasonDiff(before: Reason[], after: Reason[]): HTMLElement {
  const b = new Map(before.map((r) => [r.code, r]));
  const a = new Map(after.map((r) => [r.code, r]));
  const rows: HTMLElement[] = [];
  for (const [code, r] of a) {
    const o = b.get(code);
    if (!o) rows.push(h("li", { class: "added" }, `+ ${r.message} (${r.points})`));
    else if (o.points !== r.points) rows.push(h("li", {}, `${r.message}: ${o.points} → ${r.points}`));
  }
  for (const [code, r] of b) if (!a.has(code)) rows.push(h("li", { class: "removed" }, `− ${r.message} (${r.points})`));
  return rows.length ? h("ul", {}, rows) : h("p", {}, "Same reasons.");
}
