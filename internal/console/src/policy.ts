// The revenue-ops screen: the active revision, a draft workspace (data.json knobs as a form, .rego
// files in an editor), validate / test / simulate / publish, and the revision history with diffs
// and roll back.
import { ApiError, gql, Problem } from "./api";
import { field, h, replace, status } from "./dom";
import { Knob, lineOf, parseKnobs, toRaw, toTyped } from "./knobs";
import { renderHistory } from "./history";
import { RegoEditor } from "./rego";
import { hint, knobSchema } from "./schema";
import { renderSimulation, Simulation } from "./simulation";
import { coverageTable, decisionStats, DecisionStats, Replica, replicasTable, TestRun } from "./stats";

interface File {
  path: string;
  content: string;
}
interface Revision {
  revision: string;
  hash: string;
  message: string;
  activatedAt: string | null;
  files: File[];
}
interface Status {
  policyStatus: {
    active: Revision | null;
    evaluators: { query: string; evaluator: string; reason: string | null }[];
    decisions: DecisionStats[];
    replicas: Replica[];
  };
}

const STATUS = `query ConsolePolicy { policyStatus {
  active { revision hash message activatedAt files { path content } }
  evaluators { query evaluator reason }
  decisions { decision revision revisionHash count errors timeouts meanMs maxMs breach }
  replicas { id revision revisionHash seenAt self } } }`;

