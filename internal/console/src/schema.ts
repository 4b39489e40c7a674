// What data.schema.json says about one knob: its type, range, allowed values and description, so
// the knob form shows the right control and help text. Only the keywords a form can use are read;
// the server validates the whole schema and says where a value is wrong.

export interface KnobSchema {
  type?: string; // "integer", "number", "string", "boolean", "array"
  minimum?: number;
  maximum?: number;
  enum?: (string | number | boolean)[];
  description?: string;
  itemType?: string; // for arrays of scalars
}

type Node = Record<string, unknown>;

// knobSchema is the schema node for path in schema, or null where the schema does not describe it
// (the form then falls back to what the value looks like).
export function knobSchema(schema: unknown, path: (string | number)[]): KnobSchema | null {
  const root = isNode(schema) ? schema : null;
  let node = root && resolve(root, root);
  for (const key of path) {
    if (!node) return null;
    node = child(root!, node, key);
  }
  if (!node) return null;
  const items = isNode(node.items) ? resolve(root!, node.items) : null;
  const out: KnobSchema = {
    type: typeOf(node),
    minimum: num(node.minimum),
    maximum: num(node.maximum),
    enum: Array.isArray(node.enum) ? (node.enum as (string | number | boolean)[]) : undefined,
    description: typeof node.description === "string" ? node.description : undefined,
    itemType: items ? typeOf(items) : undefined,
  };
  return out.type || out.enum || out.description || out.minimum !== undefined || out.maximum !== undefined ? out : null;
}

// hint is the help text of a knob: its description and what values it takes.
export function hint(s: KnobSchema | null): string {
  if (!s) return "";
  const parts: string[] = [];
  if (s.description) parts.push(s.description);
  const what = s.type === "array" ? `list of ${s.itemType ?? "values"}s` : s.type;
  if (s.minimum !== undefined && s.maximum !== undefined) parts.push(`${what ?? "value"} from ${s.minimum} to ${s.maximum}`);
  else if (s.minimum !== undefined) parts.push(`${what ?? "value"}, at least ${s.minimum}`);
  else if (s.maximum !== undefined) parts.push(`${what ?? "value"}, at most ${s.maximum}`);
  else if (what && !s.enum) parts.push(what);
  return parts.join("; ");
}

function child(root: Node, node: Node, key: string | number): Node | null {
  if (typeof key === "number") return isNode(node.items) ? resolve(root, node.items) : null;
  const props = isNode(node.properties) ? node.properties : {};
  if (isNode(props[key])) return resolve(root, props[key] as Node);
  return isNode(node.additionalProperties) ? resolve(root, node.additionalProperties) : null;
}

// resolve follows local "$ref"s ("#/$defs/point"), at most a few deep.
function resolve(root: Node, node: Node): Node | null {
  for (let hops = 0; hops < 8; hops++) {
    const ref = node.$ref;
    if (typeof ref !== "string") return node;
    if (!ref.startsWith("#/")) return null;
    let at: unknown = root;
    for (const part of ref.slice(2).split("/")) at = isNode(at) ? at[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
    if (!isNode(at)) return null;
    node = at;
  }
  return null;
}

function typeOf(n: Node): string | undefined {
  if (typeof n.type === "string") return n.type;
  if (Array.isArray(n.type)) return (n.type as string[]).find((t) => t !== "null");
  return undefined;
}

function isNode(v: unknown): v is Node {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}
