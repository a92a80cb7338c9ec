// The parts of GitHub's webhook payloads relbot reads. Loose objects: GitHub adds fields over time.
import { z } from "zod";

export const repositorySchema = z.object({
  full_name: z.string(),
  clone_url: z.string().optional(),
  html_url: z.string().optional(),
  ssh_url: z.string().optional(),
});
export type WebhookRepository = z.infer<typeof repositorySchema>;

/** https://docs.github.com/en/webhooks/webhook-events-and-payloads#push */
export const pushSchema = z.object({
  ref: z.string(),
  /** For a tag: the tag object id (annotated) or the commit (lightweight); all zeros when deleted. */
  after: z.string(),
  created: z.boolean(),
  deleted: z.boolean(),
  forced: z.boolean().optional(),
  repository: repositorySchema,
});

/** https://docs.github.com/en/webhooks/webhook-events-and-payloads#create */
export const createSchema = z.object({
  /** Short name ("v1.4.0"), not "refs/tags/v1.4.0". */
  ref: z.string(),
  ref_type: z.string(),
  repository: repositorySchema,
});

export function describePayloadProblems(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`).join("; ");
}
