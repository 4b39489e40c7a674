// The active revision's runtime safety net on screen: decision latency and errors per revision.
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
