// The dashboard's loopback waiver: a person at this machine may open it without a token, when the operator asked
// for that (`server.openDashboardOnLoopback`). "The TCP peer is 127.0.0.1" alone is not "the user is local":
// a web page can point a name it controls at 127.0.0.1 (DNS rebinding) and then read the dashboard through the
// victim's browser, with its own name in Host; a reverse proxy or tunnel on this host makes every visitor's
// request arrive from loopback. So the waiver also wants a loopback Host and no trace of any forwarder.
import type { Context } from "hono";
import { getConnInfo } from "hono/bun";

/** 127.0.0.0/8 and ::1, also when an IPv6 socket reports an IPv4 peer as ::ffff:127.x.x.x. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const ipv4 = address.toLowerCase().replace(/^::ffff:/, "");
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ipv4)) return true;
  return address === "::1" || address === "0:0:0:0:0:0:0:1";
}

/** The Host names a browser on this machine uses for it; anything else reached loopback by another name. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  return /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i.test(host);
}

// Headers proxies, load balancers, CDNs and tunnels add to say "the real client is elsewhere". Any one of them
// (or any X-Forwarded-*/X-Original-* header) ends the waiver; a proxy that adds none is covered by the Host check
// only when it rewrites Host, which is why the waiver is off unless the operator turns it on.
const forwardingHeaders = [
  "forwarded",
  "via",
  "x-real-ip",
  "x-client-ip",
  "client-ip",
  "true-client-ip",
  "cf-connecting-ip",
  "fastly-client-ip",
  "x-cluster-client-ip",
  "x-proxyuser-ip",
];

export function hasForwardingHeader(headers: Headers): boolean {
  for (const name of headers.keys()) {
    if (forwardingHeaders.includes(name)) return true;
    if (name.startsWith("x-forwarded-") || name.startsWith("x-original-")) return true;
  }
  return false;
}

/** The peer's socket address, or undefined when the app runs without a Bun server (app.request in a test). */
function peerAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** True only for a request from a loopback peer, addressed to a loopback Host, that no forwarder touched. */
export function isLocalRequest(c: Context): boolean {
  if (hasForwardingHeader(c.req.raw.headers)) return false;
  if (!isLoopbackHost(c.req.header("host"))) return false;
  return isLoopbackAddress(peerAddress(c));
}
