/**
 * The deployment files against the code they deploy. Nothing else runs them
 * before a user does, and a mistake in one fails late and quietly: a variable
 * misspelt is ignored and its default used, a service started without its
 * database URL starts an embedded PostgreSQL of its own inside the container,
 * a probe on the wrong port restarts a healthy pod. So every process that
 * deploy/compose.yaml or deploy/k8s starts is given to its own service's
 * configuration reader, as the process would read it at start-up.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { OrderService } from "@skyros/contracts/skyros/order/v1/order_pb.js";
import { ProductService } from "@skyros/contracts/skyros/product/v1/product_pb.js";
import { UserService } from "@skyros/contracts/skyros/user/v1/user_pb.js";
import type { Env } from "@skyros/kit/config";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Service as K8sService } from "kubernetes-models/v1/Service";
import { parse, parseAllDocuments } from "yaml";
import { readGatewayConfig } from "../../services/gateway/src/config.ts";
import { readOrderConfig } from "../../services/order/src/config.ts";
import { readProductConfig } from "../../services/product/src/config.ts";
import { readUserConfig } from "../../services/user/src/config.ts";

const DEPLOY = join(import.meta.dirname, "../../deploy");
const SERVICES = ["user", "product", "order", "gateway"] as const;
type Service = (typeof SERVICES)[number];

interface ReadConfig {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl?: string | undefined;
  readonly metricsPort?: number | undefined;
}

const readers: Record<Service, (env: Env) => ReadConfig> = {
  user: readUserConfig,
  product: readProductConfig,
  order: readOrderConfig,
  gateway: readGatewayConfig,
};

/** Variables the image itself reads, not the service: which service to run, Node's options. */
const IMAGE_VARIABLES = new Set(["SERVICE", "NODE_OPTIONS"]);

/** Reads `service`'s configuration from `env`, and the names of the variables it looked at. */
function readAs(service: Service, env: Record<string, string>): { config: ReadConfig; read: Set<string> } {
  const read = new Set<string>();
  const watched = new Proxy(env, {
    get(target, name) {
      if (typeof name === "string") read.add(name);
      return Reflect.get(target, name);
    },
  });
  return { config: readers[service](watched), read };
}

/** The `SERVICE` a container runs, checked to be one of ours. */
function serviceOf(env: Record<string, string>, where: string): Service {
  const service = env.SERVICE as Service;
  assert.ok(SERVICES.includes(service), `${where}: SERVICE is ${env.SERVICE}`);
  return service;
}

/** Checks that a service URL names a peer by its address in this deployment, on the port it serves. */
function assertPeerUrl(
  url: string,
  peers: ReadonlyMap<string, { service: Service; port: number }>,
  name: string,
) {
  const { hostname, port } = new URL(url);
  const peer = peers.get(hostname);
  assert.ok(peer, `${name}: ${hostname} is not a service of this deployment`);
  assert.equal(`${peer.service.toUpperCase()}_SERVICE_URL`, name, `${name} names ${peer.service}`);
  assert.equal(Number(port), peer.port, `${name}: ${peer.service} listens on ${peer.port}`);
}

const SERVICE_URLS = ["USER_SERVICE_URL", "PRODUCT_SERVICE_URL", "ORDER_SERVICE_URL"];
/** The gRPC service each database service serves, as its health reports it. */
const grpcServiceOf: Record<Exclude<Service, "gateway">, string> = {
  user: UserService.typeName,
  product: ProductService.typeName,
  order: OrderService.typeName,
};

