/**
 * The repository's TypeScript import graph, and the dependency rules DEVELOPERS.md states, checked
 * over it (`scripts/tests/dependencyRules.test.ts` runs them under `npm test`):
 * 1. no import circle inside any package (file to file, type-only imports included), and none
 *    between the workspace packages' sources;
 * 2. no core or adapter (a package's `src/` other than its `handler.ts`) imports lambda-handler,
 *    cli or stacks;
 * 3. only `src/handler.ts` files import lambda-handler;
 * 4. scripts/ may import stacks/, never the reverse.
 * Imports are read with TypeScript's own pre-processor (static, `export … from` and dynamic
 * `import()`); a workspace package resolves through its package.json `exports`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** A file of the repository (path relative to the root, `/`-separated) and what it imports. */
export interface SourceFile {
  file: string;
  /** The unit it belongs to: `packages/<name>`, `stacks`, `scripts`, `bench` or `faults`. */
  unit: string;
  /** Repository files it imports; packages from npm are left out. */
  imports: string[];
}

/** One broken rule: which, where, and what to do about it. */
export interface RuleViolation {
  rule:
    | 'circle'
    | 'package-circle'
    | 'core-imports-outward'
    | 'lambda-handler-outside-handler'
    | 'stacks-import-scripts';
  message: string;
}

/** The top-level directories whose TypeScript is read; `packages` holds one unit per workspace. */
export const UNITS = ['packages', 'stacks', 'scripts', 'bench', 'faults'] as const;
const SKIPPED = new Set(['node_modules', 'dist', 'cdktf.out', '.terraform']);

/** The source files under `dir` whose names end in one of `endings` (no declaration files, nothing built). */
export function sourceFiles(root: string, dir: string, endings: readonly string[] = ['.ts']): string[] {
  const out: string[] = [];
  const absolute = path.join(root, dir);
  if (!existsSync(absolute)) return out;
  for (const entry of readdirSync(absolute)) {
    if (SKIPPED.has(entry) || entry.startsWith('.')) continue;
    const relative = `${dir}/${entry}`;
    if (statSync(path.join(root, relative)).isDirectory()) out.push(...sourceFiles(root, relative, endings));
    else if (endings.some((ending) => entry.endsWith(ending)) && !entry.endsWith('.d.ts')) out.push(relative);
  }
  return out;
}

/** `packages/<name>` for a file under packages/, else its top-level directory. */
export function unitOf(file: string): string {
  const [top, name] = file.split('/');
  return top === 'packages' ? `packages/${name}` : (top as string);
}

/** Workspace package name → its directory and `exports` map (subpath → file). */
function workspacePackages(root: string): Map<string, { dir: string; exports: Record<string, string> }> {
  const packages = new Map<string, { dir: string; exports: Record<string, string> }>();
  for (const name of readdirSync(path.join(root, 'packages'))) {
    const manifest = path.join(root, 'packages', name, 'package.json');
    if (!existsSync(manifest)) continue;
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; exports?: Record<string, string> };
    packages.set(json.name, { dir: `packages/${name}`, exports: json.exports ?? { '.': './src/index.ts' } });
  }
  return packages;
}

/** The repository file a specifier names, or undefined for anything from npm or Node. */
function resolve(
  root: string,
  from: string,
  specifier: string,
  packages: ReturnType<typeof workspacePackages>,
): string | undefined {
  if (specifier.startsWith('.')) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
    const candidates = [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, `${target}/index.ts`];
    return candidates.find((c) => c.endsWith('.ts') && existsSync(path.join(root, c)));
  }
  const match = /^(@insightflow\/[^/]+)(\/.*)?$/.exec(specifier);
  const pkg = match && packages.get(match[1] as string);
  if (!pkg) return undefined;
  const entry = pkg.exports[`.${match?.[2] ?? ''}`];
  return entry === undefined ? undefined : path.posix.join(pkg.dir, entry);
}

/** Every TypeScript file of the repository under `root`, with the repository files it imports. */
export function readImportGraph(root: string): SourceFile[] {
  const packages = workspacePackages(root);
  return UNITS.flatMap((unit) => sourceFiles(root, unit)).map((file) => {
    const { importedFiles } = ts.preProcessFile(readFileSync(path.join(root, file), 'utf8'), true, true);
    const imports = importedFiles
      .map((i) => resolve(root, file, i.fileName, packages))
      .filter((f): f is string => f !== undefined);
    return { file, unit: unitOf(file), imports: [...new Set(imports)] };
  });
}

/** Strongly connected components of more than one node, or a node importing itself (Tarjan). */
export function circles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1 || (edges.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return found;
}

const isPackageSource = (file: string) => /^packages\/[^/]+\/src\//.test(file);
const isHandler = (file: string) => /^packages\/[^/]+\/src\/handler\.ts$/.test(file);
const OUTWARD = ['packages/lambda-handler', 'packages/cli', 'stacks'];

/** Every broken rule of the graph (none: the directions hold). */
export function dependencyViolations(graph: readonly SourceFile[]): RuleViolation[] {
  const violations: RuleViolation[] = [];
  const within = new Map(graph.map((f) => [f.file, f.imports.filter((i) => unitOf(i) === f.unit)]));
  for (const circle of circles(within)) {
    violations.push({
      rule: 'circle',
      message: `import circle in ${unitOf(circle[0] as string)}: ${circle.join(' ↔ ')}; move what both need into a file that imports neither (a port file imports nothing local)`,
    });
  }
  const packageEdges = new Map<string, string[]>();
  for (const f of graph.filter((g) => isPackageSource(g.file))) {
    const targets = f.imports.filter(isPackageSource).map(unitOf);
    packageEdges.set(f.unit, [
      ...new Set([...(packageEdges.get(f.unit) ?? []), ...targets.filter((t) => t !== f.unit)]),
    ]);
  }
  for (const circle of circles(packageEdges)) {
    violations.push({
      rule: 'package-circle',
      message: `the sources of ${circle.join(', ')} import each other; the port belongs to one of them, or to shared-config`,
    });
  }
  for (const f of graph) {
    for (const target of f.imports) {
      const targetUnit = unitOf(target);
      if (isPackageSource(f.file) && !isHandler(f.file) && f.unit !== targetUnit && OUTWARD.includes(targetUnit)) {
        violations.push({
          rule: 'core-imports-outward',
          message: `${f.file} imports ${target}: a core or adapter never imports ${targetUnit}; take what it needs from shared-config, or as an argument`,
        });
      }
      if (targetUnit === 'packages/lambda-handler' && f.unit !== targetUnit && !isHandler(f.file)) {
        violations.push({
          rule: 'lambda-handler-outside-handler',
          message: `${f.file} imports ${target}: only a package's src/handler.ts is wired on lambda-handler`,
        });
      }
      if (f.unit === 'stacks' && targetUnit === 'scripts') {
        violations.push({
          rule: 'stacks-import-scripts',
          message: `${f.file} imports ${target}: scripts/ are entry points over stacks/, never imported by it; move the helper into stacks/build/`,
        });
      }
    }
  }
  return violations;
}
