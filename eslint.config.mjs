/**
 * Lint here checks one thing: the layering table of STYLE.md ("The shape of the code"), so that
 * an import running the wrong way fails `npm test`. Formatting is Prettier's job; no style rules.
 *
 * Each import is resolved to what it names — a folder of this repository (`lib/server/errors`,
 * whether written `@/lib/server/errors` or `../server/errors`), a Node built-in (`node:fs`, also
 * when written `fs`) or a package (`react`, `next/navigation`) — and checked against the rules of
 * the folder the importing file lives in.
 */
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import tseslint from 'typescript-eslint';

const ROOT = import.meta.dirname;
const BUILTINS = new Set(builtinModules);

/** What `specifier`, imported from `filename`, names: a repo path, `node:<module>`, or a package. */
function importTarget(specifier, filename) {
  if (specifier.startsWith('@/')) return path.posix.normalize(specifier.slice(2));
  if (specifier.startsWith('.')) {
    const absolute = path.resolve(path.dirname(filename), specifier);
    return path.relative(ROOT, absolute).split(path.sep).join('/');
  }
  if (specifier.startsWith('node:')) return specifier;
  if (BUILTINS.has(specifier.split('/')[0])) return `node:${specifier}`;
  return specifier;
}

/** `target` is `prefix` or lies under it (`lib/server` covers `lib/server/errors`; `node:` every built-in). */
function within(target, prefix) {
  if (prefix.endsWith(':')) return target.startsWith(prefix);
  return target === prefix || target.startsWith(`${prefix}/`);
}

/**
 * `layers/imports`: options `{ layer, forbid: [prefix…], only?: [prefix…], typeOnly?: [prefix…] }`.
 * An import is reported when it is under a `forbid` prefix, or when `only` is given and it is under
 * none of those, or when it is under a `typeOnly` prefix and imports values.
 */
const importsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'imports allowed by the layering table in STYLE.md' },
    schema: [
      {
        type: 'object',
        properties: {
          layer: { type: 'string' },
          forbid: { type: 'array', items: { type: 'string' } },
          only: { type: 'array', items: { type: 'string' } },
          typeOnly: { type: 'array', items: { type: 'string' } },
        },
        required: ['layer'],
        additionalProperties: false,
      },
    ],
    messages: {
      forbidden: '{{layer}} may not import {{target}} (STYLE.md, "The shape of the code")',
      notAllowed: '{{layer}} may import only {{only}}, not {{target}} (STYLE.md, "The shape of the code")',
      valueImport: '{{layer}} may import only types from {{target}}: write `import type`',
    },
  },
  create(context) {
    const { layer, forbid = [], only, typeOnly = [] } = context.options[0];
    function check(node, source, isTypeOnly) {
      if (!source || typeof source.value !== 'string') return;
      const target = importTarget(source.value, context.filename);
      const data = { layer, target, only: only?.join(', ') };
      if (forbid.some((p) => within(target, p))) return context.report({ node, messageId: 'forbidden', data });
      if (only && !only.some((p) => within(target, p))) return context.report({ node, messageId: 'notAllowed', data });
      if (!isTypeOnly && typeOnly.some((p) => within(target, p)))
        context.report({ node, messageId: 'valueImport', data });
    }
    const typeOnlyDeclaration = (node) =>
      node.importKind === 'type' ||
      node.exportKind === 'type' ||
      (node.specifiers?.length > 0 && node.specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type'));
    return {
      ImportDeclaration: (node) => check(node, node.source, typeOnlyDeclaration(node)),
      ExportNamedDeclaration: (node) => check(node, node.source, typeOnlyDeclaration(node)),
      ExportAllDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source : null, false),
    };
  },
};