describe("deploy/compose.yaml", () => {
  const text = readFileSync(join(DEPLOY, "compose.yaml"), "utf8");
  // Values compose takes from the environment: stand-ins of the required shape.
  const interpolated = text.replace(/\$\{([A-Z_]+)(?::[?-][^}]*)?\}/g, (_, name: string) =>
    name === "SKYROS_SERVICE_CREDENTIAL" ? "a-credential-of-32-characters-xx" : `value-of-${name}`,
  );
  const compose = parse(interpolated, { merge: true }) as {
    services: Record<
      string,
      { environment?: Record<string, string>; healthcheck?: { test: string[] }; ports?: string[] }
    >;
  };
  const containers = Object.entries(compose.services).filter(([name]) => name !== "postgres");
  const started = containers.map(([name, container]) => {
    const env = Object.fromEntries(
      Object.entries(container.environment ?? {}).map(([k, v]) => [k, String(v)]),
    );
    const service = serviceOf(env, name);
    return { name, container, env, service, ...readAs(service, env) };
  });
  const peers = new Map(started.map((s) => [s.name, { service: s.service, port: s.config.port }]));

  test("runs each service once, named after it", () => {
    assert.deepEqual(started.map((s) => s.name).sort(), [...SERVICES].sort());
    for (const s of started) assert.equal(s.name, s.service);
  });

  test("every variable a container is given is one its service reads", () => {
    for (const s of started) {
      const unread = Object.keys(s.env).filter((name) => !s.read.has(name) && !IMAGE_VARIABLES.has(name));
      // The shared block goes to every container; a service may not need all of it.
      const shared = new Set(SERVICE_URLS);
      assert.deepEqual(
        unread.filter((name) => !shared.has(name)),
        [],
        `${s.name} is given variables it never reads`,
      );
    }
  });

  test("each service listens on every interface, where its health check and peers look", () => {
    for (const s of started) {
      assert.equal(s.config.host, "0.0.0.0", `${s.name} must listen beyond the container's loopback`);
      const check = s.container.healthcheck?.test.join(" ") ?? "";
      assert.match(check, new RegExp(`127\\.0\\.0\\.1:${s.config.port}\\b`), `${s.name}'s health check`);
      // A database service is healthy once its database answers too, so that the
      // gateway starts after them; the gateway is healthy while it runs.
      if (s.service !== "gateway")
        assert.equal(typeof s.config.metricsPort, "number", `${s.name} serves metrics`);
      if (s.service === "gateway") assert.match(check, /\/healthz/);
      else
        assert.ok(
          s.container.healthcheck?.test.includes(grpcServiceOf[s.service]),
          `${s.name} asks about its service`,
        );
      for (const name of SERVICE_URLS) {
        if (s.read.has(name) && s.env[name] !== undefined) assertPeerUrl(s.env[name], peers, name);
      }
    }
    const gateway = started.find((s) => s.service === "gateway");
    assert.deepEqual(gateway?.container.ports, [`4000:${gateway?.config.port}`]);
  });

  test("each database service uses its own database and role, as postgres-init.sql creates them", () => {
    const init = readFileSync(join(DEPLOY, "postgres-init.sql"), "utf8");
    const roles = new Map(
      [...init.matchAll(/create role (\w+) login password '([^']+)'/g)].map((m) => [m[1], m[2]]),
    );
    const owners = new Map([...init.matchAll(/create database (\w+) owner (\w+)/g)].map((m) => [m[1], m[2]]));
    const databases = new Set<string>();
    for (const s of started.filter((s) => s.service !== "gateway")) {
      assert.ok(s.config.databaseUrl, `${s.name} has no database URL: it would start an embedded one`);
      const url = new URL(s.config.databaseUrl);
      const database = url.pathname.slice(1);
      assert.equal(url.hostname, "postgres");
      assert.equal(owners.get(database), url.username, `${database} belongs to ${url.username}`);
      assert.equal(roles.get(url.username), url.password, `${url.username}'s password`);
      databases.add(database);
    }
    assert.equal(databases.size, 3, "one database per service");
  });
});

interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, unknown>;
    ports?: { name?: string; port: number; targetPort?: string | number }[];
    template?: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: K8sPodSpec;
    };
  };
}

