/**
 * The cdktf.json `app` (what `npx cdktf synth | diff | deploy` run): rebuilds every Lambda zip that
 * is missing or older than its inputs, then synthesises the stacks. A fresh clone builds all zips;
 * a synth after no code change builds none, so it stays as fast as the synth itself.
 *
 * The inputs of a zip are the `src/` and `package.json` of its package and of every workspace
 * package it depends on (transitively), the bundler script and the lockfile. Staleness goes by
 * modification time; a needless rebuild is harmless because the build is deterministic.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { childEnvironment, readCatalogPath } from '@insightflow/shared-config';
import { CATALOG_STAMP } from '../stacks/build/buildLambda.js';
import { readConfiguredCatalog } from '../stacks/build/configuredCatalog.js';

/** A workspace package under packages/. */
interface WorkspacePackage {
  name: string;
  dir: string;
  dependencies: string[];
  isLambda: boolean;
}

const ROOT = path.resolve(import.meta.dirname, '..');

/** Every package under packages/, by npm name. */
function workspacePackages(): Map<string, WorkspacePackage> {
  const packages = new Map<string, WorkspacePackage>();
  for (const entry of readdirSync(path.join(ROOT, 'packages'))) {
    const dir = path.join(ROOT, 'packages', entry);
    const manifestPath = path.join(dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
      scripts?: Record<string, string>;
    };
    packages.set(manifest.name, {
      name: manifest.name,
      dir,
      dependencies: Object.keys(manifest.dependencies ?? {}),
      isLambda: manifest.scripts?.build?.includes('buildLambda.ts') ?? false,
    });
  }
  return packages;
}

/** The newest modification time (ms) of a file, or of any file under a directory. */
function newestModification(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestModification(path.join(target, entry)));
  return newest;
}

/** The package and every workspace package it depends on, transitively. */
function workspaceClosure(name: string, packages: Map<string, WorkspacePackage>, seen = new Set<string>()) {
  const pkg = packages.get(name);
  if (!pkg || seen.has(name)) return seen;
  seen.add(name);
  for (const dependency of pkg.dependencies) workspaceClosure(dependency, packages, seen);
  return seen;
}

/** Rebuilds the zips that are missing or stale; returns the packages it rebuilt. */
export function buildStaleLambdaZips(): string[] {
  const packages = workspacePackages();
  // A zip bundles the catalog: one built with another catalog is stale whatever its age.
  const catalogHash = readConfiguredCatalog().hash;
  const catalogFile = readCatalogPath();
  // The build runs in the package's directory: hand it the catalog's absolute path.
  const buildEnv = childEnvironment(catalogFile ? { INSIGHTFLOW_CATALOG: path.resolve(catalogFile) } : {});
  const shared = Math.max(
    newestModification(path.join(ROOT, 'stacks', 'build')),
    newestModification(path.join(ROOT, 'package-lock.json')),
  );
  const rebuilt: string[] = [];
  for (const pkg of packages.values()) {
    if (!pkg.isLambda) continue;
    const zip = path.join(pkg.dir, 'dist', `${path.basename(pkg.dir)}.zip`);
    let inputs = shared;
    for (const name of workspaceClosure(pkg.name, packages)) {
      const dir = (packages.get(name) as WorkspacePackage).dir;
      inputs = Math.max(
        inputs,
        newestModification(path.join(dir, 'src')),
        newestModification(path.join(dir, 'package.json')),
      );
    }
    const stamp = path.join(pkg.dir, 'dist', CATALOG_STAMP);
    const sameCatalog = existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === catalogHash;
    if (existsSync(zip) && statSync(zip).mtimeMs >= inputs && sameCatalog) continue;
    process.stderr.write(
      `building ${path.relative(ROOT, zip)} (${sameCatalog ? 'missing or older than its sources' : 'built with another catalog'})\n`,
    );
    try {
      // stdout stays clean for cdktf; the build's own lines go to stderr.
      execFileSync('npm', ['run', 'build', '--silent', '-w', path.relative(ROOT, pkg.dir)], {
        cwd: ROOT,
        env: buildEnv,
        stdio: ['ignore', process.stderr, process.stderr],
      });
    } catch {
      throw new Error(
        `Building ${pkg.name} failed (see above). Fix the error, then run \`npm run build\` (or \`npx cdktf synth\` again).`,
      );
    }
    rebuilt.push(pkg.name);
  }
  return rebuilt;
}

buildStaleLambdaZips();
await import('../stacks/main.js');
