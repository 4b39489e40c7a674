// Unit tests of the knob parser, run by node from knobs_test.go (bundled with esbuild first).
import { lineOf, parseKnobs, render, toRaw } from "./knobs";
import { hint, knobSchema } from "./schema";

let failed = 0;
function eq(got: unknown, want: unknown, what: string) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) {
    failed++;
    console.log(`FAIL ${what}: got ${g}, want ${w}`);
  }
}

const text = `{
  "a": {"n": 1.5, "s": "x\\"y", "b": true},
  "list": ["p", "q"],
  "nums": [1, 2],
  "objs": [{"min": 1, "points": 0}, {"min": 10, "points": 3}],
  "empty": {}, "z": null
}
`;
const knobs = parseKnobs(text);
eq(knobs.map((k) => [k.path.join("."), k.kind, k.raw]), [
  ["a.n", "number", "1.5"],
  ["a.s", "string", '"x\\"y"'],
  ["a.b", "boolean", "true"],
  ["list", "list", '["p", "q"]'],
  ["nums", "list", "[1, 2]"],
  ["objs.0.min", "number", "1"],
  ["objs.0.points", "number", "0"],
  ["objs.1.min", "number", "10"],
  ["objs.1.points", "number", "3"],
  ["z", "null", "null"],
], "knobs in document order, lists of scalars as one knob");

const raws = knobs.map((k) => k.raw);
eq(render(text, knobs, raws), text, "rendering the values as they are gives the text back, byte for byte");

const edited = [...raws];
edited[7] = "3x"; // objs.1.min, typed into a number field
const out = render(text, knobs, edited);
eq(out.split("\n").filter((l, i) => l !== text.split("\n")[i]), ['  "objs": [{"min": 1, "points": 0}, {"min": 3x, "points": 3}],'], "an edit changes only its own span, as typed");
eq(lineOf(out, knobs[7].start), 5, "the knob's row");

eq(toRaw("list", "a, b ,, c", '["p"]'), '["a", "b", "c"]', "a list of strings stays strings");
eq(toRaw("list", "1, 20", "[1, 2]"), "[1, 20]", "a list of numbers stays numbers");
eq(toRaw("string", 'say "hi"'), '"say \\"hi\\""', "strings are quoted");

let threw = false;
try {
  parseKnobs('{"a": }');
} catch {
  threw = true;
}
eq(threw, true, "bad JSON is refused");

// The knob schema: through properties, additionalProperties, items and $ref; null where it is silent.
const schema = {
  type: "object",
  properties: {
    a: { type: "object", properties: { n: { type: "number", maximum: 2, description: "How much." }, s: { enum: ["x", "y"] } } },
    pts: { type: "object", additionalProperties: { $ref: "#/$defs/point" } },
    objs: { type: "array", items: { type: "object", properties: { min: { type: "integer", minimum: 0 } } } },
    names: { type: "array", items: { type: "string" } },
  },
  $defs: { point: { type: "integer", minimum: -100, maximum: 100 } },
};
eq(knobSchema(schema, ["a", "n"]), { type: "number", maximum: 2, description: "How much." }, "a property's type, range and description");
eq(knobSchema(schema, ["a", "s"])?.enum, ["x", "y"], "an enum");
eq(knobSchema(schema, ["pts", "latam"]), { type: "integer", minimum: -100, maximum: 100 }, "additionalProperties through a $ref");
eq(knobSchema(schema, ["objs", 1, "min"])?.minimum, 0, "array items by index");
eq(knobSchema(schema, ["names"])?.itemType, "string", "a list's item type");
eq(knobSchema(schema, ["a", "unknown"]), null, "a key the schema does not describe");
eq(knobSchema(schema, ["objs", 0, "points"]), null, "an item key the schema does not describe");
eq(knobSchema(null, ["a"]), null, "no schema");
eq(knobSchema({ $ref: "#/$defs/none" }, []), null, "a dangling $ref");
eq(hint(knobSchema(schema, ["pts", "latam"])), "integer from -100 to 100", "range help text");
eq(hint(knobSchema(schema, ["a", "n"])), "How much.; number, at most 2", "description and bound");

if (failed) process.exit(1);
console.log("ok knobs");
