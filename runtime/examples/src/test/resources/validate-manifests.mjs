// Checks deploy/kubernetes offline: every object against the Kubernetes API schema of its kind
// (kubernetes-models), then what the schema cannot know: that the parts fit each other and fit
// Starfish. Usage: node validate-manifests.mjs <tools dir> <manifests dir> <known STARFISH_* vars>
// Prints one line per object, then "problems: N" and each problem; exits 1 when there is one.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [toolsDir, manifestsDir, knownVarsList] = process.argv.slice(2);
const modules = resolve(toolsDir, "node_modules");
const YAML = createRequire(join(modules, "noop.js"))("yaml");
const knownVars = new Set(knownVarsList.split(","));
const problems = [];
const problem = (text) => problems.push(text);

const kustomization = YAML.parse(readFileSync(join(manifestsDir, "kustomization.yaml"), "utf8"));
const objects = [];
for (const file of kustomization.resources) {
  for (const doc of YAML.parseAllDocuments(readFileSync(join(manifestsDir, file), "utf8"))) {
    if (doc.errors.length) problem(`${file}: YAML: ${doc.errors[0].message}`);
    const object = doc.toJS();
    if (object) objects.push({ file, object });
  }
}

for (const { file, object } of objects) {
  const { apiVersion, kind } = object;
  const label = `${file}: ${kind}/${object.metadata?.name}`;
  let Model;
  try {
    Model = (await import(pathToFileURL(join(modules, "kubernetes-models", apiVersion, `${kind}.js`))))[kind];
  } catch (e) {
    problem(`${label}: no schema for apiVersion ${apiVersion} kind ${kind}`);
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`valid ${label}`);
  } catch (e) {
    problem(`${label}: ${e.message}`);
  }
}

const all = (kind) => objects.map((o) => o.object).filter((o) => o.kind === kind);
const one = (kind) => {
  const found = all(kind);
  if (found.length !== 1) problem(`expected one ${kind}, found ${found.length}`);
  return found[0] ?? {};
};
const matches = (selector, labels) =>
  Object.entries(selector ?? {}).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

const deployment = one("Deployment");
const pod = deployment.spec?.template ?? {};
const podLabels = pod.metadata?.labels ?? {};
const container = pod.spec?.containers?.[0] ?? {};
const ports = Object.fromEntries((container.ports ?? []).map((p) => [p.name, p.containerPort]));
const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

if (!matches(deployment.spec?.selector?.matchLabels, podLabels))
  problem("the Deployment's selector does not match its pod labels");
if (!matches(one("Service").spec?.selector, podLabels))
  problem("the Service does not select the Starfish pods");
if (!matches(one("PodDisruptionBudget").spec?.selector?.matchLabels, podLabels))
  problem("the PodDisruptionBudget does not select the Starfish pods");

const probe = (name, path) => {
  const get = container[name]?.httpGet;
  if (get?.path !== path) problem(`${name} must GET ${path}, is ${get?.path}`);
  if (!(get?.port in ports) && !Object.values(ports).includes(get?.port))
    problem(`${name} uses port ${get?.port}, which the container does not declare`);
};
probe("readinessProbe", "/health/ready");
probe("livenessProbe", "/health/alive");

if (env.STARFISH_JOIN !== "bootstrap") problem("STARFISH_JOIN must be bootstrap (no seed list in a Deployment)");
if (env.STARFISH_DISCOVERY_METHOD === "kubernetes-api") {
  // kubernetes-api discovery lists pods labelled app=<service name>, and probes their port "management".
  if (podLabels.app !== env.STARFISH_DISCOVERY_SERVICE_NAME)
    problem(`pods are labelled app=${podLabels.app}, discovery looks for app=${env.STARFISH_DISCOVERY_SERVICE_NAME}`);
  if (String(ports.management) !== String(env.STARFISH_MANAGEMENT_PORT))
    problem(`port "management" is ${ports.management}, STARFISH_MANAGEMENT_PORT is ${env.STARFISH_MANAGEMENT_PORT}`);
  const account = pod.spec?.serviceAccountName;
  const bound = all("RoleBinding").some(
    (b) => b.subjects?.some((s) => s.kind === "ServiceAccount" && s.name === account) &&
      all("Role").some(
        (r) => r.metadata.name === b.roleRef?.name &&
          r.rules?.some((rule) => rule.resources?.includes("pods") && rule.verbs?.includes("list"))));
  if (!bound) problem(`service account ${account} may not list pods (kubernetes-api discovery needs it)`);
  if (!all("ServiceAccount").some((a) => a.metadata.name === account))
    problem(`service account ${account} is not defined`);
}
if (String(ports.http) !== String(env.STARFISH_HTTP_PORT))
  problem(`port "http" is ${ports.http}, STARFISH_HTTP_PORT is ${env.STARFISH_HTTP_PORT}`);
if (env.STARFISH_HOST?.fieldRef?.fieldPath !== "status.podIP")
  problem("STARFISH_HOST must be the pod's IP (remoting and management advertise it)");
if (!((pod.spec?.terminationGracePeriodSeconds ?? 30) >= 45))
  problem("terminationGracePeriodSeconds below 45 s cuts the graceful leave short");

const configMaps = Object.fromEntries(all("ConfigMap").map((c) => [c.metadata.name, c]));
const variables = new Set(Object.keys(env));
for (const from of container.envFrom ?? []) {
  const name = from.configMapRef?.name;
  if (!name) continue;
  if (!configMaps[name]) problem(`envFrom names ConfigMap ${name}, which is not defined`);
  Object.keys(configMaps[name]?.data ?? {}).forEach((k) => variables.add(k));
}
for (const variable of variables) {
  if (variable.startsWith("STARFISH_") && !knownVars.has(variable))
    problem(`${variable} is not a variable Starfish reads`);
}

console.log(`problems: ${problems.length}`);
problems.forEach((p) => console.log(`PROBLEM ${p}`));
process.exit(problems.length ? 1 : 0);
