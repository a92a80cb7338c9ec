// Stands in for Slack's response_url on 127.0.0.1: relbot posts the promotion's result there when it has run,
// and the demo prints what the user would have seen in the channel.
export interface SlackInbox {
  /** A response_url for one command. */
  responseUrl: string;
  /** Messages posted so far, oldest first. */
  messages(): string[];
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
    stop: () => server.stop(true),
  };
}
