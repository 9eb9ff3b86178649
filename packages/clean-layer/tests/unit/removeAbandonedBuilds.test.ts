import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeAbandonedBuilds } from '../../src/index.js';

describe('Function: removeAbandonedBuilds() — what a killed build leaves on disk', () => {
  let work: string;
  afterEach(async () => rm(work, { recursive: true, force: true }));

  it("removes a build directory whose process is gone, and keeps a running build's and anything else", async () => {
    work = await mkdtemp(path.join(tmpdir(), 'insightflow-clean-sweep-test-'));
    // A pid that has just exited: the build it owned was killed.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const build = async (name: string, owner?: string) => {
      await mkdir(path.join(work, name, 'raw'), { recursive: true });
      if (owner !== undefined) await writeFile(path.join(work, name, 'owner.pid'), owner);
    };
    await build('insightflow-clean-killed', gone);
    await build('insightflow-clean-running', String(process.pid));
    await build('insightflow-clean-starting');
    await build('insightflow-clean-old');
    const hourAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(path.join(work, 'insightflow-clean-old'), hourAgo, hourAgo);
    await build('someone-else', gone);

    expect(await removeAbandonedBuilds(work)).toBe(2);
    expect((await readdir(work)).sort()).toEqual([
      'insightflow-clean-running',
      'insightflow-clean-starting',
      'someone-else',
    ]);
  });
});
