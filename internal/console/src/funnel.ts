// The analyst screen: the funnel by a dimension as bars with conversion and days to next, the
// MQL→SQL trend as a chart, and the CSV of exactly what is on screen.
import { ApiError, download, gql } from "./api";
import { days, field, h, pct, replace, status, svg } from "./dom";

const DIMENSIONS: [string, string][] = [
  ["SOURCE", "Source"],
  ["OWNER", "Owner"],
  ["TEAM", "Team"],
  ["INDUSTRY", "Industry"],
  ["REGION", "Region"],
  ["COHORT_MONTH", "Cohort month"],
];

interface Step {
  stage: string;
  reached: number;
  conversionFromPrevious: number | null;
  conversionFromFirst: number | null;
  medianDaysToNext: number | null;
}
interface Group {
  source: string | null;
  ownerId: string | null;
  ownerName: string | null;
  team: string | null;
  industry: string | null;
  region: string | null;
  cohortMonth: string | null;
  steps: Step[];
  exits: { stage: string; reasonCode: string; count: number }[];
}

interface Duration {
  stage: string;
  leads: number;
  latest: { median: number | null; p90: number | null; mean: number | null };
}

// One request for the whole screen: the funnel, the time in stage and the trend.
const FUNNEL = `query ConsoleFunnel($input: FunnelInput!, $durations: FunnelInput!, $trend: ConversionTrendInput!) {
  funnel(input: $input) { source percentiles percentileSampleRate groups { source ownerId ownerName team industry region cohortMonth
    steps { stage reached conversionFromPrevious conversionFromFirst medianDaysToNext }
    exits { stage reasonCode count } } }
  stageDurations(input: $durations) { groups { stages { stage leads latest { median p90 mean } } } }
  conversionTrend(input: $trend) { points { periodStart reachedFrom reachedTo conversion } } }`;

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function funnelScreen(root: HTMLElement) {
  const now = new Date();
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const from = new Date(Date.UTC(now.getUTCFullYear() - 1, now.getUTCMonth() + 1, 1));
  const dim = h("select", { id: "funnel-dimension" }, DIMENSIONS.map(([v, l]) => h("option", { value: v }, l)));
  const fromIn = h("input", { id: "funnel-from", type: "date", value: isoDay(from), required: true });
  const toIn = h("input", { id: "funnel-to", type: "date", value: isoDay(to), required: true });
  // Presets fill the dates; editing a date makes the period custom.
  const presets: Record<string, () => [Date, Date]> = {
    "12m": () => [from, to],
    quarter: () => {
      const q = Math.floor(now.getUTCMonth() / 3) * 3;
      return [new Date(Date.UTC(now.getUTCFullYear(), q, 1)), new Date(Date.UTC(now.getUTCFullYear(), q + 3, 1))];
    },
    lastQuarter: () => {
      const q = Math.floor(now.getUTCMonth() / 3) * 3;
      return [new Date(Date.UTC(now.getUTCFullYear(), q - 3, 1)), new Date(Date.UTC(now.getUTCFullYear(), q, 1))];
    },
    year: () => [new Date(Date.UTC(now.getUTCFullYear(), 0, 1)), new Date(Date.UTC(now.getUTCFullYear() + 1, 0, 1))],
  };
  const preset = h(
    "select",
    {
      id: "funnel-period",
      onchange: () => {
        const f = presets[preset.value];
        if (!f) return;
        const [a, b] = f();
        fromIn.value = isoDay(a);
        toIn.value = isoDay(b);
      },
    },
    h("option", { value: "12m" }, "Last 12 months"),
    h("option", { value: "quarter" }, "This quarter"),
    h("option", { value: "lastQuarter" }, "Last quarter"),
    h("option", { value: "year" }, "This year"),
    h("option", { value: "custom" }, "Custom"),
  );
  for (const d of [fromIn, toIn]) d.addEventListener("input", () => (preset.value = "custom"));
  const cohort = h("select", { id: "funnel-cohort" }, h("option", { value: "CREATED" }, "Created in the period"), h("option", { value: "ENTERED_FIRST_STAGE" }, "Entered the first stage in the period"));
  const say = status();
  const out = h("div", { class: "funnel-out" });
  let csvURL = "";
  const csv = h("button", { type: "button", disabled: true, onclick: async () => {
    try {
      await download(csvURL, "funnel.csv");
    } catch (e) {
      replace(say, h("span", { role: "alert", class: "error" }, String(e instanceof ApiError ? e.message : e)));
    }
  } }, "Download CSV");
  const show = async (e?: Event) => {
    e?.preventDefault();
    const period = { from: `${fromIn.value}T00:00:00Z`, to: `${toIn.value}T00:00:00Z` };
    const input = { period, cohort: cohort.value, groupBy: [dim.value] };
    replace(say, "Loading the funnel…");
    try {
      const data = await gql<{ funnel: { source: string; percentiles: string; percentileSampleRate: number | null; groups: Group[] }; stageDurations: { groups: { stages: Duration[] }[] }; conversionTrend: { points: TrendPoint[] } }>(FUNNEL, {
        input,
        durations: { period, cohort: cohort.value },
        trend: { from: "mql", to: "sql", period, interval: "MONTH" },
      });
      csvURL = `/export/funnel.csv?${new URLSearchParams({ from: period.from, to: period.to, cohort: cohort.value, groupBy: dim.value.toLowerCase() })}`;
      csv.disabled = false;
      const label = DIMENSIONS.find(([v]) => v === dim.value)![1];
      replace(
        out,
        funnelTable(data.funnel.groups, dim.value, label),
        h("div", { class: "pair" }, trendChart(data.conversionTrend.points), durationTable(data.stageDurations.groups[0]?.stages ?? [])),
      );
      // Sampled medians are said, with their rate: an analyst reads them as estimates.
      const rate = data.funnel.percentileSampleRate;
      const medians = data.funnel.percentiles === "SAMPLED" && rate ? ` Medians from a sample of 1 lead in ${Math.round(1 / rate)}.` : "";
      replace(say, `${data.funnel.groups.length} groups by ${label.toLowerCase()}, from the ${data.funnel.source.toLowerCase()}.${medians}`);
    } catch (err) {
      replace(say, h("span", { role: "alert", class: "error" }, String(err instanceof ApiError ? `${err.code}: ${err.message}` : err)));
    }
  };
  replace(
    root,
    h(
      "section",
      { class: "card", "aria-labelledby": "funnel-h" },
      h("h2", { id: "funnel-h" }, "Funnel"),
      h("form", { class: "filters", onsubmit: show }, field("Group by", dim), field("Period", preset), field("From", fromIn), field("To (exclusive)", toIn), field("Cohort", cohort), h("button", { type: "submit" }, "Show"), csv),
      say,
      out,
    ),
  );
  void show();
}

