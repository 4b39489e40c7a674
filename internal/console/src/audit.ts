// The audit trail: who published, approved, rolled back, re-qualified, simulated or managed API
// keys, when, through what and with which message; newest first, filtered by act, a page at a time.
import { gql } from "./api";
import { field, h, replace, status } from "./dom";

export interface AuditEvent {
  occurredAt: string;
  action: string;
  actor: string;
  actorUser: { name: string } | null;
  actorRole: string;
  via: string;
  target: string;
  message: string;
  details: Record<string, unknown> | null;
}

const ACTIONS = ["POLICY_PUBLISH", "POLICY_ROLLBACK", "POLICY_APPROVE", "POLICY_SIMULATE", "REQUALIFY_START", "API_KEY_CREATE", "API_KEY_REVOKE"];
const PAGE = 50;

const QUERY = `query ConsoleAudit($first: Int!, $after: Cursor, $where: AuditEventWhereInput) {
  auditEvents(first: $first, after: $after, where: $where, orderBy: {field: OCCURRED_AT, direction: DESC}) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { occurredAt action actor actorUser { name } actorRole via target message details } } } }`;

export async function auditScreen(root: HTMLElement) {
  const action = h("select", { id: "audit-action" }, h("option", { value: "" }, "All acts"), ACTIONS.map((a) => h("option", { value: a }, label(a))));
  const body = h("tbody", {});
  const say = status();
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Older events");
  let after: string | null = null;
  const load = async (reset: boolean) => {
    if (reset) {
      after = null;
      body.replaceChildren();
    }
    replace(say, "Loading…");
    const { auditEvents: c } = await gql<{
      auditEvents: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: AuditEvent }[] };
    }>(QUERY, { first: PAGE, after, where: action.value ? { action: action.value } : null });
    body.append(...c.edges.map((e) => row(e.node)));
    after = c.pageInfo.endCursor;
    more.hidden = !c.pageInfo.hasNextPage;
    replace(say, `${body.childElementCount} of ${c.totalCount} events.`);
  };
  action.onchange = () => void load(true);
  more.onclick = () => void load(false);
  replace(
    root,
    h(
      "section",
      { class: "card", "aria-labelledby": "audit-h" },
      h("h2", { id: "audit-h" }, "Audit trail"),
      h("div", { class: "filters" }, field("Act", action)),
      say,
      h(
        "table",
        { class: "audit", "data-testid": "audit" },
        h("thead", {}, h("tr", {}, ["When", "Act", "Who", "Via", "What", "Message"].map((c) => h("th", { scope: "col" }, c)))),
        body,
      ),
      more,
    ),
  );
  await load(true);
}

function row(e: AuditEvent): HTMLElement {
  return h(
    "tr",
    {},
    h("td", {}, new Date(e.occurredAt).toLocaleString()),
    h("td", {}, label(e.action)),
    // By name where the actor is a person; the actor id stays for API keys, tokens and the CLI.
    h("td", {}, e.actorUser ? h("span", { title: e.actor }, e.actorUser.name) : h("span", { class: "mono" }, e.actor), ` (${e.actorRole})`),
    h("td", {}, e.via),
    h("td", { class: "mono" }, e.target.length === 64 ? e.target.slice(0, 12) : e.target),
    h("td", {}, e.message || "–", e.details ? h("details", {}, h("summary", {}, "Details"), h("pre", { class: "mono" }, JSON.stringify(e.details, null, 2))) : null),
  );
}

// label is an act as words: POLICY_PUBLISH → "policy publish".
export function label(action: string): string {
  return action.toLowerCase().replace(/_/g, " ");
}
