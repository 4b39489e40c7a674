// The GraphQL client: one POST per operation with the pasted token as a bearer.

const KEY = "qualify.console.token";

export function token(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(t: string | null) {
  if (t) sessionStorage.setItem(KEY, t);
  else sessionStorage.removeItem(KEY);
}

export interface Problem {
  file: string;
  row: number;
  col: number;
  message: string;
}

// ApiError is a GraphQL or HTTP error, with the server's code and extensions.
export class ApiError extends Error {
  constructor(message: string, public code: string, public extensions: Record<string, unknown> = {}, public path: string[] = []) {
    super(message);
  }
  // problems are the located problems of a refused draft (VALIDATION_FAILED).
  get problems(): Problem[] {
    return (this.extensions.problems as Problem[] | undefined) ?? [];
  }
}

// onUnauthenticated is called when the server refuses the token.
export let onUnauthenticated = () => {};
export function setOnUnauthenticated(f: () => void) {
  onUnauthenticated = f;
}

export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token() ?? ""}` },
    body: JSON.stringify({ query, variables }),
  });
  let body: { data?: T; errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[] };
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`HTTP ${res.status}`, "HTTP");
  }
  const err = body.errors?.[0];
  if (err) {
    const code = String(err.extensions?.code ?? "ERROR");
    if (code === "UNAUTHENTICATED") onUnauthenticated();
    throw new ApiError(err.message, code, err.extensions ?? {}, err.path ?? []);
  }
  if (!res.ok || !body.data) throw new ApiError(`HTTP ${res.status}`, "HTTP");
  return body.data;
}

// download fetches a URL with the bearer and hands the body to the browser as a file.
export async function download(url: string, filename: string): Promise<string> {
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token() ?? ""}` } });
  const text = await res.text();
  if (!res.ok) throw new ApiError(text.trim() || `HTTP ${res.status}`, "HTTP");
  const href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const a = document.createElement("a");
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return text;
}
