/**
 * The rule DEVELOPERS.md states about the environment: only `packages/shared-config/src/config.ts`
 * reads `process.env`. Every variable is declared there in a zod schema and read through its
 * `readXxxConfig()`; a child process gets its environment from `childEnvironment()`.
 *
 * Tests and benchmarks are exempt (`tests/` folders, `*.test.ts`, `faults/`, `bench/`, and
 * `packages/testkit`, the tests' own package): they are never deployed nor run by a user, and they
 * hand the environment they were started with to the processes they start.
 *
 * A read is found in the syntax tree, not the text (a comment naming `process.env` is no read):
 * `process.env` and `process['env']`, `const { env } = process`, and `env` imported from
 * `node:process`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { sourceFiles, UNITS } from './importGraph.js';

/** The one file that reads `process.env`. */
export const ENVIRONMENT_READER = 'packages/shared-config/src/config.ts';

/** Test and benchmark code, exempt from the rule. */
const EXEMPT = [/^bench\//, /^faults\//, /(^|\/)tests\//, /\.test\.ts$/, /^packages\/testkit\//];

/** One read of `process.env`: where it is. */
export interface EnvironmentRead {
  file: string;
  line: number;
}

const isProcess = (node: ts.Node) => ts.isIdentifier(node) && node.text === 'process';

/** The lines of `source` that read `process.env`. */
function readsIn(file: string, source: string): number[] {
  // Most files never name it: they need no syntax tree.
  if (!/\bprocess\b/.test(source) || !source.includes('env')) return [];
  const kind = file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, kind);
  const lines: number[] = [];
  const visit = (node: ts.Node) => {
    const read =
      (ts.isPropertyAccessExpression(node) && isProcess(node.expression) && node.name.text === 'env') ||
      (ts.isElementAccessExpression(node) &&
        isProcess(node.expression) &&
        ts.isStringLiteralLike(node.argumentExpression) &&
        node.argumentExpression.text === 'env') ||
      (ts.isVariableDeclaration(node) &&
        node.initializer !== undefined &&
        isProcess(node.initializer) &&
        ts.isObjectBindingPattern(node.name) &&
        node.name.elements.some((e) => (e.propertyName ?? e.name).getText(tree) === 'env')) ||
      (ts.isImportDeclaration(node) &&
        ts.isStringLiteral(node.moduleSpecifier) &&
        ['process', 'node:process'].includes(node.moduleSpecifier.text) &&
        node.importClause?.namedBindings !== undefined &&
        ts.isNamedImports(node.importClause.namedBindings) &&
        node.importClause.namedBindings.elements.some((e) => (e.propertyName ?? e.name).text === 'env'));
    if (read) lines.push(tree.getLineAndCharacterOfPosition(node.getStart(tree)).line + 1);
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return lines;
}

/** Every read of `process.env` in the repository's source files (TypeScript and JavaScript), exempt or not. */
export function environmentReads(root: string): EnvironmentRead[] {
  return UNITS.flatMap((unit) => sourceFiles(root, unit, ['.ts', '.js', '.mjs', '.cjs'])).flatMap((file) =>
    readsIn(file, readFileSync(path.join(root, file), 'utf8')).map((line) => ({ file, line })),
  );
}

/** The reads that break the rule, each with what to do instead. */
export function environmentViolations(reads: readonly EnvironmentRead[]): string[] {
  return reads
    .filter(({ file }) => file !== ENVIRONMENT_READER && !EXEMPT.some((pattern) => pattern.test(file)))
    .map(
      ({ file, line }) =>
        `${file}:${line} reads process.env: declare the variable in a schema of ${ENVIRONMENT_READER} and take it ` +
        'from its readXxxConfig() function (a child process: childEnvironment())',
    );
}