interface K8sPodSpec {
  securityContext?: { runAsUser?: number; runAsNonRoot?: boolean };
  containers: {
    name: string;
    ports?: { name: string; containerPort: number }[];
    env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
    envFrom?: { configMapRef?: { name: string } }[];
    readinessProbe?: K8sProbe;
    livenessProbe?: K8sProbe;
    securityContext?: { readOnlyRootFilesystem?: boolean };
  }[];
}

interface K8sProbe {
  grpc?: { port: number; service?: string };
  httpGet?: { path: string; port: string | number };
}

/** Stand-ins for the Secrets the README asks an operator to create. */
function secretValue(name: string): string {
  if (name === "skyros-service-credential") return "a-credential-of-32-characters-xx";
  if (name === "skyros-redis") return "redis://redis:6379";
  const database = /^skyros-(\w+)-database$/.exec(name)?.[1];
  assert.ok(database, `an unknown Secret: ${name}`);
  return `postgres://skyros_${database}:secret@postgres.example:5432/skyros_${database}`;
}

describe("deploy/k8s", () => {
  const folder = join(DEPLOY, "k8s");
  const kustomization = parse(readFileSync(join(folder, "kustomization.yaml"), "utf8")) as {
    resources: string[];
  };
  const objects = kustomization.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(folder, file), "utf8")).map((document) => {
      assert.deepEqual(document.errors, [], file);
      return document.toJS() as K8sObject;
    }),
  );
  const configMaps = new Map(
    objects.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata.name, o.data ?? {}]),
  );
  const deployments = objects
    .filter((o) => o.kind === "Deployment")
    .map((deployment) => {
      const pod = deployment.spec?.template?.spec;
      assert.ok(pod, deployment.metadata.name);
      assert.equal(pod.containers.length, 1);
      const [container] = pod.containers;
      assert.ok(container);
      const shared: Record<string, string> = {};
      for (const source of container.envFrom ?? []) {
        const data = configMaps.get(source.configMapRef?.name ?? "");
        assert.ok(data, `${deployment.metadata.name} reads a ConfigMap that is not deployed`);
        Object.assign(shared, data);
      }
      const own: Record<string, string> = {};
      for (const variable of container.env ?? []) {
        const secret = variable.valueFrom?.secretKeyRef;
        own[variable.name] = secret ? secretValue(secret.name) : String(variable.value);
      }
      const env = { ...shared, ...own };
      const service = serviceOf(env, deployment.metadata.name);
      return { deployment, pod, container, own, env, service, ...readAs(service, env) };
    });
  const services = objects.filter((o) => o.kind === "Service");

  test("every object is valid against its Kubernetes schema", () => {
    // Types, required fields and enumerations, from the API's OpenAPI document
    // (fields the schema does not know are not reported: the tests below check
    // the ones that matter by name).
    const models: Record<string, new (data: never) => { validate(): void }> = {
      ConfigMap,
      Deployment,
      Service: K8sService,
    };
    for (const object of objects) {
      const Model = models[object.kind];
      assert.ok(Model, `a kind this test does not know: ${object.kind}`);
      assert.doesNotThrow(
        () => new Model(object as never).validate(),
        `${object.kind} ${object.metadata.name}`,
      );
    }
  });

  test("kustomization.yaml deploys every manifest of the folder", () => {
    const files = readdirSync(folder).filter(
      (file) => file.endsWith(".yaml") && file !== "kustomization.yaml",
    );
    assert.deepEqual([...kustomization.resources].sort(), files.sort());
    assert.deepEqual(deployments.map((d) => d.service).sort(), [...SERVICES].sort());
  });

  test("every variable a container sets is one its service reads, and the shared ones are each read somewhere", () => {
    for (const d of deployments) {
      const unread = Object.keys(d.own).filter((name) => !d.read.has(name) && !IMAGE_VARIABLES.has(name));
      assert.deepEqual(unread, [], `${d.deployment.metadata.name} sets variables it never reads`);
    }
    for (const [name, data] of configMaps) {
      for (const variable of Object.keys(data)) {
        assert.ok(
          deployments.some((d) => d.read.has(variable)),
          `${variable} of ConfigMap ${name} is read by no service`,
        );
      }
    }
  });

  test("each database service has its database URL (else it would start an embedded PostgreSQL)", () => {
    for (const d of deployments.filter((d) => d.service !== "gateway")) {
      assert.ok(d.config.databaseUrl, d.deployment.metadata.name);
      assert.match(d.config.databaseUrl, new RegExp(`skyros_${d.service}$`));
    }
  });

  test("each container listens on every interface, on the port it declares and is probed on", () => {
    for (const d of deployments) {
      assert.equal(d.config.host, "0.0.0.0", d.deployment.metadata.name);
      const ports = d.container.ports ?? [];
      assert.equal(ports[0]?.containerPort, d.config.port, `${d.deployment.metadata.name}'s containerPort`);
      if (d.service === "gateway") assert.equal(ports.length, 1);
      else {
        // The metrics port, as the service reads it, declared and announced to Prometheus.
        assert.deepEqual(ports[1], { name: "metrics", containerPort: d.config.metricsPort });
        const annotations = d.deployment.spec?.template?.metadata.annotations ?? {};
        assert.equal(annotations["prometheus.io/port"], String(d.config.metricsPort));
      }
      for (const probe of [d.container.readinessProbe, d.container.livenessProbe]) {
        assert.ok(probe, `${d.deployment.metadata.name} has both probes`);
        if (probe.grpc) assert.equal(probe.grpc.port, d.config.port);
        else assert.equal(probe.httpGet?.port, ports[0]?.name);
      }
      if (d.service === "gateway") {
        assert.deepEqual(
          [d.container.readinessProbe?.httpGet?.path, d.container.livenessProbe?.httpGet?.path],
          ["/healthz", "/healthz"],
        );
      } else {
        // Readiness asks about the service (which needs its database); liveness only the server.
        assert.equal(d.container.readinessProbe?.grpc?.service, grpcServiceOf[d.service]);
        assert.equal(d.container.livenessProbe?.grpc?.service ?? "", "");
      }
    }
  });

  test("each Service selects its Deployment's pods, and the service URLs name it on its port", () => {
    const peers = new Map<string, { service: Service; port: number }>();
    for (const s of services) {
      const matches = deployments.filter((d) =>
        Object.entries(s.spec?.selector ?? {}).every(
          ([k, v]) => d.deployment.spec?.template?.metadata.labels[k] === v,
        ),
      );
      assert.equal(matches.length, 1, `Service ${s.metadata.name} selects one Deployment`);
      const [target] = matches;
      assert.ok(target);
      const [port] = s.spec?.ports ?? [];
      assert.ok(port);
      assert.ok(
        target.container.ports?.some(
          (p) => p.name === port.targetPort || p.containerPort === port.targetPort,
        ),
        `Service ${s.metadata.name}'s targetPort`,
      );
      if (target.service !== "gateway") {
        assert.equal(port.port, target.config.port, `Service ${s.metadata.name} keeps the service's port`);
      }
      peers.set(s.metadata.name, { service: target.service, port: port.port });
    }
    for (const d of deployments) {
      for (const name of SERVICE_URLS) {
        if (d.read.has(name) && d.env[name] !== undefined) assertPeerUrl(d.env[name], peers, name);
      }
    }
  });

  test("pods run as the image's unprivileged user, on a read-only file system", () => {
    const dockerfile = readFileSync(join(DEPLOY, "Dockerfile"), "utf8");
    // The node user of the official Node images is uid 1000.
    assert.match(dockerfile, /^USER node$/m);
    for (const d of deployments) {
      assert.equal(d.pod.securityContext?.runAsNonRoot, true);
      assert.equal(d.pod.securityContext?.runAsUser, 1000);
      assert.equal(d.container.securityContext?.readOnlyRootFilesystem, true);
    }
  });
});
