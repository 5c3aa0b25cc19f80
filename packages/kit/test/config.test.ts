import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ConfigError,
  envBool,
  envInt,
  envList,
  envLogLevel,
  envPort,
  envString,
  envUrl,
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
});
