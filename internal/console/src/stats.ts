// Numbers about a policy on screen: what each replica serves, decision latency and errors per
// revision (the runtime safety net), and which rows of a draft its tests cover.
import { Problem } from "./api";
import { h } from "./dom";

export interface DecisionStats {
  decision: string;
  revision: string;
  revisionHash: string;
  count: number;
  errors: number;
  timeouts: number;
  meanMs: number;
  maxMs: number;
  breach: string;
}

// decisionStats is each revision's decision latency and errors on this server since it started:
// what tells revops that a publish made decisions slow or failing.
export function decisionStats(stats: DecisionStats[]): HTMLElement {
  const cols = ["Revision", "Decision", "Count", "Errors", "Timeouts", "Mean ms", "Max ms", "Bounds"];
  return h(
    "table",
    { "data-testid": "decision-stats" },
    h("caption", {}, "Decisions per revision on this server"),
    h("thead", {}, h("tr", {}, cols.map((c, i) => h("th", { scope: "col", class: i >= 2 && i < 7 ? "num" : undefined }, c)))),
    h(
      "tbody",
      {},
      stats.length
        ? stats.map((d) =>
            h(
              "tr",
              { "data-hash": d.revisionHash, class: d.breach ? "breach" : undefined },
              h("td", {}, d.revision, " ", h("span", { class: "mono" }, d.revisionHash.slice(0, 8))),
              h("td", { class: "mono" }, d.decision),
              h("td", { class: "num" }, d.count),
              h("td", { class: "num" }, d.errors),
              h("td", { class: "num" }, d.timeouts),
              h("td", { class: "num" }, d.meanMs.toFixed(2)),
              h("td", { class: "num" }, d.maxMs.toFixed(2)),
              h("td", { class: d.breach ? "error" : undefined }, d.breach || "within bounds"),
            ),
          )
        : h("tr", {}, h("td", { colspan: cols.length }, "No decisions since this server started.")),
    ),
  );
}

export interface TestRun {
  ok: boolean;
  passed: number;
  failed: number;
  problems: Problem[];
  tests: { package: string; name: string; file: string; row: number; pass: boolean; skip: boolean; error: string; output: string }[];
  coverage: { percent: number; files: { path: string; percent: number; notCovered: number[] }[] } | null;
}

// coverageTable is the draft's test coverage by module, with the rows no test evaluated; open
// shows a module in the editor, where those rows are shaded.
export function coverageTable(c: NonNullable<TestRun["coverage"]>, open: (path: string) => void): HTMLElement {
  return h(
    "table",
    { "data-testid": "coverage" },
    h("caption", {}, `Test coverage: ${c.percent.toFixed(1)}% of the policy rows`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Module"), h("th", { scope: "col", class: "num" }, "Covered"), h("th", { scope: "col" }, "Rows no test evaluated"))),
    h(
      "tbody",
      {},
      c.files.map((f) =>
        h(
          "tr",
          { "data-path": f.path },
          h("td", {}, h("button", { type: "button", class: "link", onclick: () => open(f.path) }, f.path)),
          h("td", { class: "num" }, `${f.percent.toFixed(1)}%`),
          h("td", { class: "mono", "data-rows": f.notCovered.join(",") }, rowRanges(f.notCovered) || "–"),
        ),
      ),
    ),
  );
}

// rowRanges writes rows as ranges: 3, 7–9, 12.
function rowRanges(rows: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < rows.length; ) {
    let j = i;
    while (j + 1 < rows.length && rows[j + 1] === rows[j] + 1) j++;
    out.push(i === j ? String(rows[i]) : `${rows[i]}–${rows[j]}`);
    i = j + 1;
  }
  return out.join(", ");
}

export interface Replica {
  id: string;
  revision: string;
  revisionHash: string;
  seenAt: string;
  self: boolean;
}

// replicasTable is what each server replica serves, from their heartbeats: after a publish, the
// replicas converge on the new revision within their policy poll interval.
export function replicasTable(replicas: Replica[], activeHash: string): HTMLElement {
  const behind = replicas.filter((r) => r.revisionHash !== activeHash).length;
  return h(
    "table",
    { "data-testid": "replicas" },
    h("caption", {}, behind ? `Replicas: ${behind} of ${replicas.length} serve another revision` : `Replicas: all ${replicas.length} serve this revision`),
    h("thead", {}, h("tr", {}, ["Replica", "Revision", "Last heartbeat"].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      replicas.map((r) =>
        h(
          "tr",
          { "data-hash": r.revisionHash, "data-self": String(r.self) },
          h("td", { class: "mono" }, r.id, r.self ? h("span", {}, " (this server)") : null),
          h("td", { class: r.revisionHash === activeHash ? undefined : "error" }, r.revision || "none", " ", h("span", { class: "mono" }, r.revisionHash.slice(0, 8))),
          h("td", {}, new Date(r.seenAt).toLocaleTimeString()),
        ),
      ),
    ),
  );
}
