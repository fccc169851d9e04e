/** Runs a script of this repository as a user does (a real process under tsx), for the CLI tests. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const REPO = path.resolve(import.meta.dirname, '../../..');

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `tsx scripts/<file>` with `DATA_DIR` set, from `cwd` (the repository by default); resolves with
 * the exit code and output whether or not the script succeeds.
 */
export async function runScript(
  file: string,
  args: string[],
  { dataDir, cwd = REPO }: { dataDir: string; cwd?: string },
): Promise<ScriptResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      path.join(REPO, 'node_modules/.bin/tsx'),
      ['--tsconfig', path.join(REPO, 'tsconfig.json'), '--conditions', 'react-server', path.join(REPO, file), ...args],
      { cwd, env: { ...process.env, DATA_DIR: dataDir } },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as ScriptResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
