/**
 * The layering rules of eslint.config.mjs (STYLE.md's table) on small sources at made-up paths:
 * each row's forbidden import is reported, and an allowed one is not, so the rule can fail.
 */
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, test } from 'vitest';

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: process.cwd() });
});

/** The messages ESLint reports for `code` as if it were the file at `filePath` (relative to the repo). */
async function lint(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('lib/reformer: tfjs and itself only', () => {
  const file = 'lib/reformer/example.ts';

  test('its own files and tfjs are allowed', async () => {
    expect(
      await lint(file, "import * as tf from '@tensorflow/tfjs-core';\nimport { hashBuckets } from './hashing';\n"),
    ).toEqual([]);
  });

  test.each([
    ["import { useState } from 'react';", 'react'],
    ["import { redirect } from 'next/navigation';", 'next/navigation'],
    ["import { readFile } from 'node:fs/promises';", 'node:fs/promises'],
    ["import path from 'path';", 'node:path'],
    ["import { z } from 'zod';", 'zod'],
    ["import { AppError } from '@/lib/server/errors';", 'lib/server/errors'],
    ["import { selectBackend } from '../runtime/backends';", 'lib/runtime/backends'],
    ["import { readShard } from '../pixels/manifest';", 'lib/pixels/manifest'],
    ["const m = await import('../node/file-io');", 'lib/node/file-io'],
  ])('%s is reported', async (code, target) => {
    const messages = await lint(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`layers/imports: lib/reformer may not import ${target}`);
  });

  test('a package outside tfjs is reported', async () => {
    expect(await lint(file, "import wabt from 'wabt';")).toEqual([
      'layers/imports: lib/reformer may import only @tensorflow, lib/reformer, not wabt (STYLE.md, "The shape of the code")',
    ]);
  });

  test('DOM and Node globals are reported', async () => {
    const messages = await lint(file, 'export const w = window.innerWidth;\nexport const e = process.env.X;\n');
    expect(messages).toHaveLength(2);
    expect(messages.every((m) => m.startsWith('no-restricted-globals'))).toBe(true);
  });
});

test('lib/pixels: no sharp, React or lib/server', async () => {
  const file = 'lib/pixels/example.ts';
  expect(await lint(file, "import { z } from 'zod';\nimport { mixSeed } from '../reformer/ops';")).toEqual([]);
  expect(await lint(file, "import sharp from 'sharp';")).toEqual([
    'layers/imports: lib/pixels may not import sharp (STYLE.md, "The shape of the code")',
  ]);
  expect(await lint(file, "import { getManifest } from '@/lib/server/datasets/catalog';")).toHaveLength(1);
  expect(await lint(file, "import { useMemo } from 'react';")).toHaveLength(1);
});

describe("lib/server: starts with import 'server-only'", () => {
  test('a file without it is reported', async () => {
    const messages = await lint('lib/server/example.ts', "import { z } from 'zod';\nexport const x = z.string();\n");
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^layers\/server-only-first: /);
  });

  test('a file that starts with it is not', async () => {
    expect(await lint('lib/server/example.ts', "import 'server-only';\nimport { z } from 'zod';\n")).toEqual([]);
  });

  test('the marker later in the file does not count', async () => {
    expect(await lint('lib/server/example.ts', "import { z } from 'zod';\nimport 'server-only';\n")).toHaveLength(1);
  });
});

test('components never import lib/server (JSX parses)', async () => {
  const file = 'components/example/part.tsx';
  const ok =
    "import { selectBackend } from '@/lib/runtime/backends';\nexport const P = () => <p>{String(selectBackend)}</p>;\n";
  expect(await lint(file, ok)).toEqual([]);
  expect(
    await lint(file, "import { openStorage } from '@/lib/server/storage';\nexport const P = () => <p />;\n"),
  ).toEqual(['layers/imports: components may not import lib/server/storage (STYLE.md, "The shape of the code")']);
});

test('app/ may import lib/server (route handlers, server pages)', async () => {
  expect(await lint('app/api/example/route.ts', "import { AppError } from '@/lib/server/errors';")).toEqual([]);
});

test('lib/runtime: no node:*, lib/server or lib/node', async () => {
  const file = 'lib/runtime/example.ts';
  expect(await lint(file, "import { runSelfCheck } from '@/lib/reformer/selfcheck';")).toEqual([]);
  for (const code of [
    "import { Worker } from 'node:worker_threads';",
    "import { startGradientThreads } from '../node/threads';",
    "import { AppError } from '@/lib/server/errors';",
  ])
    expect(await lint(file, code), code).toHaveLength(1);
});

test('lib/training is isomorphic: no node:* and no lib/node', async () => {
  const file = 'lib/training/example.ts';
  expect(await lint(file, "import { ReformerLM } from '../reformer/model';")).toEqual([]);
  expect(await lint(file, "import { Worker } from 'node:worker_threads';")).toHaveLength(1);
  expect(await lint(file, "import { startGradientThreads } from '@/lib/node/threads';")).toHaveLength(1);
});

test('lib/node may use Node and lib/, but not lib/runtime', async () => {
  const file = 'lib/node/example.ts';
  expect(
    await lint(file, "import { Worker } from 'node:worker_threads';\nimport { Trainer } from '../training/trainer';"),
  ).toEqual([]);
  expect(await lint(file, "import { selectBackend } from '@/lib/runtime/backends';")).toHaveLength(1);
});

test('lib/models and lib/samples: zod, lib/ids, lib/pixels, records and types of lib/reformer only', async () => {
  const file = 'lib/models/example.ts';
  expect(
    await lint(
      file,
      "import { z } from 'zod';\nimport { PALETTES } from '../pixels/palette';\nimport type { ReformerConfig } from '@/lib/reformer/config';\n",
    ),
  ).toEqual([]);
  expect(await lint(file, "import { ReformerLM } from '@/lib/reformer/model';")).toEqual([
    'layers/imports: lib/models may import only types from lib/reformer/model: write `import type`',
  ]);
  expect(await lint('lib/samples/example.ts', "import { selectBackend } from '@/lib/runtime/backends';")).toEqual([
    'layers/imports: lib/samples may import only zod, lib/ids, lib/pixels, lib/models, lib/samples, lib/reformer, not lib/runtime/backends (STYLE.md, "The shape of the code")',
  ]);
  expect(await lint('lib/samples/example.ts', "import { ModelIdSchema } from '@/lib/ids';")).toEqual([]);
  expect(await lint('lib/models/example.ts', "import { SampleIdSchema } from '@/lib/samples/recipe';")).toEqual([
    'layers/imports: lib/models may import only zod, lib/ids, lib/pixels, lib/models, lib/reformer, not lib/samples/recipe (STYLE.md, "The shape of the code")',
  ]);
});

test('lib/ids and lib/format: zod only; lib/api: records and schemas, never the server', async () => {
  expect(await lint('lib/ids.ts', "import { z } from 'zod';")).toEqual([]);
  expect(await lint('lib/format.ts', "import { PALETTES } from './pixels/palette';")).toHaveLength(1);
  expect(
    await lint(
      'lib/api/example.ts',
      "import { ApiError } from './error';\nimport { formatBytes } from '@/lib/format';",
    ),
  ).toEqual([]);
  expect(await lint('lib/api/example.ts', "import { getStorage } from '@/lib/server/storage';")).toHaveLength(1);
});
