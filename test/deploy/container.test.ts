// The Deployment and the image agree with relbot's code: the config the ConfigMap carries is one relbot accepts,
// every secret it names comes from the Secret, and `relbot serve`, started with the container's arguments and
// environment, answers the probes on the port the manifests name.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig } from "../../src/config/index.ts";
import { cli } from "../support/cli.ts";
import { eventually } from "../support/eventually.ts";
import { type GitServer, startGitServer } from "../support/git-server.ts";
import { createGitopsRepo } from "../support/gitops-repo.ts";
import { manifestOf, relbotContainer, runtimeStage } from "./manifests.ts";

const configData = () => (manifestOf("ConfigMap", "relbot-config") as { data: Record<string, string> }).data;
const configMountPath = () =>
  relbotContainer().volumeMounts.find((m) => m.name === "config")?.mountPath ?? "";
/** Every `*Env` value in the config: the variables relbot reads secrets from. */
const secretVariables = (configText: string) =>
  [...configText.matchAll(/\b\w+Env:\s*([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1] as string);

describe("the Deployment agrees with relbot", () => {
  test("the ConfigMap's relbot.yaml is a config relbot accepts, with its state under /data", () => {
    const { config } = parseConfig(configData()["relbot.yaml"] ?? "", "/etc/relbot/relbot.yaml");
    expect(config.database.path.startsWith("/data/")).toBe(true);
    expect(config.gitops.cacheDir.startsWith("/data/")).toBe(true);
    // The container reads the config where the ConfigMap is mounted, and every file the config names is a key of it.
    expect(relbotContainer().args).toContain(`${configMountPath()}/relbot.yaml`);
    for (const set of Object.values(config.signers)) {
      for (const file of [...set.openpgp, ...(set.ssh ? [set.ssh] : [])]) {
        expect(path.dirname(file)).toBe(configMountPath());
        expect(Object.keys(configData())).toContain(path.basename(file));
      }
    }
  });

  test("every secret the config names comes from the Secret, and nothing else is set", () => {
    const named = secretVariables(configData()["relbot.yaml"] ?? "");
    expect(named.length).toBeGreaterThan(0);
    const env = relbotContainer().env;
    expect(env.map((variable) => variable.name).sort()).toEqual([...new Set(named)].sort());
    for (const variable of env) expect(variable.valueFrom?.secretKeyRef?.key).toBe(variable.name);
  });

  test("the image runs as the UID the pod asks for, exposes the container port and starts relbot's CLI", () => {
    // Instructions only: the comments may well mention git.
    const stage = runtimeStage()
      .filter((line) => !line.trimStart().startsWith("#"))
      .join("\n");
    const pod = manifestOf("Deployment", "relbot") as {
      spec: { template: { spec: { securityContext: { runAsUser: number; runAsGroup: number } } } };
    };
    const { runAsUser, runAsGroup } = pod.spec.template.spec.securityContext;
    expect(stage).toMatch(new RegExp(`^USER ${runAsUser}:${runAsGroup}$`, "m"));
    const port = relbotContainer().ports.find((p) => p.name === "http")?.containerPort;
    expect(stage).toMatch(new RegExp(`^EXPOSE ${port}$`, "m"));
    const { config } = parseConfig(configData()["relbot.yaml"] ?? "", "/etc/relbot/relbot.yaml");
    expect(config.server.port).toBe(port as number);
    expect(stage).toMatch(/^ENTRYPOINT \["bun", "src\/cli\.ts"\]$/m);
    // `relbot serve` needs no git, gpg or ssh-keygen: the runtime stage installs nothing.
    expect(stage).not.toMatch(/apt-get|apk add|\bgit\b|gnupg|openssh/);
  });
});

describe("relbot serve with the container's arguments and environment", () => {
  let server: GitServer;
  let workspace: string;
  let child: ReturnType<typeof Bun.spawn> | undefined;
  let baseUrl = "";

  beforeAll(async () => {
    server = await startGitServer();
    const gitops = createGitopsRepo(server, { "README.md": "environments\n" });
    workspace = mkdtempSync(path.join(tmpdir(), "relbot-deploy-"));
    // The ConfigMap mounted as files, /data as a directory of its own, the hosts swapped for local stand-ins.
    const mount = path.join(workspace, "etc-relbot");
    const data = path.join(workspace, "data");
    mkdirSync(mount);
    mkdirSync(data);
    for (const [key, value] of Object.entries(configData())) {
      const text = value
        .replaceAll("/data/", `${data}/`)
        .replace(/url: https:\/\/github\.com\/acme\/gitops\.git/, `url: ${gitops.url}`)
        .replaceAll("https://github.com/acme/", `${server.url}/missing-`)
        .replace("https://api.github.com", "http://127.0.0.1:9");
      writeFileSync(path.join(mount, key), text);
    }
    const container = relbotContainer();
    const args = container.args.map((arg) => arg.replace(configMountPath(), mount));
    const port = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      PORT: String(port),
      RELBOT_LOG_LEVEL: "warn",
    };
    for (const variable of container.env) env[variable.name] = `test-${variable.name.toLowerCase()}`;
    child = Bun.spawn([process.execPath, cli, ...args], {
      env,
      cwd: workspace,
      stdout: "ignore",
      stderr: "pipe",
    });
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    child?.kill();
    await child?.exited;
    await server?.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  test("answers the liveness and readiness probes at the paths the Deployment names", async () => {
    const container = relbotContainer();
    expect(container.livenessProbe.httpGet.port).toBe("http");
    expect(container.readinessProbe.httpGet.port).toBe("http");
    const status = async (probePath: string) => {
      try {
        return (await fetch(`${baseUrl}${probePath}`)).status;
      } catch {
        return 0; // not listening yet
      }
    };
    await eventually(
      `relbot ready at ${container.readinessProbe.httpGet.path}`,
      async () => (await status(container.readinessProbe.httpGet.path)) === 200,
    );
    expect(await status(container.livenessProbe.httpGet.path)).toBe(200);
    expect(await status("/no-such-probe")).toBe(404);
  });
});

async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const { port } = probe;
  await probe.stop(true);
  return port as number;
}