// groupKey is the group's value as the CSV export writes it (the owner's id for OWNER).
function groupKey(g: Group, dim: string): string {
  const v = { SOURCE: g.source, OWNER: g.ownerId, TEAM: g.team, INDUSTRY: g.industry, REGION: g.region, COHORT_MONTH: g.cohortMonth }[dim];
  return v ?? "";
}

function groupName(g: Group, dim: string): string {
  const v = { SOURCE: g.source, OWNER: g.ownerName ?? g.ownerId, TEAM: g.team, INDUSTRY: g.industry, REGION: g.region, COHORT_MONTH: g.cohortMonth }[dim];
  return v || "(none)";
}

function funnelTable(groups: Group[], dim: string, label: string): HTMLElement {
  const max = Math.max(1, ...groups.flatMap((g) => g.steps.map((s) => s.reached)));
  return h(
    "table",
    { class: "funnel", id: "funnel-table" },
    h("caption", {}, `Leads reaching each stage, by ${label.toLowerCase()}`),
    h(
      "thead",
      {},
      h("tr", {}, [label, "Stage", "Reached", "Conversion from previous", "Conversion from first", "Median days to next"].map((c) => h("th", { scope: "col" }, c))),
    ),
    groups.map((g) =>
      h(
        "tbody",
        {},
        g.steps.map((s, i) =>
          h(
            "tr",
            { "data-group": groupName(g, dim), "data-key": groupKey(g, dim), "data-stage": s.stage },
            i === 0 ? h("th", { scope: "rowgroup", rowspan: g.steps.length + (g.exits.length ? 1 : 0) }, groupName(g, dim)) : null,
            h("td", {}, s.stage),
            h(
              "td",
              { class: "bar-cell", "data-value": s.reached },
              h("span", { class: "bar", style: `width:${((s.reached / max) * 100).toFixed(1)}%`, "aria-hidden": "true" }),
              h("span", { class: "num" }, s.reached),
            ),
            h("td", { class: "num", "data-value": s.conversionFromPrevious ?? "" }, pct(s.conversionFromPrevious)),
            h("td", { class: "num", "data-value": s.conversionFromFirst ?? "" }, pct(s.conversionFromFirst)),
            h("td", { class: "num", "data-value": s.medianDaysToNext ?? "" }, days(s.medianDaysToNext)),
          ),
        ),
        g.exits.length
          ? h(
              "tr",
              { class: "exits" },
              h("td", {}, "Exits"),
              h(
                "td",
                { colspan: 4 },
                h("ul", {}, g.exits.map((e) => h("li", { "data-key": groupKey(g, dim), "data-stage": e.stage, "data-reason": e.reasonCode, "data-count": e.count }, `${e.stage}: ${e.reasonCode} ${e.count}`))),
              ),
            )
          : null,
      ),
    ),
  );
}

