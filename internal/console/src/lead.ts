// The lead page: why the policy decided what it did (score, reasons, recommended stage, revision)
// where the caller may move the lead and the policy's reasons where not, the lead's stage history
// with the revision behind each move, and its decision log with replay on
// another revision. The reference for frontend teams building their own lead screens.
import { gql } from "./api";
import { Decision, DECISION_FIELDS, decisionLog } from "./decisions";
import { h, replace } from "./dom";

interface Lead {
  id: string;
  firstName: string;
  lastName: string;
  companyName: string;
  jobTitle: string;
  country: string;
  source: string;
  stage: { key: string; name: string };
  owner: { name: string } | null;
  qualification: {
    fitScore: number;
    engagementScore: number;
    score: number;
    grade: string | null;
    temperature: string | null;
    recommendedStage: string | null;
    policyRevision: string | null;
    qualifiedAt: string | null;
    reasons: { code: string; message: string; points: number }[];
  };
  transitions: {
    edges: {
      node: {
        occurredAt: string;
        fromStage: { key: string } | null;
        toStage: { key: string };
        actorKind: string;
        trigger: string;
        reasonCode: string;
        reason: string;
        policyRevision: string;
        actor: { name: string } | null;
      };
    }[];
  };
  decisions: { edges: { node: Decision }[] };
  availableTransitions: { stage: { key: string; name: string }; allowed: boolean; reasons: { code: string; message: string }[] }[];
}

const LEAD = `query ConsoleLead($id: ID!) { node(id: $id) { ... on Lead {
  id firstName lastName companyName jobTitle country source stage { key name } owner { name }
  qualification { fitScore engagementScore score grade temperature recommendedStage policyRevision qualifiedAt
    reasons { code message points } }
  transitions(last: 100, orderBy: {field: OCCURRED_AT, direction: ASC}) { edges { node {
    occurredAt fromStage { key } toStage { key } actorKind trigger reasonCode reason policyRevision actor { name } } } }
  decisions(first: 50, orderBy: {field: DECIDED_AT, direction: DESC}) { edges { node { ${DECISION_FIELDS} } } }
  availableTransitions { stage { key name } allowed reasons { code message } } } } }`;

export async function leadScreen(root: HTMLElement, id: string) {
  replace(root, h("p", {}, "Loading the lead…"));
  const { node: lead } = await gql<{ node: Lead | null }>(LEAD, { id });
  if (!lead) {
    replace(root, h("p", { role: "alert" }, `No lead ${id} that you may see.`));
    return;
  }
  const q = lead.qualification;
  replace(
    root,
    h(
      "section",
      { class: "card", "aria-labelledby": "lead-h" },
      h("h2", { id: "lead-h" }, `${lead.firstName} ${lead.lastName}, ${lead.companyName}`),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Stage"),
        h("dd", {}, `${lead.stage.name}${q.recommendedStage && q.recommendedStage !== lead.stage.key ? ` (the policy recommends ${q.recommendedStage})` : ""}`),
        h("dt", {}, "Score"),
        h("dd", {}, `${q.score} = fit ${q.fitScore} + engagement ${q.engagementScore}; grade ${q.grade ?? "–"}, ${q.temperature?.toLowerCase() ?? "–"}`),
        h("dt", {}, "Decided by"),
        h("dd", {}, `revision ${q.policyRevision ?? "–"}${q.qualifiedAt ? " at " + new Date(q.qualifiedAt).toLocaleString() : ""}`),
        h("dt", {}, "Owner"),
        h("dd", {}, lead.owner?.name ?? "–"),
        h("dt", {}, "Source, country"),
        h("dd", {}, `${lead.source}, ${lead.country}`),
      ),
      h(
        "table",
        {},
        h("caption", {}, "Why: the reasons of the score"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Reason"), h("th", { scope: "col" }, "Code"), h("th", { scope: "col", class: "num" }, "Points"))),
        h("tbody", {}, q.reasons.map((r) => h("tr", {}, h("td", {}, r.message), h("td", { class: "mono" }, r.code), h("td", { class: "num" }, r.points)))),
      ),
      transitionsTable(lead),
      h(
        "table",
        {},
        h("caption", {}, "Stage history"),
        h("thead", {}, h("tr", {}, ["When", "Move", "By", "Why", "Revision"].map((c) => h("th", { scope: "col" }, c)))),
        h(
          "tbody",
          {},
          lead.transitions.edges.map(({ node: t }) =>
            h(
              "tr",
              {},
              h("td", {}, new Date(t.occurredAt).toLocaleString()),
              h("td", {}, `${t.fromStage?.key ?? "–"} → ${t.toStage.key}`),
              h("td", {}, t.actor?.name ?? t.actorKind.toLowerCase(), ` (${t.trigger.toLowerCase()})`),
              h("td", {}, t.reason || t.reasonCode),
              h("td", { class: "mono" }, t.policyRevision || "–"),
            ),
          ),
        ),
      ),
      lead.decisions.edges.length ? decisionLog(lead.decisions.edges.map((e) => e.node)) : h("p", {}, "No logged decisions."),
    ),
  );
}

// transitionsTable is where the caller may move the lead now and, where not, the transition
// policy's reasons: what a frontend shows beside its stage buttons.
function transitionsTable(lead: Lead): HTMLElement {
  return h(
    "table",
    { "data-testid": "transitions" },
    h("caption", {}, "Where you may move this lead, and why not"),
    h("thead", {}, h("tr", {}, ["Stage", "Move", "Reasons"].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      lead.availableTransitions.map((t) =>
        h(
          "tr",
          { "data-stage": t.stage.key, "data-allowed": String(t.allowed) },
          h("td", {}, t.stage.name, t.stage.key === lead.stage.key ? " (current)" : ""),
          h("td", { class: t.allowed ? "added" : "removed" }, t.allowed ? "allowed" : "refused"),
          h("td", {}, t.reasons.length ? h("ul", { class: "reasons" }, t.reasons.map((r) => h("li", {}, r.message, " ", h("span", { class: "mono" }, r.code)))) : "–"),
        ),
      ),
    ),
  );
}
