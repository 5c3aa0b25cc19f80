import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError } from "@skyros/kit/config";
import { freePort } from "@skyros/kit/testing";
import { readGatewayConfig } from "../src/config.ts";

const main = join(import.meta.dirname, "../src/main.ts");

describe("readGatewayConfig", () => {
  test("defaults run on localhost", () => {
    const config = readGatewayConfig({});
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.port, 4000);
    assert.deepEqual(
      config.upstreams.map((upstream) => [upstream.name, upstream.url]),
      [
        ["user", "http://127.0.0.1:4011"],
        ["product", "http://127.0.0.1:4022"],
        ["order", "http://127.0.0.1:4033"],
      ],
    );
    assert.deepEqual(config.requiredUpstreams, ["user", "product", "order"]);
    assert.equal(config.callTimeoutMs, 5000);
    assert.equal(config.bodyLimitBytes, 1_048_576);
    assert.deepEqual(config.corsOrigins, []);
    assert.deepEqual(config.failedLoginLimit, { max: 10, windowMs: 900_000 });
    assert.deepEqual(config.authPerAddressLimit, { max: 300, windowMs: 60_000 });
    assert.deepEqual(config.generalPerAddressLimit, { max: 0, windowMs: 60_000 });
    assert.equal(config.jwtIssuer, "skyros");
    assert.equal(config.jwtAudience, "skyros");
  });

  test("every variable is read", () => {
    const config = readGatewayConfig({
      GATEWAY_HTTP_HOST: "0.0.0.0",
      GATEWAY_HTTP_PORT: "8080",
      USER_SERVICE_URL: "http://user:4011",
      GATEWAY_REQUIRED_SERVICES: "user",
      GATEWAY_CALL_TIMEOUT_MS: "250",
      GATEWAY_CORS_ORIGINS: "https://a.example, http://localhost:3000",
      GATEWAY_BODY_LIMIT_BYTES: "1000",
      GATEWAY_RATE_LIMIT_FAILED_LOGIN_MAX: "3",
      GATEWAY_RATE_LIMIT_AUTH_WINDOW_MS: "1000",
      GATEWAY_RATE_LIMIT_GENERAL_MAX: "100",
      SKYROS_JWT_ISSUER: "issuer",
    });
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.port, 8080);
    assert.equal(config.upstreams[0]?.url, "http://user:4011");
    assert.deepEqual(config.requiredUpstreams, ["user"]);
    assert.equal(config.callTimeoutMs, 250);
    assert.deepEqual(config.corsOrigins, ["https://a.example", "http://localhost:3000"]);
    assert.equal(config.bodyLimitBytes, 1000);
    assert.equal(config.failedLoginLimit.max, 3);
    assert.equal(config.authPerAddressLimit.windowMs, 1000);
    assert.equal(config.generalPerAddressLimit.max, 100);
    assert.equal(config.jwtIssuer, "issuer");
  });

  test("trusted proxies: a yes or no, or the proxies' addresses and ranges", () => {
    const trust = (value?: string) =>
      readGatewayConfig(value === undefined ? {} : { GATEWAY_TRUST_PROXY: value }).trustProxy;
    assert.equal(trust(), false);
    for (const no of ["false", "0", "no", " ", ", ,"]) assert.equal(trust(no), false);
    for (const yes of ["true", "1", "YES"]) assert.equal(trust(yes), true);
    assert.deepEqual(trust("10.0.0.0/8, 192.168.1.20,Loopback, fd00::/8, ::1"), [
      "10.0.0.0/8",
      "192.168.1.20",
      "loopback",
      "fd00::/8",
      "::1",
    ]);
    for (const wrong of [
      "2",
      "proxy.internal",
      "10.0.0.0/33",
      "fd00::/129",
      "10.0.0.0/8/1",
      "10.0.0/8",
      "10.0.0.0/",
    ]) {
      assert.throws(
        () => trust(wrong),
        (error) =>
          error instanceof ConfigError &&
          /^GATEWAY_TRUST_PROXY must be true, false, or the addresses/.test(error.message),
        wrong,
      );
    }
  });

  test("a bad value names its variable", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ GATEWAY_HTTP_PORT: "http" }, /^GATEWAY_HTTP_PORT must be an integer/],
      [{ USER_SERVICE_URL: "user:4011" }, /^USER_SERVICE_URL must be a/],
      [{ GATEWAY_CALL_TIMEOUT_MS: "0" }, /^GATEWAY_CALL_TIMEOUT_MS must be between/],
      [{ GATEWAY_CORS_ORIGINS: "*" }, /^GATEWAY_CORS_ORIGINS must list origins/],
      [{ GATEWAY_REQUIRED_SERVICES: "billing" }, /^GATEWAY_REQUIRED_SERVICES must name services/],
      [{ GATEWAY_REQUIRED_SERVICES: " , " }, /^GATEWAY_REQUIRED_SERVICES lists no service/],
      [{ GATEWAY_RATE_LIMIT_GENERAL_MAX: "-1" }, /^GATEWAY_RATE_LIMIT_GENERAL_MAX must be between/],
      [{ LOG_LEVEL: "loud" }, /^LOG_LEVEL must be one of/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => readGatewayConfig(env),
        (error) => error instanceof ConfigError && message.test(error.message),
      );
    }
  });
});

describe("main", () => {
  test("a bad value stops the process with status 1 and a clear message", async () => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, GATEWAY_HTTP_PORT: "not-a-port" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, "exit");
    assert.equal(code, 1);
    assert.equal(stderr, 'configuration error: GATEWAY_HTTP_PORT must be an integer, got "not-a-port"\n');
  });

  test("a misspelt variable is warned of, and a port in use stops it with one line", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, [main], {
        env: { ...process.env, GATEWAY_HTTP_PORT: String(port), GATEWAY_HTTP_HOTS: "0.0.0.0" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk) => {
        output += chunk;
      });
      child.stderr.on("data", (chunk) => {
        output += chunk;
      });
      const [code] = await once(child, "exit");
      assert.equal(code, 1);
      const lines = output
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual(
        lines.map((line) => line.msg),
        ["ignored variable: no setting has this name", "start failed"],
      );
      assert.equal(lines[0]?.variable, "GATEWAY_HTTP_HOTS");
      assert.equal(lines[0]?.meant, "GATEWAY_HTTP_HOST");
    } finally {
      busy.close();
    }
  });

  test("SIGTERM stops the gateway cleanly", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        GATEWAY_HTTP_PORT: String(port),
        LOG_LEVEL: "silent",
        USER_SERVICE_URL: "http://127.0.0.1:1",
      },
      stdio: "ignore",
    });
    const exited = once(child, "exit");
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200) break;
      } catch {
        assert.ok(i < 200, "the gateway started");
        await new Promise((done) => setTimeout(done, 50));
      }
    }
    child.kill("SIGTERM");
    const [code] = await exited;
    assert.equal(code, 0);
  });
});