// durationTable is the time leads spent in each stage (their latest stay).
function durationTable(stages: Duration[]): HTMLElement {
  return h(
    "table",
    { class: "durations" },
    h("caption", {}, "Days in stage (latest stay), all groups"),
    h("thead", {}, h("tr", {}, ["Stage", "Leads", "Median", "p90", "Mean"].map((c, i) => h("th", { scope: "col", class: i ? "num" : undefined }, c)))),
    h(
      "tbody",
      {},
      stages.map((s) => h("tr", {}, h("th", { scope: "row" }, s.stage), h("td", { class: "num" }, s.leads), h("td", { class: "num" }, days(s.latest.median)), h("td", { class: "num" }, days(s.latest.p90)), h("td", { class: "num" }, days(s.latest.mean)))),
    ),
  );
}

interface TrendPoint {
  periodStart: string;
  reachedFrom: number;
  reachedTo: number;
  conversion: number | null;
}

// trendChart draws the MQL→SQL conversion per month as a line in inline SVG.
function trendChart(points: TrendPoint[]): HTMLElement {
  const W = 720, H = 240, L = 48, R = 16, T = 16, B = 36;
  const vals = points.map((p) => p.conversion ?? 0);
  const top = Math.max(0.1, ...vals) * 1.1;
  const x = (i: number) => L + (points.length < 2 ? 0 : (i * (W - L - R)) / (points.length - 1));
  const y = (v: number) => T + (H - T - B) * (1 - v / top);
  const line = points.map((p, i) => (p.conversion === null ? null : `${x(i).toFixed(1)},${y(p.conversion).toFixed(1)}`)).filter(Boolean).join(" ");
  const ticks = [0, top / 2, top];
  const summary = points.map((p) => `${p.periodStart.slice(0, 7)} ${pct(p.conversion)}`).join(", ");
  return h(
    "figure",
    { class: "trend" },
    h("figcaption", { id: "trend-h" }, "MQL → SQL conversion by month"),
    svg(
      "svg",
      { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "trend-h", "aria-describedby": "trend-desc", width: "100%" },
      svg("desc", { id: "trend-desc" }, summary),
      ticks.map((t) => [
        svg("line", { x1: L, x2: W - R, y1: y(t), y2: y(t), class: "grid" }),
        svg("text", { x: L - 6, y: y(t) + 4, "text-anchor": "end" }, pct(t)),
      ]),
      svg("polyline", { points: line, class: "line" }),
      points.map((p, i) => [
        p.conversion === null ? null : svg("circle", { cx: x(i), cy: y(p.conversion), r: 3.5 }, svg("title", {}, `${p.periodStart.slice(0, 7)}: ${p.reachedTo} of ${p.reachedFrom} (${pct(p.conversion)})`)),
        i % 2 === 0 ? svg("text", { x: x(i), y: H - 12, "text-anchor": "middle" }, p.periodStart.slice(0, 7)) : null,
      ]),
    ),
  );
}
