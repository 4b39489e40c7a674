// The revision history: stored revisions newest first, a diff between any two, roll back.
import { ApiError, gql } from "./api";
import { AuditEvent, label } from "./audit";
import { field, h, replace, status } from "./dom";

interface Rev {
  revision: string;
  hash: string;
  status: string;
  source: string;
  message: string;
  loadedAt: string;
  activatedAt: string | null;
}

export async function renderHistory(root: HTMLElement, activeHash: string, reload: () => void) {
  // One request: the revisions and who published or rolled back to them (audited by hash).
  const { policyRevisions, auditEvents } = await gql<{ policyRevisions: { edges: { node: Rev }[] }; auditEvents: { edges: { node: AuditEvent }[] } }>(
    `query ConsoleHistory { policyRevisions(first: 30, orderBy: {field: LOADED_AT, direction: DESC}) {
      edges { node { revision hash status source message loadedAt activatedAt } } }
      auditEvents(first: 100, where: {actionIn: [POLICY_PUBLISH, POLICY_ROLLBACK, POLICY_APPROVE]}, orderBy: {field: OCCURRED_AT, direction: DESC}) {
      edges { node { occurredAt action actor actorRole via target message details } } } }`,
  );
  const revs = policyRevisions.edges.map((e) => e.node);
  const acts = new Map<string, AuditEvent[]>();
  for (const { node: e } of auditEvents.edges) acts.set(e.target, [...(acts.get(e.target) ?? []), e]);
  const option = (r: Rev) => h("option", { value: r.hash }, `${r.revision} (${r.hash.slice(0, 8)})`);
  const from = h("select", { id: "diff-from" }, revs.map(option));
  const to = h("select", { id: "diff-to" }, revs.map(option));
  to.value = activeHash;
  from.value = revs.find((r) => r.hash !== activeHash && r.activatedAt)?.hash ?? activeHash;
  const diff = h("div", { class: "diff", "aria-live": "polite" });
  const say = status();
  const showDiff = async () => {
    replace(diff, "Comparing…");
    try {
      const { policyRevisionDiff: files } = await gql<{ policyRevisionDiff: { path: string; change: string; diff: string }[] }>(
        `query ConsoleDiff($from: String!, $to: String!) { policyRevisionDiff(from: $from, to: $to) { path change diff } }`,
        { from: from.value, to: to.value },
      );
      replace(
        diff,
        files.length ? files.map((f) => h("div", {}, h("h4", {}, `${f.path} (${f.change})`), h("pre", { class: "mono" }, f.diff.split("\n").map(diffLine)))) : h("p", {}, "The two revisions have the same files."),
      );
    } catch (e) {
      replace(diff, h("p", { role: "alert", class: "error" }, String(e instanceof ApiError ? e.message : e)));
    }
  };
  const dialog = h("dialog", { "aria-labelledby": "rollback-h" });
  const rollback = (r: Rev) => {
    const msg = h("input", { type: "text", id: "rollback-message", value: `Roll back to ${r.revision}` });
    replace(
      dialog,
      h(
        "form",
        {
          method: "dialog",
          onsubmit: async (e: Event) => {
            e.preventDefault();
            dialog.close();
            replace(say, `Rolling back to ${r.revision}…`);
            try {
              const { rollbackPolicy: p } = await gql<{ rollbackPolicy: { revision: { revision: string } } }>(
                `mutation ConsoleRollback($input: RollbackPolicyInput!) { rollbackPolicy(input: $input) { revision { revision } } }`,
                { input: { revision: r.hash, message: msg.value } },
              );
              replace(say, `Rolled back: revision ${p.revision.revision} is active.`);
              reload();
            } catch (err) {
              replace(say, h("span", { role: "alert", class: "error" }, String(err instanceof ApiError ? `${err.code}: ${err.message}` : err)));
            }
          },
        },
        h("h3", { id: "rollback-h" }, `Roll back to ${r.revision}?`),
        h("p", {}, "Its files are published again as a new revision."),
        field("Message", msg),
        h("div", { class: "actions" }, h("button", { type: "submit" }, "Roll back"), h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Cancel")),
      ),
    );
    dialog.showModal();
  };
  replace(
    root,
    h("h2", { id: "history-h" }, "Revision history"),
    say,
    h(
      "table",
      { class: "history" },
      h("thead", {}, h("tr", {}, ["Revision", "Status", "Loaded", "Source", "Message", "Who", ""].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        revs.map((r) =>
          h(
            "tr",
            {},
            h("td", { class: "mono" }, r.revision, " ", h("small", {}, r.hash.slice(0, 8))),
            h("td", {}, r.status),
            h("td", {}, new Date(r.loadedAt).toLocaleString()),
            h("td", { class: "mono" }, r.source),
            h("td", {}, r.message || "–"),
            h(
              "td",
              { "data-testid": "revision-acts" },
              (acts.get(r.hash) ?? []).map((e) =>
                h("div", {}, `${label(e.action).replace("policy ", "")}: `, h("span", { class: "mono" }, e.actor), ` (${e.actorRole}), ${new Date(e.occurredAt).toLocaleString()}`, e.message ? ` — ${e.message}` : ""),
              ),
            ),
            h("td", {}, r.hash !== activeHash && r.activatedAt ? h("button", { type: "button", onclick: () => rollback(r), "aria-label": `Roll back to ${r.revision} (${r.hash.slice(0, 8)})` }, "Roll back") : null),
          ),
        ),
      ),
    ),
    h("div", { class: "diffpick", role: "group", "aria-label": "Compare two revisions" }, field("From", from), field("To", to), h("button", { type: "button", onclick: showDiff }, "Show diff")),
    diff,
    dialog,
  );
}

function diffLine(l: string): HTMLElement {
  const cls = l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : l.startsWith("@@") ? "hunk" : "";
  return h("span", { class: cls }, l + "\n");
}
