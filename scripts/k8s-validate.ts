import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { SUBGRAPH_NAMES } from '../lib/config';

// `npx tsx scripts/k8s-validate.ts [dir]`: checks the Kubernetes manifests offline against the
// API schemas in the kubernetes-models package, twice: its JSON-schema validators catch missing
// fields, wrong types and bad formats (quantities, ports), and its TypeScript types catch
// misspelt or misplaced fields, which the schemas allow (like kubeconform without -strict).
const root = path.join(__dirname, '..');
const dir = path.resolve(root, process.argv[2] ?? 'deploy/k8s');

type Manifest = { file: string; index: number; apiVersion: string; kind: string; name: string; body: object };

const problems: string[] = [];
const files = readdirSync(dir).filter((file) => /\.ya?ml$/.test(file)).sort();

// kustomize reads only what kustomization.yaml lists: a manifest missing there is never deployed.
if (files.includes('kustomization.yaml')) {
  const listed: string[] = parseYaml(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')).resources ?? [];
  for (const file of files.filter((f) => f !== 'kustomization.yaml' && !listed.includes(f))) problems.push(`${file}: not listed in kustomization.yaml resources`);
  for (const file of listed.filter((f) => !files.includes(f))) problems.push(`kustomization.yaml: lists ${file}, which does not exist`);
}

const manifests: Manifest[] = [];
for (const file of files.filter((f) => f !== 'kustomization.yaml')) {
  for (const [index, document] of parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).entries()) {
    if (document.errors.length) {
      problems.push(...document.errors.map((error) => `${file}: ${error.message}`));
      continue;
    }
    const body = document.toJS();
    if (body !== null) manifests.push({ file, index, apiVersion: String(body.apiVersion), kind: String(body.kind), name: String(body.metadata?.name), body });
  }
}

const where = (m: Manifest) => `${m.file} #${m.index + 1} ${m.kind}/${m.name}`;
const modelPath = (m: Manifest) => `kubernetes-models/${m.apiVersion}/${m.kind}`;

const known = manifests.filter((manifest) => {
  try {
    require.resolve(modelPath(manifest));
    return true;
  } catch {
    problems.push(`${where(manifest)}: unknown apiVersion/kind ${manifest.apiVersion} ${manifest.kind}`);
    return false;
  }
});

for (const manifest of known) {
  const Model = require(modelPath(manifest))[manifest.kind];
  try {
    new Model(manifest.body).validate();
  } catch (error) {
    problems.push(`${where(manifest)}: ${(error as Error).message}`);
  }
}

// Each manifest becomes an object literal typed as its resource, so the compiler reports every
// property the API does not define, at any depth.
const sources = new Map(
  known.map((manifest, i) => [
    path.join(root, `k8s-manifest-${i}.ts`),
    { manifest, text: `import type { I${manifest.kind} } from '${modelPath(manifest)}';\nexport const manifest: I${manifest.kind} = ${JSON.stringify(manifest.body, null, 2)};\n` },
  ]),
);
const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, types: [] };
const host = ts.createCompilerHost(options);
const { fileExists, readFile } = host;
host.fileExists = (file) => sources.has(file) || fileExists(file);
host.readFile = (file) => sources.get(file)?.text ?? readFile(file);
const program = ts.createProgram([...sources.keys()], options, host);
for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
  const source = diagnostic.file && sources.get(diagnostic.file.fileName);
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
  if (!source) {
    problems.push(message);
    continue;
  }
  const line = diagnostic.file!.text.split('\n')[diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line].trim();
  problems.push(`${where(source.manifest)}: ${message} (at ${line})`);
}

checkEventBackbone();

if (problems.length) {
  console.error(`Kubernetes manifests in ${path.relative(root, dir)} are invalid:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  process.exit(1);
}
console.log(`${known.length} Kubernetes manifests in ${path.relative(root, dir)} match the API schemas.`);

// What the API schemas cannot see: a subgraph or a gateway without NATS_URL refuses to start in
// production (the gateway follows the stream for subscriptions), a gateway on another
// EVENT_NAMESPACE than the subgraphs would see none of their events, streams with more replicas
// than the cluster has servers cannot be created, and a server the cluster routes do not name
// never joins the others.
function checkEventBackbone(): void {
  type Container = { name: string; image?: string; env?: { name: string; value?: string; valueFrom?: unknown }[]; envFrom?: { configMapRef?: { name: string } }[] };
  type PodSpec = { containers: Container[]; volumes?: { configMap?: { name: string } }[] };
  const specOf = (m: Manifest) => (m.body as { spec: { replicas?: number; serviceName?: string; template: { spec: PodSpec } } }).spec;
  const configMaps = new Map(manifests.filter((m) => m.kind === 'ConfigMap').map((m) => [m.name, (m.body as { data?: Record<string, string> }).data ?? {}]));
  const environmentOf = (container: Container): Record<string, string> => {
    const values: Record<string, string> = {};
    for (const source of container.envFrom ?? []) if (source.configMapRef) Object.assign(values, configMaps.get(source.configMapRef.name));
    for (const variable of container.env ?? []) values[variable.name] = variable.value ?? (variable.valueFrom ? '(reference)' : '');
    return values;
  };

  const broker = manifests.find((m) => m.kind === 'StatefulSet' && specOf(m).template.spec.containers.some((c) => /^nats(:|$)/.test(c.image ?? '')));
  const servers = broker ? (specOf(broker).replicas ?? 1) : undefined;
  if (broker) {
    const { serviceName, template } = specOf(broker);
    const config = (template.spec.volumes ?? []).flatMap((volume) => (volume.configMap ? Object.values(configMaps.get(volume.configMap.name) ?? {}) : [])).join('\n');
    const routes = new Set([...config.matchAll(/nats:\/\/([A-Za-z0-9.-]+):6222/g)].map((match) => match[1]));
    const expected = Array.from({ length: servers! }, (_, ordinal) => `${broker.name}-${ordinal}.${serviceName}`);
    const differs = expected.length !== routes.size || expected.some((route) => !routes.has(route));
    if (differs) problems.push(`${where(broker)}: ${servers} servers, so the cluster routes must be ${expected.join(', ')}; the configuration names ${[...routes].join(', ') || 'none'}`);
  }

  const namespaces = new Map<string, string[]>();
  for (const [name, role] of [...SUBGRAPH_NAMES.map((name) => [name, `the ${name} subgraph`]), ['gateway', 'the gateway']]) {
    const deployment = manifests.find((m) => m.kind === 'Deployment' && m.name === name);
    if (!deployment) {
      problems.push(`no Deployment named ${name} for ${role}`);
      continue;
    }
    const containers = specOf(deployment).template.spec.containers;
    const environment = environmentOf(containers.find((c) => c.name === name) ?? containers[0]);
    if (!environment.NATS_URL) problems.push(`${where(deployment)}: no NATS_URL for the ${name} container (production refuses to start without a broker)`);
    const replicas = Number(environment.NATS_STREAM_REPLICAS ?? 1);
    if (servers !== undefined && replicas > servers) problems.push(`${where(deployment)}: NATS_STREAM_REPLICAS=${replicas}, but the NATS StatefulSet runs ${servers} servers`);
    const namespace = environment.EVENT_NAMESPACE || 'crm';
    namespaces.set(namespace, [...(namespaces.get(namespace) ?? []), name]);
  }
  if (namespaces.size > 1) problems.push(`the services must share one EVENT_NAMESPACE, the deployments give ${[...namespaces].map(([namespace, names]) => `${namespace} to ${names.join(', ')}`).join('; ')}`);
}
