import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ConfigError,
  envBool,
  envInt,
  envList,
  envLogLevel,
  envPort,
  envPostgresUrl,
  envString,
  envUrl,
  ignoredVariables,
} from "../src/config.ts";
import { readServiceBaseConfig } from "../src/service-config.ts";

describe("configuration", () => {
  test("values are parsed, with defaults for unset and blank variables", () => {
    const env = { A: "7", B: "yes", C: " a, b ,,c ", D: "  " };
    assert.equal(envInt(env, "A", 1), 7);
    assert.equal(envInt(env, "MISSING", 3), 3);
    assert.equal(envBool(env, "B", false), true);
    assert.deepEqual(envList(env, "C"), ["a", "b", "c"]);
    assert.equal(envString(env, "D", "fallback"), "fallback");
    assert.equal(envLogLevel({ LEVEL: "debug" }, "LEVEL", "info"), "debug");
    assert.equal(envLogLevel({}, "LEVEL", "warn"), "warn");
  });

  test("a bad value names its variable", () => {
    assert.throws(
      () => envInt({ PORT: "eighty" }, "PORT", 1),
      new ConfigError('PORT must be an integer, got "eighty"'),
    );
    assert.throws(() => envPort({ PORT: "70000" }, "PORT", 1), /PORT must be between 0 and 65535/);
    assert.throws(() => envBool({ FLAG: "maybe" }, "FLAG", false), /FLAG must be true or false/);
    assert.throws(() => envUrl({ DB: "mysql://x" }, "DB", ["postgres:"]), /DB must be a postgres: URL/);
    assert.throws(() => envString({}, "REQUIRED"), /REQUIRED is required/);
    assert.throws(
      () => envLogLevel({ LEVEL: "loud" }, "LEVEL", "info"),
      new ConfigError('LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "loud"'),
    );
  });

  test("a service's shared configuration reads its own prefix", () => {
    const config = readServiceBaseConfig(
      { SKYROS_SERVICE_CREDENTIAL: "0123456789abcdef", PRODUCT_GRPC_PORT: "5000", LOG_LEVEL: "warn" },
      "PRODUCT",
      4022,
    );
    assert.equal(config.port, 5000);
    assert.equal(config.logLevel, "warn");
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.userServiceUrl, "http://127.0.0.1:4011");
    assert.throws(() => readServiceBaseConfig({}, "USER", 4011), /SKYROS_SERVICE_CREDENTIAL is required/);
    assert.throws(
      () => readServiceBaseConfig({ SKYROS_SERVICE_CREDENTIAL: "short" }, "USER", 4011),
      /at least 16 characters/,
    );
    assert.throws(
      () =>
        readServiceBaseConfig(
          { SKYROS_SERVICE_CREDENTIAL: "0123456789abcdef", LOG_LEVEL: "loud" },
          "USER",
          4011,
        ),
      ConfigError,
    );
  });

  test("a database URL must name its server and its database", () => {
    for (const url of ["postgres://u:p@db:5432/shop", "postgresql:///shop?host=/run/postgresql"])
      assert.equal(envPostgresUrl({ DB: url }, "DB"), url);
    assert.equal(envPostgresUrl({ DB: " " }, "DB"), undefined);
    for (const url of [
      "postgres://",
      "postgres://u:p@db:5432",
      "postgres://u:p@db:5432/",
      "postgres:///shop",
    ])
      assert.throws(
        () => envPostgresUrl({ DB: url }, "DB"),
        /^ConfigError: DB must name the server and the database/,
        url,
      );
  });

  test("variables of a process's own prefix that it never reads are found, with what was meant", () => {
    const parse = (env: Record<string, string | undefined>) => readServiceBaseConfig(env, "USER", 4011);
    const env = {
      SKYROS_SERVICE_CREDENTIAL: "0123456789abcdef",
      USER_GRPC_PROT: "5491",
      USER_ACCESS_TOKEN_TIMEOUT: "5",
      USER_GRPC_PORT: "4011",
      USER_SERVICE_HOST: "10.0.0.7",
      USER_PORT_4011_TCP_ADDR: "10.0.0.7",
      USER_PORT: "tcp://10.0.0.7:4011",
      USER_GRCP_PORT: "1",
      USER_METRIC_PORT: "1",
      USER_ADMIN_PORT: "1",
      PRODUCT_SERVICE_URL: "http://product:4022",
      ORDER_GRPC_PROT: "1",
      HOME: "/home/node",
    };
    assert.deepEqual(ignoredVariables(parse, env, ["USER_"]), [
      { name: "USER_ACCESS_TOKEN_TIMEOUT" },
      { name: "USER_ADMIN_PORT" },
      { name: "USER_GRCP_PORT", meant: "USER_GRPC_PORT" },
      { name: "USER_GRPC_PROT", meant: "USER_GRPC_PORT" },
      { name: "USER_METRIC_PORT", meant: "USER_METRICS_PORT" },
    ]);
  });
});