/** `layers/server-only-first`: a file's first statement is `import 'server-only'`. */
const serverOnlyFirstRule = {
  meta: {
    type: 'problem',
    docs: { description: "lib/server files start with import 'server-only'" },
    schema: [],
    messages: {
      missing:
        "lib/server is Node-only: start the file with `import 'server-only';` so a client import fails the build",
    },
  },
  create(context) {
    return {
      Program(program) {
        const first = program.body[0];
        const ok = first?.type === 'ImportDeclaration' && first.source.value === 'server-only';
        if (!ok) context.report({ node: first ?? program, messageId: 'missing' });
      },
    };
  },
};

const layers = { rules: { imports: importsRule, 'server-only-first': serverOnlyFirstRule } };

const UI = ['react', 'react-dom', 'next'];

/** One block per row of the table: the folder's files and what they may import. */
function layer(folder, options, ignores = []) {
  return {
    files: [`${folder}/**/*.{ts,tsx,mts,mjs,js}`],
    ignores,
    rules: { 'layers/imports': ['error', { layer: folder, ...options }] },
  };
}

/** Browser and Node globals that isomorphic code may not touch (imports are checked above). */
const HOST_GLOBALS = [
  ...['window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'indexedDB', 'fetch'].map((name) => ({
    name,
    message: 'isomorphic code: no DOM or browser APIs here (STYLE.md, "The shape of the code")',
  })),
  ...['process', 'Buffer', 'require', '__dirname', '__filename'].map((name) => ({
    name,
    message: 'isomorphic code: no Node APIs here (STYLE.md, "The shape of the code")',
  })),
];

export default [
  {
    ignores: [
      'node_modules/',
      '.next/',
      '.data*/',
      'public/',
      'runs/',
      'bench/results/',
      'test-results/',
      'playwright-report/',
      'next-env.d.ts',
      'lib/reformer/kernels/simd.wasm.ts',
    ],
  },
  {
    files: ['**/*.{ts,tsx,mts,mjs,js}'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { layers },
  },
  // The model: pure tensor code on tfjs, nothing of the browser, the server or the rest of lib.
  layer(
    'lib/reformer',
    {
      forbid: [...UI, 'node:', 'zod', 'server-only', 'sharp', 'lib/pixels', 'lib/runtime', 'lib/server', 'lib/node'],
      only: ['@tensorflow', 'lib/reformer'],
    },
    // A build-time tool (wabt, node:path) that compiles the kernels; it belongs under scripts/ or lib/node.
    ['lib/reformer/kernels/build.ts'],
  ),
  // The dataset format, read in the browser and written on the server.
  layer('lib/pixels', {
    forbid: [...UI, 'node:', 'sharp', 'server-only', 'lib/server', 'lib/runtime', 'lib/node'],
  }),
  // Isomorphic records: the model card and the share recipe.
  layer('lib/models', { only: ['zod', 'lib/pixels', 'lib/models', 'lib/reformer'], typeOnly: ['lib/reformer'] }),
  layer('lib/samples', { only: ['zod', 'lib/pixels', 'lib/samples', 'lib/reformer'], typeOnly: ['lib/reformer'] }),
  // The browser side.
  layer('lib/runtime', { forbid: ['node:', 'server-only', 'sharp', 'lib/server', 'lib/node'] }),
  // The one training loop, imported by the browser worker too.
  layer('lib/training', { forbid: ['node:', 'server-only', 'sharp', 'lib/server', 'lib/node', 'lib/runtime'] }),
  // Node-only helpers for the CLI and benchmarks.
  layer('lib/node', { forbid: ['lib/runtime'] }),
  // React UI: talks to our routes over HTTP, never to the server's modules.
  layer('components', { forbid: ['server-only', 'sharp', 'lib/server', 'lib/node', 'node:'] }),
  {
    files: ['lib/{reformer,pixels,models,samples,training}/**/*.{ts,tsx,mts,mjs,js}'],
    ignores: ['lib/reformer/kernels/build.ts'],
    rules: { 'no-restricted-globals': ['error', ...HOST_GLOBALS] },
  },
  // Node-only: every file says so first.
  {
    files: ['lib/server/**/*.{ts,tsx}'],
    rules: { 'layers/server-only-first': 'error' },
  },
];
