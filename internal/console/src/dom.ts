// A few helpers for building DOM nodes: the console is small enough not to need a framework.

type Attrs = Record<string, string | number | boolean | EventListener | undefined | null>;
export type Child = Node | string | number | null | undefined | false | Child[];

// h builds an element: h("button", {type: "button", onclick: f}, "Save").
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v as EventListener);
    // CSSOM, not the style attribute, which the console's Content-Security-Policy refuses.
    else if (k === "style") el.style.cssText = String(v);
    else if (k === "value" && "value" in el) (el as HTMLInputElement).value = String(v);
    else if (k === "checked" && v === true) (el as HTMLInputElement).checked = true;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag: string, attrs: Record<string, string | number> = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

function append(el: Element, children: Child[]) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// replace puts children in place of el's content.
export function replace(el: Element, ...children: Child[]) {
  el.replaceChildren();
  append(el, children);
}

let ids = 0;
export function uid(prefix: string): string {
  return `${prefix}-${++ids}`;
}

// field is a labelled control.
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  if (!control.id) control.id = uid("f");
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hint ? h("small", {}, hint) : null);
}

// status is a live region: what it says is read out by screen readers.
export function status(): HTMLElement {
  return h("div", { class: "status", role: "status", "aria-live": "polite" });
}

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`;
}

export function days(v: number | null | undefined): string {
  return v === null || v === undefined ? "–" : `${v.toFixed(1)} d`;
}
