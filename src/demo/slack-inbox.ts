// Stands in for Slack's response_url on 127.0.0.1: relbot posts the promotion's result there when it has run,
// and the demo prints what the user would have seen in the channel.
import { waitFor } from "./poll.ts";

export interface SlackInbox {
  /** A response_url for one command. */
  responseUrl: string;
  /** Messages posted so far, oldest first. */
  messages(): string[];
  /** Waits (bounded) until relbot has posted a message; returns the first. */
  firstMessage(timeoutMs: number): Promise<string>;
  stop(): Promise<void>;
}

export function startSlackInbox(): SlackInbox {
  const received: string[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      if (request.method !== "POST") return new Response("not found", { status: 404 });
      const message = (await request.json().catch(() => ({}))) as { text?: string };
      received.push(message.text ?? "");
      return new Response("ok");
    },
  });
  return {
    responseUrl: `http://127.0.0.1:${server.port}/commands/T0DEMO/1/demo`,
    messages: () => [...received],
    firstMessage: (timeoutMs) =>
      waitFor<string>(
        "relbot's result on Slack's response_url",
        async () => (received[0] === undefined ? { pending: "nothing posted yet" } : { done: received[0] }),
        { timeoutMs },
      ),
    stop: () => server.stop(true),
  };
}
