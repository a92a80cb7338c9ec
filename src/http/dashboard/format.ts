import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** hono's html`` is asynchronous only when given promises; these pages never are, so the text is ready now. */
export function markup(fragment: HtmlEscapedString | Promise<HtmlEscapedString>): string {
  if (fragment instanceof Promise) throw new Error("dashboard markup must not contain promises");
  return fragment.toString();
}

/** Wall-clock time as people read it in a table, always UTC so every viewer sees the same text. */
export function utcTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** "5 min ago": how stale a deployment is matters more at a glance than its exact minute. */
export function age(ms: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return "just now";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** A <time> element: machine-readable instant, readable text, the other form on hover. */
export function timeElement(ms: number, now: number, style: "age" | "utc") {
  const iso = new Date(ms).toISOString();
  return style === "age"
    ? html`<time datetime="${iso}" title="${utcTime(ms)}">${age(ms, now)}</time>`
    : html`<time datetime="${iso}" title="${age(ms, now)}">${utcTime(ms)}</time>`;
}

/** Git's usual abbreviation; the full sha stays in the title for copying. */
export function shortSha(sha: string | null) {
  return sha ? html`<code title="${sha}">${sha.slice(0, 7)}</code>` : html`<span class="muted">none</span>`;
}

/** A duration as people say it: "45 s", "35 min", "1 h 10 min", "2 d 4 h"; "none" without a value. */
export function duration(seconds: number | null): string {
  if (seconds === null) return "none";
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** A 0..1 rate as a whole percent, "none" without a value. */
export function percent(rate: number | null): string {
  return rate === null ? "none" : `${Math.round(rate * 100)} %`;
}
