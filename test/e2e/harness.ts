/**
 * End-to-end tests run the real processes (scripts/system.ts) on free ports,
 * each system with databases of its own, and talk REST to the gateway the way
 * a client does.
 */
import { randomBytes } from "node:crypto";
import {
  freePort,
  type JsonRequest,
  type JsonResponse,
  requestJson,
  testAdminUrl,
} from "@skyros/kit/testing";
import { type RunningSystem, type ServiceName, startSystem } from "../../scripts/system.ts";

export type ApiResponse = JsonResponse;

export interface ApiRequest extends JsonRequest {
  readonly token?: string;
}

export interface TestSystem extends RunningSystem {
  /** Calls the gateway. */
  api(method: string, path: string, request?: ApiRequest): Promise<ApiResponse>;
  /** Every output line of a service (JSON log lines), or of the launcher, so far. */
  logs(name: ServiceName | "launcher"): readonly string[];
}

/**
 * Starts every service and the gateway; call destroy() when done. A start that
 * lost a port to another process (EADDRINUSE) is tried again on fresh ports.
 */
export async function startTestSystem(
  env: Record<string, string> = {},
  options: { readonly logFile?: string } = {},
): Promise<TestSystem> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnFreePorts(env, options.logFile);
    } catch (error) {
      if (attempt >= 3 || !String(error).includes("EADDRINUSE")) throw error;
    }
  }
}

async function startOnFreePorts(
  env: Record<string, string>,
  logFile: string | undefined,
): Promise<TestSystem> {
  const logs = new Map<string, string[]>();
  const ports: Partial<Record<ServiceName, number>> = {};
  for (const name of ["user", "product", "order", "gateway"] as const) ports[name] = await freePort();
  const system = await startSystem({
    adminUrl: testAdminUrl(),
    ports,
    namePrefix: `e2e_${randomBytes(4).toString("hex")}`,
    env: { LOG_LEVEL: "info", ...env },
    output: (service, line) => {
      const lines = logs.get(service) ?? [];
      lines.push(line);
      logs.set(service, lines);
      if (process.env.TEST_LOG_LEVEL) process.stderr.write(`[${service}] ${line}\n`);
    },
    ...(logFile === undefined ? {} : { logFile }),
  });
  try {
    await system.waitReady(60_000);
  } catch (error) {
    await system.destroy();
    const tail = [...logs].map(([name, lines]) => `${name}:\n${lines.slice(-20).join("\n")}`).join("\n");
    throw new Error(`${error}\n${tail}`);
  }
  return {
    ...system,
    logs: (name) => logs.get(name) ?? [],
    api(method, path, request = {}) {
      const headers = { ...request.headers };
      if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
      return requestJson(`${system.gatewayUrl}${path}`, method, { ...request, headers });
    },
  };
}

let sequence = 0;

/** A unique email address for a test's own user. */
export function uniqueEmail(tag = "user"): string {
  return `${tag}.${Date.now()}.${process.pid}.${sequence++}@example.com`;
}

/** Registers a user through the gateway and returns its tokens and profile. */
export async function registerUser(
  system: TestSystem,
  type: "buyer" | "seller",
  fields: { name?: string; address?: string } = {},
): Promise<{ token: string; refreshToken: string; id: string; email: string }> {
  const email = uniqueEmail(type);
  const registered = await system.api("POST", `/v1/users/register/${type}`, {
    body: {
      name: fields.name ?? `A ${type}`,
      email,
      password: "correct horse battery",
      address: fields.address ?? "1 Main St",
    },
  });
  if (registered.status !== 200) throw new Error(`register failed: ${registered.status} ${registered.text}`);
  const me = await system.api("GET", "/v1/users/me", { token: registered.body.accessToken });
  return {
    token: registered.body.accessToken,
    refreshToken: registered.body.refreshToken,
    id: me.body.id,
    email,
  };
}
