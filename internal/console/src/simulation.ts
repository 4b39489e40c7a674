// What a draft would change: the requalify matrix (stored × active × draft × outcome), the
// protected leads, the stage matrix (active × draft) and the changed sample leads with their
// reasons before and after.
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
  recommendationChanged: number;
  alreadyStale: number;
  outcomeChanged: number;
  changedOnlyMoves: number;
  protected: number;
  requalifyMatrix: { stored: string; active: string; draft: string; outcome: string; count: number; sampleLeadIds: string[] }[];
  protectedSample: { leadId: string; currentStage: string; activeOutcome: string; draftOutcome: string; newStage: string; newScore: number }[];
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
      h("strong", {}, `a requalify under the draft moves ${s.stageChanged}`),
      `; the draft changes the recommendation of ${s.recommendationChanged} and the requalify outcome of ${s.outcomeChanged} (${s.changedOnlyMoves} moves if only those are requalified); ${s.alreadyStale} already disagree with the active revision; ${s.gradeChanged} change grade, ${s.temperatureChanged} change temperature. MQL→SQL ${pct(s.mqlToSqlNow)} now, ${pct(s.mqlToSqlDraft)} with the draft.`,
      s.errors ? h("span", { class: "error" }, ` ${s.errors} leads failed: ${s.firstError}`) : null,
    ),
    requalifyTable(s, rank),
    protectedLeads(s),
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

const leadLink = (id: string) => h("a", { href: `#/lead/${encodeURIComponent(id)}`, target: "_blank", rel: "opener" }, id);

// requalifyTable lists the leads per stored stage × active × draft recommendation × stage after a
// requalify under the draft, in the policy's stage order; rows where the lead would move are marked.
function requalifyTable(s: Simulation, rank: (k: string) => number): HTMLElement {
  const cells = [...s.requalifyMatrix].sort(
    (a, b) => rank(a.stored) - rank(b.stored) || rank(a.active) - rank(b.active) || rank(a.draft) - rank(b.draft) || rank(a.outcome) - rank(b.outcome),
  );
  return h(
    "table",
    { class: "requalify", "data-testid": "requalify-matrix" },
    h("caption", {}, "What a requalify under the draft does: stored stage × recommended now × recommended by the draft → stage after"),
    h("thead", {}, h("tr", {}, ["Stored", "Active", "Draft", "After requalify", "Leads", "Sample leads"].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      cells.map((c) =>
        h(
          "tr",
          { class: c.outcome !== c.stored ? "moves" : undefined },
          h("td", {}, c.stored),
          h("td", { class: c.active !== c.stored ? "differs" : undefined }, c.active),
          h("td", { class: c.draft !== c.active ? "differs" : undefined }, c.draft),
          h("td", {}, c.outcome !== c.stored ? h("strong", {}, `→ ${c.outcome}`) : c.outcome),
          h("td", { class: "num" }, c.count),
          h("td", { class: "mono" }, c.sampleLeadIds.map((id, i) => [i ? ", " : "", leadLink(id)])),
        ),
      ),
    ),
  );
}

// protectedLeads lists the leads a person's decision holds where the evidence says another stage.
function protectedLeads(s: Simulation): HTMLElement {
  return h(
    "div",
    { "data-testid": "protected" },
    h("p", {}, `${s.protected} protected leads: a person's park, disqualification or move back holds them, though the draft recommends another stage.`),
    s.protectedSample.length
      ? h(
          "table",
          { class: "protected" },
          h("caption", {}, "Protected leads (lowest ids)"),
          h("thead", {}, h("tr", {}, ["Lead", "Stored", "Draft recommends", "After requalify", "Score"].map((c) => h("th", { scope: "col" }, c)))),
          h(
            "tbody",
            {},
            s.protectedSample.map((l) =>
              h("tr", {}, h("td", { class: "mono" }, leadLink(l.leadId)), h("td", {}, l.currentStage), h("td", {}, l.newStage), h("td", {}, l.draftOutcome), h("td", { class: "num" }, l.newScore)),
            ),
          ),
        )
      : null,
  );
}
