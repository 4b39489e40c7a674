// A Rego editor: a textarea over a highlighted copy of its text (keywords, strings, numbers,
// comments), with the rows of problems marked and the rows no test evaluated shaded. The textarea stays the control: keyboard, selection,
// undo and screen readers work as in any text field.
import { h } from "./dom";

const KEYWORDS = new Set(["package", "import", "default", "if", "else", "not", "with", "some", "every", "in", "contains", "as", "true", "false", "null"]);
const TOKEN = /(#.*$)|("(?:[^"\\]|\\.)*"?|`[^`]*`?)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][A-Za-z0-9_]*)|(:=|==|!=|<=|>=|[=<>|&])/gm;

export class RegoEditor {
  el: HTMLElement;
  textarea: HTMLTextAreaElement;
  private view: HTMLElement;
  private bad = new Map<number, string>();
  private uncovered = new Set<number>();

  constructor(id: string, oninput: (text: string) => void) {
    this.view = h("pre", { class: "highlight", "aria-hidden": "true" });
    this.textarea = h("textarea", {
      id,
      class: "editor",
      spellcheck: "false",
      autocapitalize: "off",
      autocomplete: "off",
      wrap: "off",
      oninput: () => {
        this.bad.clear();
        this.uncovered.clear(); // an edit moves rows: the last test run no longer says which
        this.paint();
        oninput(this.textarea.value);
      },
      onscroll: () => {
        this.view.scrollTop = this.textarea.scrollTop;
        this.view.scrollLeft = this.textarea.scrollLeft;
      },
    });
    this.el = h("div", { class: "code" }, this.view, this.textarea);
  }

  set value(text: string) {
    this.textarea.value = text;
    this.bad.clear();
    this.uncovered.clear();
    this.paint();
  }

  // cover shades the given rows (1-based): those the tests did not evaluate.
  cover(rows: Iterable<number>) {
    this.uncovered = new Set(rows);
    this.paint();
  }

  // mark underlines the given rows (1-based) with their messages as tooltips.
  mark(rows: Map<number, string>) {
    this.bad = rows;
    this.paint();
  }

  private paint() {
    const lines = this.textarea.value.split("\n");
    this.view.replaceChildren(
      ...lines.map((line, i) => {
        const cls = ["line", this.bad.has(i + 1) ? "bad" : "", this.uncovered.has(i + 1) ? "uncovered" : ""].filter(Boolean).join(" ");
        const span = h("span", { class: cls }, ...tokens(line), "\n");
        if (this.bad.has(i + 1)) span.title = this.bad.get(i + 1)!;
        return span;
      }),
      " ",
    );
    this.view.scrollTop = this.textarea.scrollTop;
  }
}

function tokens(line: string): (string | HTMLElement)[] {
  const out: (string | HTMLElement)[] = [];
  let at = 0;
  for (const m of line.matchAll(TOKEN)) {
    const [text, comment, str, num, word, op] = m;
    const cls = comment ? "c" : str ? "s" : num ? "n" : word && KEYWORDS.has(word) ? "k" : op ? "o" : "";
    if (!cls) continue;
    out.push(line.slice(at, m.index), h("span", { class: cls }, text));
    at = m.index! + text.length;
  }
  out.push(line.slice(at));
  return out;
}
