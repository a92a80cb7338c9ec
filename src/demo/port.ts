// The demo prefers a well-known port (8080, or --port) so its URLs are easy to type, but a port already in use
// must not stop a demo: it then takes any free port and says so.
import { createServer } from "node:net";

export async function choosePort(
  preferred: number,
  hostname: string,
): Promise<{ port: number; taken: boolean }> {
  if (preferred === 0) return { port: 0, taken: false };
  const free = await new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(preferred, hostname, () => probe.close(() => resolve(true)));
  });
  return free ? { port: preferred, taken: false } : { port: 0, taken: true };
}