export async function policyScreen(root: HTMLElement) {
  replace(root, h("p", {}, "Loading the active policy…"));
  const { policyStatus: st } = await gql<Status>(STATUS);
  if (!st.active) {
    replace(root, h("p", { role: "alert" }, "No policy revision is active."));
    return;
  }
  const active = st.active;
  const workspace = new Workspace(active, () => policyScreen(root));
  const history = h("section", { "aria-labelledby": "history-h" });
  replace(
    root,
    h(
      "section",
      { "aria-labelledby": "active-h", class: "card" },
      h("h2", { id: "active-h" }, "Active revision"),
      h(
        "dl",
        { class: "facts", id: "active-revision" },
        h("dt", {}, "Revision"),
        h("dd", { "data-testid": "active-revision" }, active.revision),
        h("dt", {}, "Hash"),
        h("dd", { class: "mono", "data-testid": "active-hash", "data-hash": active.hash }, active.hash.slice(0, 12)),
        h("dt", {}, "Activated"),
        h("dd", {}, active.activatedAt ? new Date(active.activatedAt).toLocaleString() : "–"),
        h("dt", {}, "Message"),
        h("dd", { "data-testid": "active-message" }, active.message || "–"),
      ),
      h(
        "table",
        {},
        h("caption", {}, "How this server evaluates each decision"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Decision"), h("th", { scope: "col" }, "Evaluator"), h("th", { scope: "col" }, "Why"))),
        h(
          "tbody",
          {},
          st.evaluators.map((e) => h("tr", {}, h("td", { class: "mono" }, e.query), h("td", {}, e.evaluator), h("td", {}, e.reason ?? "–"))),
        ),
      ),
      replicasTable(st.replicas, active.hash),
      decisionStats(st.decisions),
    ),
    workspace.el,
    history,
  );
  await renderHistory(history, active.hash, () => policyScreen(root));
}

// approvalNeeded says who must act when four-eyes publishing refuses a publish: another revops or
// admin approves this exact draft (by its hash) with Approve, then the author publishes again.
function approvalNeeded(e: ApiError): HTMLElement {
  const hash = String(e.extensions.hash ?? "");
  const why = String(e.extensions.reason ?? e.message);
  return h(
    "div",
    { role: "alert", class: "error", "data-testid": "approval-required" },
    h("p", {}, h("strong", {}, "Approval required."), ` Four-eyes publishing is on: another revops or admin, not you, must open this draft and press Approve before it can be published.`),
    h("p", {}, `Draft ${hash.slice(0, 12)}: ${why}.`),
  );
}

// Workspace is the draft: the active files with the knobs and .rego files edited.
class Workspace {
  el: HTMLElement;
  private data: string;
  private knobs: Knob[] = [];
  private inputs: (HTMLInputElement | HTMLSelectElement)[] = [];
  private schema: unknown = null;
  private errs: HTMLElement[] = [];
  private rego = new Map<string, string>();
  private editor: RegoEditor;
  private fileSelect: HTMLSelectElement;
  private results = status();
  private problems = h("ul", { class: "problems", "aria-label": "Problems" });
  private message: HTMLInputElement;
  private lastProblems: Problem[] = [];
  // uncovered is the last test run's rows that no test evaluated, by file.
  private uncovered = new Map<string, number[]>();

  constructor(private active: Revision, private reload: () => void) {
    this.data = active.files.find((f) => f.path === "data.json")?.content ?? "{}";
    for (const f of active.files) if (f.path.endsWith(".rego")) this.rego.set(f.path, f.content);
    try {
      this.knobs = parseKnobs(this.data);
    } catch (e) {
      this.knobs = [];
    }
    try {
      this.schema = JSON.parse(active.files.find((f) => f.path === "data.schema.json")?.content ?? "null");
    } catch {
      this.schema = null; // the server refuses such a bundle; the form falls back to the values
    }
    const paths = [...this.rego.keys()].sort();
    this.fileSelect = h("select", { id: "rego-file", onchange: () => this.showFile() }, paths.map((p) => h("option", { value: p }, p)));
    this.editor = new RegoEditor("rego-editor", (text) => {
      this.rego.set(this.fileSelect.value, text);
      this.uncovered.delete(this.fileSelect.value);
    });
    this.message = h("input", { id: "publish-message", type: "text", required: true, placeholder: "What changed and why" });
    this.el = h(
      "section",
      { "aria-labelledby": "draft-h", class: "card" },
      h("h2", { id: "draft-h" }, "Draft workspace"),
      h("p", {}, "Edit the knobs of data.json or the .rego files, then validate, test and simulate before publishing."),
      h(
        "div",
        { class: "workspace" },
        h("form", { class: "knobs", "aria-labelledby": "knobs-h", onsubmit: (e: Event) => e.preventDefault() }, h("h3", { id: "knobs-h" }, "Knobs (data.json)"), this.knobForm()),
        h("div", { class: "rego" }, h("h3", {}, "Rego"), field("File", this.fileSelect), h("div", { class: "field" }, h("label", { for: "rego-editor" }, "Source"), this.editor.el)),
      ),
      h(
        "div",
        { class: "actions", role: "group", "aria-label": "Check the draft" },
        h("button", { type: "button", onclick: () => this.run("validate") }, "Validate"),
        h("button", { type: "button", onclick: () => this.run("test") }, "Run tests"),
        h("button", { type: "button", onclick: () => this.run("simulate") }, "Simulate"),
        h("button", { type: "button", class: "secondary", onclick: () => this.reload() }, "Discard draft"),
      ),
      this.problems,
      this.results,
      h(
        "form",
        { class: "publish", onsubmit: (e: Event) => (e.preventDefault(), this.run("publish")) },
        field("Publish message", this.message),
        h("button", { type: "submit" }, "Publish"),
        // Four-eyes publishing (serve --require-publish-approval): a second revops or admin
        // approves exactly this draft; the author then publishes it.
        h("button", { type: "button", class: "secondary", onclick: () => this.run("approve") }, "Approve"),
      ),
    );
    this.showFile();
  }

  private knobForm(): HTMLElement[] {
    // One fieldset per object holding knobs, labelled by its path.
    const groups = new Map<string, HTMLElement>();
    const out: HTMLElement[] = [];
    this.knobs.forEach((k, n) => {
      const parent = k.path.slice(0, -1).join(".");
      let fs = groups.get(parent);
      if (!fs) {
        fs = h("fieldset", {}, h("legend", {}, parent || "data.json"));
        groups.set(parent, fs);
        out.push(fs);
      }
      const id = "knob-" + k.path.join(".");
      const err = h("span", { class: "error", id: id + "-error" });
      // The schema, where it describes the knob, says the control and the help text; elsewhere
      // the value's own type does.
      const sch = knobSchema(this.schema, k.path);
      const help = hint(sch);
      const helpEl = help ? h("small", { id: id + "-help" }, help) : null;
      const common = { id, "aria-describedby": [helpEl?.id, err.id].filter(Boolean).join(" "), "data-kind": k.kind, "data-source": sch ? "schema" : "inferred" };
      const input: HTMLInputElement | HTMLSelectElement =
        sch?.enum && k.kind !== "list"
          ? h(
              "select",
              common,
              sch.enum.map((v) => h("option", { value: String(v) }, String(v))),
            )
          : h("input", {
              ...common,
              type: k.kind === "boolean" ? "checkbox" : "text",
              inputmode: k.kind === "number" ? (sch?.type === "integer" ? "numeric" : "decimal") : undefined,
              checked: k.kind === "boolean" && k.raw === "true",
              value: k.kind === "boolean" ? undefined : toTyped(k.kind, k.raw),
            });
      if (input instanceof HTMLSelectElement) input.value = toTyped(k.kind, k.raw);
      this.inputs[n] = input;
      this.errs[n] = err;
      const label = String(k.path[k.path.length - 1]);
      fs.append(h("div", { class: "field knob" }, h("label", { for: id }, label, k.kind === "list" ? " (comma-separated)" : ""), input, helpEl, err));
    });
    return out;
  }
  // stageOrder is the stage keys of the active data.json by position.
  private stageOrder(): string[] {
    try {
      const stages = (JSON.parse(this.data).qualify?.stages ?? []) as { key: string; position: number }[];
      return [...stages].sort((a, b) => a.position - b.position).map((s) => s.key);
    } catch {
      return [];
    }
  }

  private showFile() {
    this.editor.value = this.rego.get(this.fileSelect.value) ?? "";
    this.editor.textarea.setAttribute("aria-description", `Rego source of ${this.fileSelect.value}`);
    this.editor.cover(this.uncovered.get(this.fileSelect.value) ?? []);
    this.markRego();
  }

  // markRego underlines the rows of the shown file that the last problems point at.
  private markRego() {
    const rows = new Map<number, string>();
    for (const p of this.lastProblems) if (p.file === this.fileSelect.value) rows.set(p.row, `${p.file}:${p.row}:${p.col} ${p.message}`);
    this.editor.mark(rows);
  }

  // dataJSON is data.json with the knobs as typed, and the line each knob starts on.
  private dataJSON(): { text: string; lines: number[] } {
    let text = "";
    let at = 0;
    const lines: number[] = [];
    this.knobs.forEach((k, n) => {
      const input = this.inputs[n];
      const raw = k.kind === "boolean" && input instanceof HTMLInputElement ? String(input.checked) : toRaw(k.kind, input.value, k.raw);
      text += this.data.slice(at, k.start);
      lines[n] = lineOf(text, text.length);
      text += raw === toRaw(k.kind, toTyped(k.kind, k.raw), k.raw) ? k.raw : raw;
      at = k.end;
    });
    return { text: text + this.data.slice(at), lines };
  }

  // draft is the patch over the active revision: the files that differ.
  private draft() {
    const changed: File[] = [];
    const data = this.dataJSON().text;
    if (data !== this.data) changed.push({ path: "data.json", content: data });
    for (const f of this.active.files) {
      const now = this.rego.get(f.path);
      if (now !== undefined && now !== f.content) changed.push({ path: f.path, content: now });
    }
    return { changed };
  }

  private async run(what: "validate" | "test" | "simulate" | "publish" | "approve") {
    this.showProblems([]);
    replace(this.results, `${what === "test" ? "Running the tests" : what[0].toUpperCase() + what.slice(1).replace(/e$/, "") + "ing"}…`);
    const draft = this.draft();
    try {
      if (what === "validate") {
        const { validatePolicy: v } = await gql<{ validatePolicy: { ok: boolean; problems: Problem[]; tests: number; failed: number; probe: boolean } }>(
          `query ConsoleValidate($draft: PolicyDraftInput!) { validatePolicy(draft: $draft) { ok problems { file row col message } tests failed probe } }`,
          { draft },
        );
        this.showProblems(v.problems);
        replace(this.results, v.ok ? `Valid: ${v.tests} tests passed.` : `Not valid: ${v.problems.length} problems, ${v.failed} of ${v.tests} tests failed.`);
      } else if (what === "test") {
        const { testPolicy: t } = await gql<{ testPolicy: TestRun }>(
          `query ConsoleTest($draft: PolicyDraftInput!) { testPolicy(draft: $draft) { ok passed failed problems { file row col message }
            tests { package name file row pass skip error output } coverage { percent files { path percent notCovered } } } }`,
          { draft },
        );
        this.showProblems(t.problems);
        const failed = t.tests.filter((x) => !x.pass && !x.skip);
        this.uncovered = new Map((t.coverage?.files ?? []).map((f) => [f.path, f.notCovered]));
        this.editor.cover(this.uncovered.get(this.fileSelect.value) ?? []);
        replace(
          this.results,
          h("p", {}, `${t.passed} passed, ${t.failed} failed.`),
          failed.length ? h("ul", {}, failed.map((x) => h("li", {}, h("span", { class: "mono" }, `${x.file}:${x.row}`), ` ${x.package}.${x.name} `, x.error))) : null,
          t.coverage ? coverageTable(t.coverage, (path) => this.openFile(path)) : null,
        );
      } else if (what === "simulate") {
        const { simulatePolicy: s } = await gql<{ simulatePolicy: Simulation }>(
          `query ConsoleSimulate($draft: PolicyDraftInput!) { simulatePolicy(draft: $draft, sample: 20) {
            activeRevision leads stageChanged recommendationChanged alreadyStale outcomeChanged changedOnlyMoves protected
            gradeChanged temperatureChanged errors firstError mqlToSqlNow mqlToSqlDraft durationMs
            stageMatrix { from to count }
            requalifyMatrix { stored active draft outcome count sampleLeadIds }
            protectedSample { leadId currentStage activeOutcome draftOutcome newStage newScore }
            sample { leadId currentStage oldStage newStage oldScore newScore oldGrade newGrade
              oldReasons { code message points } newReasons { code message points } } } }`,
          { draft },
        );
        replace(this.results, renderSimulation(s, this.stageOrder()));
      } else {
        if (!this.message.value.trim()) {
          this.message.focus();
          replace(this.results, "Say what changed in the publish message.");
          return;
        }
        if (what === "approve") {
          const { approvePolicyDraft: a } = await gql<{ approvePolicyDraft: { hash: string } }>(
            `mutation ConsoleApprove($input: ApprovePolicyDraftInput!) { approvePolicyDraft(input: $input) { hash } }`,
            { input: { draft, message: this.message.value.trim() } },
          );
          replace(this.results, h("p", { "data-testid": "approved" }, `Approved draft ${a.hash.slice(0, 12)}: another revops or admin may publish exactly this content now; any edit voids the approval.`));
          return;
        }
        const { publishPolicy: p } = await gql<{ publishPolicy: { revision: { revision: string } } }>(
          `mutation ConsolePublish($input: PublishPolicyInput!) { publishPolicy(input: $input) { revision { revision } } }`,
          { input: { draft, message: this.message.value.trim() } },
        );
        replace(this.results, `Published revision ${p.revision.revision}.`);
        this.reload();
      }
    } catch (e) {
      if (e instanceof ApiError && e.problems.length) this.showProblems(e.problems);
      if (e instanceof ApiError && e.code === "APPROVAL_REQUIRED") {
        replace(this.results, approvalNeeded(e));
        return;
      }
      replace(this.results, h("p", { role: "alert", class: "error" }, e instanceof ApiError ? `${e.code}: ${e.message}` : String(e)));
    }
  }

  // showProblems lists problems as file:row:col and marks the knob or editor line they point at.
  private showProblems(problems: Problem[]) {
    this.lastProblems = problems;
    this.markRego();
    this.errs.forEach((e, n) => {
      e.textContent = "";
      this.inputs[n].removeAttribute("aria-invalid");
    });
    const lines = this.dataJSON().lines;
    replace(
      this.problems,
      problems.map((p) => {
        const where = `${p.file}:${p.row}:${p.col}`;
        let go = () => this.goToRego(p);
        if (p.file === "data.json") {
          // The knob on the problem's line, else the last one starting before it.
          let n = -1;
          lines.forEach((l, i) => {
            if (l <= p.row) n = i;
          });
          if (n >= 0) {
            this.errs[n].textContent = `${where} ${p.message}`;
            this.inputs[n].setAttribute("aria-invalid", "true");
            const input = this.inputs[n];
            go = () => input.focus();
          }
        }
        return h("li", {}, h("button", { type: "button", class: "link", onclick: go }, h("span", { class: "mono" }, where)), " ", p.message);
      }),
    );
  }

  // openFile shows a .rego file in the editor.
  private openFile(path: string) {
    if (!this.rego.has(path)) return;
    this.fileSelect.value = path;
    this.showFile();
    this.editor.textarea.focus();
  }

  private goToRego(p: Problem) {
    if (!this.rego.has(p.file)) return;
    this.fileSelect.value = p.file;
    this.showFile();
    const lines = this.editor.textarea.value.split("\n");
    let at = 0;
    for (let i = 0; i < p.row - 1 && i < lines.length; i++) at += lines[i].length + 1;
    at += Math.max(0, p.col - 1);
    const ta = this.editor.textarea;
    ta.focus();
    ta.setSelectionRange(at, at);
    // Bring the row into view: the textarea scrolls to the caret only on some browsers.
    ta.scrollTop = Math.max(0, (p.row - 5) * parseFloat(getComputedStyle(ta).lineHeight || "19"));
  }
}

