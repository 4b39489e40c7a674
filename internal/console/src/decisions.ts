// A lead's decision log: each qualification, transition and routing decision as it was made (the
// revision, who asked, how long it took, the reasons), with "replay on revision…" re-running its
// logged input on another stored revision and showing the reasons that differ.
import { ApiError, gql } from "./api";
import { field, h, replace, status } from "./dom";

export interface Reason {
  code: string;
  message: string;
  points: number;
}
export interface Decision {
  decisionID: string;
  kind: string;
  path: string;
  revision: string;
  revisionHash: string;
  error: string;
  caller: string;
  callerRole: string;
  trigger: string;
  decidedAt: string;
  latencyMs: number;
  reasons: Reason[];
}

// DECISION_FIELDS is what the lead page asks of each logged decision.
export const DECISION_FIELDS = `decisionID kind path revision revisionHash error caller callerRole trigger decidedAt latencyMs reasons { code message points }`;

interface Replay {
  revision: string;
  revisionHash: string;
  same: boolean;
  original: unknown;
  replayed: unknown;
  reasonsOnlyInOriginal: Reason[];
  reasonsOnlyInReplay: Reason[];
}

type Rev = { revision: string; label: string | null; hash: string };
let revisions: Promise<Rev[]> | null = null;

// storedRevisions is asked once, when a replay is first opened: a lead page does not pay for it.
function storedRevisions(): Promise<Rev[]> {
  revisions ??= gql<{ policyRevisions: { edges: { node: Rev }[] } }>(
    `query ConsoleReplayRevisions { policyRevisions(first: 50, orderBy: {field: LOADED_AT, direction: DESC}) { edges { node { revision label hash } } } }`,
  )
    .then((r) => r.policyRevisions.edges.map((e) => e.node))
    .catch((e) => {
      revisions = null;
      throw e;
    });
  return revisions;
}

export function decisionLog(decisions: Decision[]): HTMLElement {
  return h(
    "table",
    { class: "decisions", "data-testid": "decisions" },
    h("caption", {}, "Decision log"),
    h("thead", {}, h("tr", {}, ["When", "Decision", "Revision", "Asked by", "Took", "Reasons", "Replay"].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      decisions.map((d) =>
        h(
          "tr",
          {},
          h("td", {}, new Date(d.decidedAt).toLocaleString()),
          h("td", {}, d.kind.toLowerCase(), " ", h("small", { class: "mono" }, d.path), d.error ? h("div", { class: "error" }, d.error) : null),
          h("td", { class: "mono" }, d.revision, " ", h("small", {}, d.revisionHash.slice(0, 8))),
          h("td", {}, h("span", { class: "mono" }, d.caller), ` (${d.callerRole}, ${d.trigger.toLowerCase()})`),
          h("td", { class: "num" }, `${d.latencyMs.toFixed(1)} ms`),
          h("td", {}, d.reasons.length ? h("details", {}, h("summary", {}, `${d.reasons.length} reasons`), reasonList(d.reasons)) : "–"),
          h("td", {}, replayControl(d)),
        ),
      ),
    ),
  );
}

function replayControl(d: Decision): HTMLElement {
  const pick = h("select", { "aria-label": `Revision to replay decision ${d.decisionID} on` });
  const out = status();
  const run = async () => {
    replace(out, "Replaying…");
    try {
      const { replayDecision: r } = await gql<{ replayDecision: Replay }>(
        `query ConsoleReplay($id: String!, $revision: String!) { replayDecision(id: $id, revision: $revision) {
          revision revisionHash same original replayed reasonsOnlyInOriginal { code message points } reasonsOnlyInReplay { code message points } } }`,
        { id: d.decisionID, revision: pick.value },
      );
      replace(out, replayResult(r));
    } catch (e) {
      replace(out, h("span", { role: "alert", class: "error" }, e instanceof ApiError ? `${e.code}: ${e.message}` : String(e)));
    }
  };
  const details = h(
    "details",
    {
      ontoggle: async () => {
        if (!details.open || pick.options.length) return;
        try {
          const revs = await storedRevisions();
          pick.append(...revs.map((r) => h("option", { value: r.hash }, `${r.label ?? r.revision} (${r.hash.slice(0, 8)})`)));
          pick.value = revs.find((r) => r.hash !== d.revisionHash)?.hash ?? d.revisionHash;
        } catch (e) {
          replace(out, h("span", { role: "alert", class: "error" }, e instanceof ApiError ? `${e.code}: ${e.message}` : String(e)));
        }
      },
    },
    h("summary", {}, "Replay on revision…"),
    h("div", { class: "replay" }, field("Revision", pick), h("button", { type: "button", onclick: run }, "Replay")),
    out,
  );
  return details;
}

function replayResult(r: Replay): HTMLElement {
  const on = `on ${r.revision} (${r.revisionHash.slice(0, 8)})`;
  if (r.same) return h("p", { "data-testid": "replay-result" }, `Same result ${on}.`);
  const diff = r.reasonsOnlyInOriginal.length + r.reasonsOnlyInReplay.length;
  return h(
    "div",
    { "data-testid": "replay-result" },
    h("p", {}, `A different result ${on}${diff ? "" : ": the same reasons, other values"}.`),
    r.reasonsOnlyInOriginal.length ? h("div", {}, h("strong", {}, "Only as logged"), reasonList(r.reasonsOnlyInOriginal, "removed")) : null,
    r.reasonsOnlyInReplay.length ? h("div", {}, h("strong", {}, "Only in the replay"), reasonList(r.reasonsOnlyInReplay, "added")) : null,
    h("details", {}, h("summary", {}, "Both results"), h("pre", { class: "mono" }, `logged:   ${JSON.stringify(r.original)}\nreplayed: ${JSON.stringify(r.replayed)}`)),
  );
}

function reasonList(reasons: Reason[], cls?: string): HTMLElement {
  return h("ul", { class: cls }, reasons.map((r) => h("li", {}, `${r.message} (${r.points}) `, h("small", { class: "mono" }, r.code))));
}
