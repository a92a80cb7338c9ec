// Protected environments on the dashboard: the promotions awaiting approval, with approve/reject buttons for a
// signed-in token that may promote. The same rules as chat and the API (decideApproval: never the requester, each
// approver once); the buttons POST a form carrying a CSRF token bound to the session (an HMAC of the session cookie
// under a per-process key), on top of the SameSite=Strict session cookie and hono's same-origin check.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { getCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { html } from "hono/html";
import { countedApprovers } from "../../domain/approvals.ts";
import type { ApprovalOutcome, ApprovalVote } from "../../promotion/approval.ts";
import type { PromotionRow } from "../../store/index.ts";
import type { RelbotApp } from "../app.ts";
import type { TokenRegistry } from "../auth.ts";
import { errorBody } from "../errors.ts";
import { sessionCookie } from "./access.ts";
import type { DashboardFilter } from "./filters.ts";
import { versionLink } from "./links.ts";
import { dashboardPath } from "./paths.ts";

export const approvalFormPath = "/dashboard/promotions/:id/:decision";

/** Binds a form to the browser session that loaded it: a cross-site page cannot read it, so cannot post it. */
export class DashboardCsrf {
  private readonly key = randomBytes(32);
  tokenFor(session: string): string {
    return createHmac("sha256", this.key).update(session).digest("base64url");
  }
  matches(session: string, presented: unknown): boolean {
    if (typeof presented !== "string") return false;
    const expected = Buffer.from(this.tokenFor(session));
    const given = Buffer.from(presented);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** The signed-in token when it may approve (promote scope), else undefined. */
export function approverSession(tokens: TokenRegistry, session: string | undefined) {
  if (!session) return undefined;
  const token = tokens.identify(session);
  return token?.scopes.includes("promote") ? { name: token.name, session } : undefined;
}

/**
 * What waits for approval within the dashboard's filter (app and environment), and how many wait outside it (an
 * approver who filtered on one app still sees that others wait). The status filter is the timeline's: everything
 * here has the status awaiting-approval, so a note says it is not applied rather than emptying the section.
 */
export interface ApprovalsView {
  pending: readonly PromotionRow[];
  /** Promotions awaiting approval that the app/environment filter leaves out; "more" when past the count's bound. */
  elsewhere: number | "more";
  filter: DashboardFilter;
}

export function renderPendingApprovals(view: ApprovalsView, csrfToken: string | undefined) {
  const { pending, elsewhere, filter } = view;
  if (pending.length === 0 && elsewhere === 0) return "";
  const narrowed = [filter.app, filter.env].filter((v) => v !== undefined).join(" · ");
  const outside =
    elsewhere === 0
      ? ""
      : html`<p class="muted" id="approvals-elsewhere">${pending.length === 0 ? "None for this filter; " : ""}${elsewhere === "more" ? "more" : elsewhere} awaiting approval outside it (<a href="${dashboardPath}">show all</a>).</p>`;
  const statusNote = filter.status
    ? html`<p class="muted" id="approvals-status-note">The status filter narrows the timeline only: everything here is awaiting-approval.</p>`
    : "";
  const rows = pending.map((p) => {
    const approvers = countedApprovers({ requester: p.actor, approvals: p.approvals ?? [] });
    const buttons = csrfToken
      ? html`<form method="post" action="/dashboard/promotions/${p.id}/approve"><input type="hidden" name="csrf" value="${csrfToken}"><button type="submit" data-action="approve">Approve</button></form>
<form method="post" action="/dashboard/promotions/${p.id}/reject"><input type="hidden" name="csrf" value="${csrfToken}"><input name="reason" placeholder="reason" aria-label="reason"><button type="submit" data-action="reject">Reject</button></form>`
      : html`<span class="muted">sign in with a promote token to approve</span>`;
    return html`<tr data-promotion="${p.id}"><td data-label="app">${p.app}</td><td data-label="env">${p.env}</td><td data-label="version">${versionLink(p.app, p.toVersion)}</td><td data-label="requested by">${p.actor}</td><td data-label="approvals">${approvers.length} of ${p.approvalsRequired ?? 0}${approvers.length > 0 ? ` (${approvers.join(", ")})` : ""}</td><td class="decide">${buttons}</td></tr>`;
  });
  const table =
    pending.length === 0
      ? ""
      : html`<div class="scroll"><table class="approvals stack"><thead><tr><th>app</th><th>env</th><th>version</th><th>requested by</th><th>approvals</th><th></th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
  return html`<section aria-labelledby="approvals">
<h2 id="approvals">Awaiting approval${narrowed ? html` <span class="muted">(${narrowed} only)</span>` : ""}</h2>
${statusNote}${table}${outside}
</section>`;
}

export function registerDashboardApprovals(
  app: RelbotApp,
  deps: {
    tokens: TokenRegistry;
    csrf: DashboardCsrf;
    decideApproval(vote: ApprovalVote): Promise<ApprovalOutcome>;
  },
): void {
  // Same-origin form posts only (Origin or Sec-Fetch-Site), before anything else is looked at.
  app.use("/dashboard/promotions/*", csrf());
  app.post(approvalFormPath, async (c) => {
    const decision = c.req.param("decision");
    const id = c.req.param("id");
    if ((decision !== "approve" && decision !== "reject") || !/^prm_[0-9a-z]{26}$/i.test(id)) {
      return c.json(errorBody("not_found", "no such form"), 404);
    }
    // Only the session cookie: a form post from the dashboard, never a bearer header (use the API for that).
    const approver = approverSession(deps.tokens, getCookie(c, sessionCookie));
    if (!approver) {
      return c.json(errorBody("forbidden", "sign in with an API token that has the promote scope"), 403);
    }
    const form = await c.req.parseBody();
    if (!deps.csrf.matches(approver.session, form.csrf)) {
      return c.json(
        errorBody("forbidden", "the form's CSRF token is missing or does not match this session"),
        403,
      );
    }
    const reason =
      typeof form.reason === "string" && form.reason.trim() ? form.reason.trim().slice(0, 2000) : undefined;
    // Refusals (own request, not an approver, not waiting) are RelbotErrors: the app's error handler answers them.
    await deps.decideApproval({
      promotionId: id,
      actor: approver.name,
      decision,
      source: "api",
      ...(reason ? { reason } : {}),
    });
    return c.redirect(dashboardPath, 303);
  });
}
