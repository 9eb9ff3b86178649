import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
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
    const build = async (name: string) => mkdir(path.join(work, name, 'raw'), { recursive: true });
    // Killed before it wrote anything: its name alone says whose it was.
    await build(`insightflow-clean-${gone}-a1b2c3`);
    await build(`insightflow-clean-${process.pid}-d4e5f6`);
    await build('insightflow-clean-unnamed');
    await build('insightflow-clean-old');
    const hourAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(path.join(work, 'insightflow-clean-old'), hourAgo, hourAgo);
    await build(`someone-else-${gone}-a1b2c3`);

    expect(await removeAbandonedBuilds(work)).toBe(2);
    expect((await readdir(work)).sort()).toEqual([
      `insightflow-clean-${process.pid}-d4e5f6`,
      'insightflow-clean-unnamed',
      `someone-else-${gone}-a1b2c3`,
    ]);
  });
});
