// Knobs: the scalar values (and lists of scalars) of data.json with where they sit in its text, so
// the form edits data.json in place: formatting, order and untouched values stay as they were, and
// the server's errors at data.json:row:col map back onto the knob on that row.

export type Kind = "number" | "string" | "boolean" | "list" | "null";

export interface Knob {
  path: (string | number)[];
  kind: Kind;
  start: number; // offset of the value in the text
  end: number;
  raw: string; // the value's text as it is in the file
}

// parseKnobs reads a JSON document, returning its knobs in document order. It throws on bad JSON.
export function parseKnobs(text: string): Knob[] {
  const knobs: Knob[] = [];
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\r\n".includes(text[i])) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`data.json: ${what} at offset ${i}`);
  };
  const str = (): string => {
    const s = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) fail("unterminated string");
    i++;
    return JSON.parse(text.slice(s, i));
  };
  const scalar = (): Kind => {
    const c = text[i];
    if (c === '"') {
      str();
      return "string";
    }
    const m = /^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    if (!m) fail("unexpected character");
    i += m![0].length;
    return m![0] === "true" || m![0] === "false" ? "boolean" : m![0] === "null" ? "null" : "number";
  };
  // value parses one value; scalars and arrays of scalars become knobs.
  const value = (path: (string | number)[]) => {
    ws();
    const start = i;
    if (text[i] === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a key");
        const key = str();
        ws();
        if (text[i++] !== ":") fail("expected :");
        value([...path, key]);
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return void i++;
        else fail("expected , or }");
      }
    }
    if (text[i] === "[") {
      const mark = knobs.length;
      i++;
      ws();
      let n = 0;
      let scalars = true;
      if (text[i] !== "]") {
        for (;;) {
          ws();
          if (text[i] === "{" || text[i] === "[") scalars = false;
          value([...path, n++]);
          ws();
          if (text[i] === ",") i++;
          else if (text[i] === "]") break;
          else fail("expected , or ]");
        }
      }
      i++;
      if (scalars) {
        // A list of scalars is one knob, edited as one line.
        knobs.length = mark;
        knobs.push({ path, kind: "list", start, end: i, raw: text.slice(start, i) });
      }
      return;
    }
    const kind = scalar();
    knobs.push({ path, kind, start, end: i, raw: text.slice(start, i) });
  };
  value([]);
  ws();
  if (i < text.length) fail("trailing text");
  return knobs;
}

// render writes text with each knob's value replaced by values[index] (the raw text to put there).
export function render(text: string, knobs: Knob[], values: string[]): string {
  let out = "";
  let at = 0;
  knobs.forEach((k, n) => {
    out += text.slice(at, k.start) + values[n];
    at = k.end;
  });
  return out + text.slice(at);
}

// lineOf is the 1-based line of an offset.
export function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === "\n") n++;
  return n;
}

// toRaw turns what was typed into a knob's field into the JSON text written for it. What is typed
// into a number field is written as typed: the server is the judge of data.json and says where it
// is wrong.
export function toRaw(kind: Kind, typed: string, original = "[]"): string {
  switch (kind) {
    case "string":
      return JSON.stringify(typed);
    case "list": {
      // Items keep the type of the list's items as they were (numbers stay numbers).
      const numbers = (JSON.parse(original) as unknown[]).every((v) => typeof v === "number") && original !== "[]";
      const items = typed.split(",").map((s) => s.trim()).filter((s) => s !== "");
      return "[" + items.map((s) => (numbers ? s : JSON.stringify(s))).join(", ") + "]";
    }
    default:
      return typed.trim();
  }
}

// toTyped is the field text for a knob's raw JSON.
export function toTyped(kind: Kind, raw: string): string {
  if (kind === "string") return JSON.parse(raw);
  if (kind === "list") return (JSON.parse(raw) as unknown[]).join(", ");
  return raw;
}
