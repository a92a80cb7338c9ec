import type { Context } from "hono";
import { getConnInfo } from "hono/bun";

/** 127.0.0.0/8 and ::1, also when an IPv6 socket reports an IPv4 peer as ::ffff:127.x.x.x. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const ipv4 = address.toLowerCase().replace(/^::ffff:/, "");
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ipv4)) return true;
  return address === "::1" || address === "0:0:0:0:0:0:0:1";
}

// A reverse proxy on the same host connects from loopback on behalf of anyone. Proxies add one of these headers,
// so their presence means "the real client is elsewhere": no config needed to stay safe behind nginx or Caddy.
const proxyHeaders = ["x-forwarded-for", "forwarded", "x-real-ip"];

/** The peer's socket address, or undefined when the app runs without a Bun server (app.request in a test). */
function peerAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** True only for a request whose TCP peer is loopback and which no proxy forwarded. */
export function isLocalRequest(c: Context): boolean {
  if (proxyHeaders.some((name) => c.req.header(name) !== undefined)) return false;
  return isLoopbackAddress(peerAddress(c));
}
