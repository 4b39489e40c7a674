// The Qualify console: sign in with a token, then the policy (revenue ops) and funnel (analysts)
// screens, chosen by the URL's fragment.
import "./style.css";
import { auditScreen } from "./audit";
import { ApiError, gql, setOnUnauthenticated, setToken, token } from "./api";
import { field, h, replace } from "./dom";
import { funnelScreen } from "./funnel";
import { leadScreen } from "./lead";
import { policyScreen } from "./policy";

const SCREENS: Record<string, { title: string; show: (root: HTMLElement) => unknown }> = {
  policy: { title: "Policy", show: policyScreen },
  funnel: { title: "Funnel", show: funnelScreen },
  audit: { title: "Audit trail", show: auditScreen },
};

const app = document.getElementById("app")!;

async function start() {
  if (!token()) return signIn();
  let viewer: { role: string; team: string; user: { name: string } | null };
  try {
    ({ viewer } = await gql<{ viewer: typeof viewer }>(`query ConsoleViewer { viewer { role team user { name } } }`));
  } catch (e) {
    return signIn(e instanceof ApiError ? e.message : String(e));
  }
  const main = h("main", { id: "main", tabindex: "-1" });
  const nav = h(
    "nav",
    { "aria-label": "Screens" },
    Object.entries(SCREENS).map(([k, s]) => h("a", { href: `#/${k}`, "data-screen": k }, s.title)),
  );
  replace(
    app,
    h("a", { class: "skip", href: "#main" }, "Skip to content"),
    h(
      "header",
      {},
      h("h1", {}, "Qualify"),
      nav,
      h("span", { class: "who" }, `${viewer.user?.name ?? "service client"} · ${viewer.role}${viewer.team ? " · " + viewer.team : ""}`),
      h("button", { type: "button", class: "secondary", onclick: () => (setToken(null), signIn()) }, "Sign out"),
    ),
    main,
  );
  const route = () => {
    const key = location.hash.replace(/^#\/?/, "") || (viewer.role === "analyst" ? "funnel" : "policy");
    const lead = /^lead\/(.+)$/.exec(key);
    const screen = lead ? { title: "Lead", show: (root: HTMLElement) => leadScreen(root, decodeURIComponent(lead[1])) } : (SCREENS[key] ?? SCREENS.policy);
    for (const a of nav.querySelectorAll("a")) a.toggleAttribute("aria-current", a.dataset.screen === key);
    document.title = `${screen.title} · Qualify console`;
    Promise.resolve(screen.show(main)).catch((e) => replace(main, h("p", { role: "alert", class: "error" }, e instanceof ApiError ? `${e.code}: ${e.message}` : String(e))));
  };
  window.onhashchange = () => {
    route();
    main.focus(); // a screen change moves the reading position to the new screen
  };
  route();
}

function signIn(problem?: string) {
  window.onhashchange = null;
  const input = h("input", { id: "token", type: "password", autocomplete: "off", required: true, spellcheck: "false" });
  replace(
    app,
    h(
      "main",
      { class: "signin" },
      h("h1", {}, "Qualify console"),
      h(
        "form",
        {
          onsubmit: (e: Event) => {
            e.preventDefault();
            setToken(input.value.trim());
            void start();
          },
        },
        field("Bearer token or API key", input, "`qualify serve --dev` prints tokens; it is kept for this tab only."),
        problem ? h("p", { role: "alert", class: "error" }, problem) : null,
        h("button", { type: "submit" }, "Sign in"),
      ),
    ),
  );
  input.focus();
}

setOnUnauthenticated(() => {
  setToken(null);
  signIn("The server refused the token; sign in again.");
});
void start();
