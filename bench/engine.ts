/**
 * Engine benchmark (npm run bench:engine [-- --quick] [-- --budget-min 15]): the Reformer's claims
 * (Kitaev et al. 2020, §2–§3) measured on the tfjs WASM backend in Node, one process:
 *   attention  — one attention layer forward + backward, LSH vs full, L = 1k … 64k
 *   reversible — a training step, reversible vs plain residual stack, depth 2 … 24
 *   decode     — cached ms/token at positions 1k, 4k, 16k vs recomputing the prefix
 *   efficiency — GFLOP/s of a plain matmul vs of a training step
 * Every case reports the median of its runs after one warm-up (fewer when the wall-clock budget
 * runs short; the JSON says how many). Cases that cannot fit memory or time are recorded with the
 * reason. Writes bench/results/engine.json (not with --quick).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as tf from '../lib/reformer/tf';
import '@tensorflow/tfjs-backend-wasm';
import { attentionVjp, type LayerTape } from '../lib/reformer/blocks';
import { resolveConfig, type AttentionKind, type ReformerConfig } from '../lib/reformer/config';
import { ReformerDecoder } from '../lib/reformer/decode';
import { ReformerLM } from '../lib/reformer/model';
import { trainStepFlops } from './lib/flops';
import { Budget, fmtMiB, fmtMs, median, profiledRun, table, timedRun, topKernels, type RunResult } from './lib/measure';

const QUICK = process.argv.includes('--quick');
const budgetArg = process.argv.indexOf('--budget-min');
const BUDGET = new Budget((budgetArg > 0 ? Number(process.argv[budgetArg + 1]) : QUICK ? 1 : 15) * 60_000);
/** Emscripten's heap ceiling in the tfjs wasm build (wasm32): getHeapMax() = 4 GiB − 64 KiB. */
const WASM_HEAP_MAX = 4294901760;

// Sizes: the full run is the brief; --quick is a seconds-long smoke run of the same code paths.
const S = QUICK
  ? {
      attnL: [128, 256],
      revL: 128,
      depths: [1, 2],
      decodeAt: [32, 64],
      decodeSteps: 3,
      naiveAt: [32],
      effDepth: 2,
      mm: 256,
    }
  : {
      attnL: [1024, 4096, 16384, 65536],
      revL: 4096,
      depths: [2, 6, 12, 24],
      decodeAt: [1024, 4096, 16384],
      decodeSteps: 50,
      naiveAt: [1024, 4096, 16384],
      effDepth: 6,
      mm: 1024,
    };

/**
 * `--only reversible,efficiency` reruns some sections (with their share of the budget) and merges
 * their rows into the existing engine.json; `--depths 6,12,24` limits the reversible depths run
 * then, one run each and no warm-up (a long follow-up when the 15-minute run had no time for them).
 */
const argValue = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
type Section = 'attention' | 'reversible' | 'decode' | 'efficiency';
const ALL_SECTIONS: Section[] = ['attention', 'reversible', 'decode', 'efficiency'];
const ONLY = (argValue('--only')?.split(',') as Section[] | undefined) ?? ALL_SECTIONS;
for (const o of ONLY)
  if (!ALL_SECTIONS.includes(o)) throw new Error(`--only ${o}: sections are ${ALL_SECTIONS.join(', ')}`);
const RUN_DEPTHS = argValue('--depths')?.split(',').map(Number) ?? S.depths;
const SINGLE_RUNS = argValue('--depths') !== undefined;
/** Each section's share of the budget; a section must end by the cumulative share of those run. */
const SHARE: Record<Section, number> = { attention: 0.4, reversible: 0.32, decode: 0.23, efficiency: 0.05 };
const SECTION_END = Object.fromEntries(
  ALL_SECTIONS.map((sec) => {
    const run = ALL_SECTIONS.filter((x) => ONLY.includes(x));
    const total = run.reduce((a, x) => a + SHARE[x], 0);
    const upTo = run.slice(0, run.indexOf(sec) + 1).reduce((a, x) => a + SHARE[x], 0);
    return [sec, ONLY.includes(sec) ? upTo / total : 0];
  }),
) as Record<Section, number>;

const BASE: Partial<ReformerConfig> = {
  dModel: 256,
  nHeads: 4,
  dFF: 1024,
  chunkLength: 64,
  nHashes: 4,
  nBuckets: 'auto',
  vocabSize: 256,
  dropout: 0,
  seed: 1,
};

type Row = Record<string, unknown>;
const log = (s: string) => console.log(s);
const errorText = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * A kernel that throws under tf.profile on wasm rejects the profiler's timing promise instead of
 * throwing (BackendWasm.time is async), so the engine then fails on `outputs.map` and the real
 * error surfaces only as an unhandled rejection. Keep it for the report instead of crashing.
 */
const maskedErrors: string[] = [];
process.on('unhandledRejection', (e) => maskedErrors.push(errorText(e)));

/** The error of a failed case, with the kernel error the profiler masked if there was one. */
async function describeFailure(e: unknown): Promise<string> {
  const seen = maskedErrors.length;
  await new Promise((r) => setTimeout(r, 10)); // let the rejected timing promise report
  const masked = maskedErrors.slice(seen > 0 && maskedErrors.length === seen ? seen - 1 : seen);
  return (errorText(e) + (masked.length ? ` — kernel error under tf.profile: ${masked.join('; ')}` : '')).slice(0, 500);
}

/**
 * Measures `run` (warm-up, then up to `runs` profiled runs) if the budget allows: `projectedMs` is
 * one run's expected time; runs are dropped (warm-up first) until they fit in `allowMs`.
 */
async function measureCase(
  run: () => void,
  runs: number,
  projectedMs: number | undefined,
  allowMs: number,
  needsWarmup = true,
) {
  let warmups = needsWarmup && !QUICK ? 1 : 0;
  let n = QUICK ? 1 : runs;
  if (projectedMs !== undefined) {
    while (n > 1 && (warmups + n) * projectedMs > allowMs) n--;
    if ((warmups + n) * projectedMs > allowMs) warmups = 0;
    if (n * projectedMs > allowMs)
      return {
        skipped: `skipped for time: one run projected at ${fmtMs(projectedMs)}, ${fmtMs(Math.max(0, allowMs))} left in this section's budget`,
      };
  }
  for (let i = 0; i < warmups; i++) await profiledRun(run);
  const results: RunResult[] = [];
  for (let i = 0; i < n; i++) {
    results.push(await profiledRun(run));
    if (i === 0 && projectedMs === undefined && runs > 1) {
      // First sight of this cost: keep the remaining runs within the allowance too.
      const left = allowMs - results[0].ms * (warmups + 1);
      n = Math.max(1, Math.min(n, 1 + Math.floor(left / results[0].ms)));
    }
  }
  const ms = median(results.map((r) => r.ms));
  const peakBytes = Math.max(...results.map((r) => r.peakBytes));
  return {
    ms,
    peakBytes,
    runs: n,
    warmups,
    kernels: results[results.length - 1].kernels,
    allMs: results.map((r) => Math.round(r.ms)),
  };
}

// ───────────────────────── 1. attention ─────────────────────────

interface AttentionCase {
  kind: AttentionKind;
  L: number;
}

function attentionModel(L: number): ReformerLM {
  return new ReformerLM({ ...BASE, layers: ['lsh'], seqLength: L, axialShape: [L / 64, 64] });
}

/**
 * One attention layer forward + backward w.r.t. the input and the layer's attention weights, the
 * way training runs it (attentionVjp: projections, then one hash round × head slice at a time).
 */
function attentionStep(
  model: ReformerLM,
  kind: AttentionKind,
  x: tf.Tensor3D,
  dy: tf.Tensor3D,
  stepSeed: number,
): void {
  const w = model.layers[0].attention;
  const rot = kind === 'lsh' ? model.rotations(0, stepSeed) : undefined;
  const tape: LayerTape = {};
  const grads: tf.Tensor[] = [];
  try {
    const { value, dx } = attentionVjp(x, w, kind, model.config, rot, tape, dy, (_v, g) => grads.push(g));
    tf.dispose([value, dx, ...grads]); // wasm kernels are synchronous: the work is done when they return
  } finally {
    rot?.dispose();
  }
}

/**
 * Would this case fit the wasm heap? Full attention materialises [heads, L, L] float32 scores;
 * LSH's peak grows linearly with L (extrapolated from the largest measured L).
 */
function memoryVerdict(c: AttentionCase, measured: Row[]): string | undefined {
  const H = BASE.nHeads!;
  if (c.kind === 'full') {
    const scoreBytes = 4 * H * c.L * c.L;
    if (scoreBytes >= 2 ** 32) {
      return (
        `cannot allocate: one [${H}, ${c.L}, ${c.L}] float32 score tensor is ${(scoreBytes / 2 ** 30).toFixed(0)} GiB, ` +
        `≥ wasm32's 4 GiB address space (heap max ${WASM_HEAP_MAX} B); a real attempt at 16384 (separate process) failed with ` +
        `"RuntimeError: memory access out of bounds" inside the wasm backend and left the heap unusable, so it is not attempted in-process`
      );
    }
  }
  // LSH is always attempted: its chunk tensors are bounded per piece, so a linear projection of
  // the whole peak from a small L overstates it; a real failure is recorded as the error.
  return undefined;
}

/** LSH lengths measured in a child process of their own. */
const CHILD_PROCESS_L = 32768;

/** One profiled LSH attention step at L in a fresh process; its row, or the way it died. */
function attentionInChild(L: number): Row {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, new URL(import.meta.url).pathname, '--child-attention', String(L)],
    {
      encoding: 'utf8',
      timeout: Math.round(Math.max(300_000, BUDGET.sectionRemainingMs(SECTION_END.attention))), // the largest L alone takes minutes
      maxBuffer: 64 * 2 ** 20,
    },
  );
  const line = child.stdout.split('\n').find((l) => l.startsWith('CHILD_RESULT '));
  if (line) return JSON.parse(line.slice('CHILD_RESULT '.length)) as Row;
  const why =
    (child.stderr || '')
      .split('\n')
      .filter((l) => /Error|Aborted/.test(l))
      .pop() ?? `exit ${child.status ?? child.signal}`;
  return { kind: 'lsh', L, error: `the process died: ${why.trim().slice(0, 300)}` };
}

/** Child mode: measure one LSH attention step at L and print its row. */
async function childAttention(L: number): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  // A warm-up at 4,096 tokens first, as the in-process rows have: the kernels are compiled and the
  // JIT warm, without a second copy of the long case's tensors in the heap.
  const warmL = Math.min(L, 4096);
  const warm = attentionModel(warmL);
  const wx = tf.randomNormal([1, warmL, BASE.dModel!], 0, 1, 'float32', 7) as tf.Tensor3D;
  const wdy = tf.randomNormal([1, warmL, BASE.dModel!], 0, 1, 'float32', 8) as tf.Tensor3D;
  await profiledRun(() => attentionStep(warm, 'lsh', wx, wdy, 1));
  tf.dispose([wx, wdy]);
  warm.dispose();
  const model = attentionModel(L);
  const x = tf.randomNormal([1, L, BASE.dModel!], 0, 1, 'float32', 7) as tf.Tensor3D;
  const dy = tf.randomNormal([1, L, BASE.dModel!], 0, 1, 'float32', 8) as tf.Tensor3D;
  // The first run at L grows the heap to its peak, and a fresh page is slow on first touch, so the
  // first run is much slower than the second. A training run pays that once; its steps are the
  // second run's, which the in-process rows' medians are too.
  const first = await profiledRun(() => attentionStep(model, 'lsh', x, dy, 1));
  const r = await profiledRun(() => attentionStep(model, 'lsh', x, dy, 1));
  console.log(
    `CHILD_RESULT ${JSON.stringify({ kind: 'lsh', L, ms: Math.round(r.ms), firstRunMs: Math.round(first.ms), peakBytes: Math.max(first.peakBytes, r.peakBytes), runs: 1, warmups: 1, topKernels: topKernels(r.kernels), note: `own process: a warm-up at L=${warmL}, then a first run at L (firstRunMs, the heap growing to its peak), then the run measured` })}`,
  );
}

async function attentionSection(): Promise<Row[]> {
  const rows: Row[] = [];
  const lastMs = new Map<AttentionKind, { L: number; ms: number }>();
  const deferred: { c: AttentionCase; reason: string }[] = [];
  const cases: AttentionCase[] = S.attnL.flatMap((L) =>
    (['full', 'lsh'] as AttentionKind[]).map((kind) => ({ kind, L })),
  );
  for (const c of cases) {
    const verdict = memoryVerdict(c, rows);
    if (verdict) {
      deferred.push({ c, reason: verdict });
      continue;
    }
    if (c.kind === 'lsh' && c.L >= CHILD_PROCESS_L) {
      // An overflow of the wasm heap aborts the process (uncatchable): the longest case runs alone.
      const row = attentionInChild(c.L);
      rows.push(row);
      if (typeof row.ms === 'number') lastMs.set(c.kind, { L: c.L, ms: row.ms });
      log(`  attention ${c.kind} L=${c.L} (own process): ${JSON.stringify(row).slice(0, 300)}`);
      continue;
    }
    const model = attentionModel(c.L);
    const x = tf.randomNormal([1, c.L, BASE.dModel!], 0, 1, 'float32', 7) as tf.Tensor3D;
    const dy = tf.randomNormal([1, c.L, BASE.dModel!], 0, 1, 'float32', 8) as tf.Tensor3D;
    const prev = lastMs.get(c.kind);
    const projected = prev && prev.ms * (c.kind === 'full' ? (c.L / prev.L) ** 2 : c.L / prev.L);
    let seed = 0;
    try {
      const runs = c.L <= 1024 ? 3 : c.kind === 'lsh' ? 2 : 1;
      const m = await measureCase(
        () => attentionStep(model, c.kind, x, dy, ++seed),
        runs,
        projected,
        BUDGET.sectionRemainingMs(SECTION_END.attention),
      );
      if ('skipped' in m) rows.push({ kind: c.kind, L: c.L, error: m.skipped });
      else {
        rows.push({
          kind: c.kind,
          L: c.L,
          ms: Math.round(m.ms),
          peakBytes: m.peakBytes,
          runs: m.runs,
          warmups: m.warmups,
          runsMs: m.allMs,
          topKernels: topKernels(m.kernels),
        });
        lastMs.set(c.kind, { L: c.L, ms: m.ms });
      }
    } catch (e) {
      rows.push({ kind: c.kind, L: c.L, error: await describeFailure(e) });
    } finally {
      tf.dispose([x, dy]);
      model.dispose();
    }
    log(`  attention ${c.kind} L=${c.L}: ${JSON.stringify(rows[rows.length - 1]).slice(0, 300)}`);
  }
  for (const { c, reason } of deferred) {
    const row: Row = { kind: c.kind, L: c.L, error: reason };
    rows.push(row);
    const last = lastMs.get(c.kind);
    if (c.kind !== 'lsh' || !last) continue; // full beyond 4 GiB is not attempted: it corrupts the heap
    realAttempts.push({
      row,
      label: `attention lsh L=${c.L}`,
      projectedMs: (last.ms * c.L) / last.L,
      prepare: () => {
        const model = attentionModel(c.L);
        const x = tf.randomNormal([1, c.L, BASE.dModel!], 0, 1, 'float32', 7) as tf.Tensor3D;
        const dy = tf.randomNormal([1, c.L, BASE.dModel!], 0, 1, 'float32', 8) as tf.Tensor3D;
        return {
          run: () => attentionStep(model, 'lsh', x, dy, 1),
          cleanup: () => (tf.dispose([x, dy]), model.dispose()),
        };
      },
    });
  }
  rows.sort((a, b) => (a.L as number) - (b.L as number) || String(a.kind).localeCompare(String(b.kind)));
  return rows;
}

/**
 * Cases a projection ruled out of memory, tried for real at the very end of the process, unprofiled
 * (so a kernel's own error surfaces) and once, because a failed wasm allocation can leave the heap
 * unusable for whatever runs after it.
 */
interface RealAttempt {
  row: Row;
  label: string;
  projectedMs: number;
  /** Builds the inputs and returns the step to time and the cleanup. */
  prepare(): { run: () => void; cleanup: () => void };
}
const realAttempts: RealAttempt[] = [];

async function runRealAttempts(): Promise<void> {
  let previousFailed = false;
  for (const a of [...realAttempts].sort((x, y) => x.projectedMs - y.projectedMs)) {
    const allow = BUDGET.remainingMs;
    if (a.projectedMs > allow) {
      a.row.error += `; a real attempt was not run (projected ${fmtMs(a.projectedMs)}, ${fmtMs(Math.max(0, allow))} of budget left)`;
      log(`  ${a.label}: real attempt skipped for time`);
      continue;
    }
    const t0 = performance.now();
    let cleanup = () => {};
    try {
      const p = a.prepare();
      cleanup = p.cleanup;
      p.run();
      const ms = Math.round(performance.now() - t0);
      delete a.row.error;
      Object.assign(a.row, {
        ms,
        peakBytes: null,
        note: 'completed despite the memory projection; one unprofiled run, peak not measured',
      });
    } catch (e) {
      a.row.error += `; a real attempt failed after ${fmtMs(performance.now() - t0)}: ${errorText(e).slice(0, 300)}${previousFailed ? ' (an earlier failed attempt may have left the wasm heap corrupt)' : ''}`;
      previousFailed = true;
    } finally {
      try {
        cleanup();
      } catch (e) {
        a.row.error = `${a.row.error ?? ''}; cleanup failed too: ${errorText(e).slice(0, 120)}`;
      }
    }
    log(`  ${a.label} (real attempt): ${String(a.row.error ?? `${a.row.ms} ms`).slice(0, 400)}`);
  }
}

// ───────────────────────── 2. reversible ─────────────────────────

function stackModel(depth: number, reversible: boolean, L: number, layers: AttentionKind = 'lsh'): ReformerLM {
  return new ReformerLM({
    ...BASE,
    layers: Array(depth).fill(layers),
    seqLength: L,
    axialShape: [L / 64, 64],
    reversible,
  });
}

function randomTokens(L: number, seed: number): tf.Tensor2D {
  return tf.randomUniform([1, L], 0, BASE.vocabSize!, 'int32', seed) as tf.Tensor2D;
}

async function reversibleSection(attention: Row[]): Promise<Row[]> {
  const rows: Row[] = [];
  const L = S.revL;
  const last = new Map<boolean, { depth: number; ms: number }>();
  const failed = new Set<boolean>();
  // Depth 2 of both variants first (they warm up every kernel shape), then growing depth.
  for (const depth of RUN_DEPTHS) {
    for (const reversible of [true, false]) {
      if (failed.has(reversible)) {
        rows.push({
          reversible,
          depth,
          L,
          error: `not run: this stack already failed or was projected out of memory at depth ${rows.find((r) => r.reversible === reversible && r.error)?.depth}`,
        });
        continue;
      }
      // A plain stack's tape holds every layer's activations, and its attention runs whole under the
      // tape (not in attentionVjp's pieces): one tf.grads over an LSH layer peaks at a measured
      // multiple of section 1's piecewise peak per layer. A real attempt that overflows the wasm
      // heap aborts the whole process (RuntimeError: Aborted(), uncatchable), so a projected
      // overflow is recorded, not attempted.
      const PLAIN_LAYER_FACTOR = 3.8;
      // Margin for heap fragmentation: projections well under the heap's ceiling still aborted the process.
      const PLAIN_SAFE_BYTES = 2.5 * 2 ** 30;
      const piecePeak = attention.find((r) => r.kind === 'lsh' && r.L === L && typeof r.peakBytes === 'number')
        ?.peakBytes as number | undefined;
      const layerPeak = piecePeak === undefined ? undefined : piecePeak * PLAIN_LAYER_FACTOR;
      if (!reversible && layerPeak !== undefined && depth * layerPeak > PLAIN_SAFE_BYTES) {
        const row: Row = {
          reversible,
          depth,
          L,
          error: `out of memory (projected): ≥ depth × one LSH layer's whole-tape forward+backward peak at L=${L} ≈ ${depth} × ${fmtMiB(layerPeak)} = ${((depth * layerPeak) / 2 ** 30).toFixed(1)} GiB, over the ${(PLAIN_SAFE_BYTES / 2 ** 30).toFixed(1)} GiB that survives in a ${(WASM_HEAP_MAX / 2 ** 30).toFixed(2)} GiB wasm heap`,
        };
        row.error += '; in-process attempts abort the wasm heap (seen at depth 2: RuntimeError: Aborted())';
        rows.push(row);
        failed.add(reversible);
        log(`  reversible=false depth=${depth}: ${String(row.error)}`);
        continue;
      }
      const model = stackModel(depth, reversible, L);
      const tokens = randomTokens(L, 3);
      const prev = last.get(reversible);
      // Before any step is measured: ≈ 1.6 × one LSH layer's forward + backward per layer (forward,
      // then recompute + backward, plus the feed-forward), from section 1; only used for scheduling.
      const attnMs = attention.find((r) => r.kind === 'lsh' && r.L === L && typeof r.ms === 'number')?.ms as
        number | undefined;
      const projected = prev ? (prev.ms * depth) / prev.depth : attnMs !== undefined ? 1.6 * depth * attnMs : undefined;
      let seed = 0;
      try {
        const runs = SINGLE_RUNS ? 1 : depth <= 6 ? 3 : depth <= 12 ? 2 : 1;
        // Deeper stacks repeat depth 2's layer shapes: the kernels and the heap are already warm.
        const m = await measureCase(
          () => tf.dispose(Object.values(model.computeGradients(tokens, { stepSeed: ++seed }).grads)),
          runs,
          projected,
          BUDGET.sectionRemainingMs(SECTION_END.reversible),
          depth === RUN_DEPTHS[0] && !SINGLE_RUNS,
        );
        if ('skipped' in m) rows.push({ reversible, depth, L, error: m.skipped });
        else {
          // The step returns a gradient for every weight: bytes that grow with depth whatever the activations do.
          rows.push({
            reversible,
            depth,
            L,
            ms: Math.round(m.ms),
            peakBytes: m.peakBytes,
            gradientBytes: 4 * model.parameterCount,
            runs: m.runs,
            warmups: m.warmups,
            runsMs: m.allMs,
            topKernels: topKernels(m.kernels),
          });
          last.set(reversible, { depth, ms: m.ms });
        }
      } catch (e) {
        rows.push({ reversible, depth, L, error: await describeFailure(e) });
        failed.add(reversible);
      } finally {
        tokens.dispose();
        model.dispose();
      }
      log(`  reversible=${reversible} depth=${depth}: ${JSON.stringify(rows[rows.length - 1]).slice(0, 300)}`);
    }
  }
  return rows;
}

// ───────────────────────── 3. decode ─────────────────────────

async function decodeSection(): Promise<{ rows: Row[]; model: Row }> {
  const rows: Row[] = [];
  const end = SECTION_END.decode;
  const maxPos = S.decodeAt[S.decodeAt.length - 1];
  const seqLength = maxPos + 64;
  const cfg: Partial<ReformerConfig> = {
    ...BASE,
    layers: Array(QUICK ? 2 : 6).fill('lsh'),
    seqLength,
    axialShape: [seqLength / 64, 64],
  };
  const model = new ReformerLM(cfg);
  const modelInfo: Row = {
    dModel: cfg.dModel,
    layers: cfg.layers!.length,
    kind: 'lsh',
    seqLength,
    nBuckets: model.config.nBuckets,
    batch: 1,
  };
  let rng = 12345;
  const nextToken = () => (rng = (Math.imul(rng, 1103515245) + 12345) >>> 0) % BASE.vocabSize!;

  // Cached: advance through the positions, timing decodeSteps steps at each one.
  const decoder = new ReformerDecoder(model, 1);
  try {
    await decoder.step();
    let advanceMs = 0;
    let advanced = 0;
    for (const pos of S.decodeAt) {
      const toAdvance = pos - decoder.length;
      const perStep = advanced > 0 ? advanceMs / advanced : undefined;
      const left = BUDGET.sectionRemainingMs(end) - 60_000 * (QUICK ? 0 : 1); // keep a minute for the naive rows
      if (perStep !== undefined && perStep * (toAdvance + S.decodeSteps) > left) {
        rows.push({
          cached: true,
          position: pos,
          error: `skipped for time: reaching it needs ${toAdvance} more steps ≈ ${fmtMs(perStep * toAdvance)}, ${fmtMs(Math.max(0, left))} left`,
        });
        continue;
      }
      const t0 = performance.now();
      while (decoder.length < pos) await decoder.step([nextToken()]);
      advanceMs += performance.now() - t0;
      advanced += toAdvance;
      const times: number[] = [];
      for (let i = 0; i < S.decodeSteps; i++)
        times.push(await timedRun(async () => void (await decoder.step([nextToken()]))));
      rows.push({
        cached: true,
        position: pos,
        msPerToken: +median(times).toFixed(3),
        steps: S.decodeSteps,
        p90: +[...times].sort((a, b) => a - b)[Math.floor(0.9 * times.length)].toFixed(3),
      });
      log(
        `  decode cached @${pos}: ${JSON.stringify(rows[rows.length - 1])} (advance ${fmtMs(advanceMs / Math.max(1, advanced))}/step)`,
      );
    }
    modelInfo.advanceMsPerStep = +(advanceMs / Math.max(1, advanced)).toFixed(3);
  } catch (e) {
    rows.push({ cached: true, position: decoder.length, error: errorText(e).slice(0, 400) });
  } finally {
    decoder.dispose();
  }

  // Naive: logits for the target at `pos` by a forward over the whole prefix (pos + 1 inputs).
  let prev: { pos: number; ms: number } | undefined;
  for (const pos of S.naiveAt) {
    const tokens = randomTokens(pos + 1, 5);
    const run = () => {
      const logits = model.forward(tokens);
      const last = logits.slice([0, pos, 0], [1, 1, BASE.vocabSize!]);
      last.dataSync();
      tf.dispose([logits, last]);
    };
    try {
      const projected = prev && (prev.ms * pos) / prev.pos;
      const m = await measureCase(
        run,
        pos <= 1024 ? 3 : 1,
        projected,
        BUDGET.sectionRemainingMs(end),
        prev === undefined,
      );
      if ('skipped' in m) rows.push({ cached: false, position: pos, error: m.skipped });
      else {
        rows.push({
          cached: false,
          position: pos,
          msPerToken: Math.round(m.ms),
          runs: m.runs,
          warmups: m.warmups,
          topKernels: topKernels(m.kernels, 4),
        });
        prev = { pos, ms: m.ms };
      }
    } catch (e) {
      rows.push({ cached: false, position: pos, error: await describeFailure(e) });
    } finally {
      tokens.dispose();
    }
    log(`  decode naive @${pos}: ${JSON.stringify(rows[rows.length - 1]).slice(0, 300)}`);
  }
  model.dispose();
  return { rows, model: modelInfo };
}

// ───────────────────────── 4. efficiency ─────────────────────────

async function matmulGflops(m: number, k: number, n: number): Promise<number> {
  const a = tf.randomNormal([m, k], 0, 1, 'float32', 1);
  const b = tf.randomNormal([k, n], 0, 1, 'float32', 2);
  const once = () => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  };
  once();
  const times: number[] = [];
  for (let i = 0; i < 7; i++) times.push(await timedRun(once));
  tf.dispose([a, b]);
  return (2 * m * n * k) / (median(times) / 1000) / 1e9;
}

async function efficiencySection(reversible: Row[]): Promise<Row> {
  const square = await matmulGflops(S.mm, S.mm, S.mm);
  const modelShaped = await matmulGflops(S.revL, 256, 1024);
  const step =
    reversible.find((r) => r.reversible === true && r.depth === S.effDepth && typeof r.ms === 'number') ??
    reversible.filter((r) => r.reversible === true && typeof r.ms === 'number').pop();
  const out: Row = {
    matmulGflops: +square.toFixed(2),
    matmulShape: `[${S.mm},${S.mm}]×[${S.mm},${S.mm}]`,
    modelShapedMatmulGflops: +modelShaped.toFixed(2),
    modelShapedMatmul: `[${S.revL},256]×[256,1024]`,
  };
  if (!step) return { ...out, trainStepGflops: null, error: 'no reversible training step was measured' };
  const depth = step.depth as number;
  const flops = trainStepFlops(
    resolveConfig({
      ...BASE,
      layers: Array(depth).fill('lsh'),
      seqLength: S.revL,
      axialShape: [S.revL / 64, 64],
      reversible: true,
    }),
    1,
    S.revL,
  );
  const gflops = flops.total / ((step.ms as number) / 1000) / 1e9;
  return {
    ...out,
    trainStepGflops: +gflops.toFixed(2),
    ratio: +(gflops / square).toFixed(3),
    step: { reversible: true, depth, L: S.revL, batch: 1, ms: step.ms, gflop: +(flops.total / 1e9).toFixed(2) },
    counted: flops.counted,
  };
}

// ───────────────────────── report ─────────────────────────

function verdict(pass: boolean | undefined, text: string): string {
  return `${pass === undefined ? 'N/A ' : pass ? 'PASS' : 'MISS'}  ${text}`;
}

function targets(attention: Row[], rev: Row[], decode: Row[], eff: Row): string[] {
  const get = (kind: string, L: number) => attention.find((r) => r.kind === kind && r.L === L);
  const out: string[] = [];
  const L16 = S.attnL[2] ?? S.attnL[S.attnL.length - 1];
  const L64 = S.attnL[S.attnL.length - 1];
  const f16 = get('full', L16);
  const l16 = get('lsh', L16);
  if (typeof f16?.ms === 'number' && typeof l16?.ms === 'number') {
    const t = f16.ms / l16.ms;
    const m = (f16.peakBytes as number) / (l16.peakBytes as number);
    out.push(verdict(t >= 8, `full/LSH time at L=${L16}: ${t.toFixed(2)}× (target ≥ 8×)`));
    out.push(verdict(m >= 16, `full/LSH peak bytes at L=${L16}: ${m.toFixed(2)}× (target ≥ 16×)`));
  } else {
    out.push(
      verdict(
        undefined,
        `full/LSH time and peak at L=${L16} (targets ≥ 8×, ≥ 16×): full ${f16?.error ? 'failed' : 'ok'}, LSH ${l16?.error ? 'failed' : 'ok'} — see errors`,
      ),
    );
  }
  const l64 = get('lsh', L64);
  out.push(
    verdict(
      typeof l64?.ms === 'number',
      `LSH completes at L=${L64}${l64?.error ? `: ${String(l64.error).slice(0, 120)}…` : ''}`,
    ),
  );
  const l4 = get('lsh', S.attnL[1]);
  if (typeof l4?.ms === 'number' && typeof l64?.ms === 'number') {
    const g = (l64.ms as number) / (l4.ms as number);
    out.push(
      verdict(
        g <= 20,
        `LSH time L=${S.attnL[1]}→${L64}: ${g.toFixed(1)}× (target ≤ 20×, by ${((g / 20 - 1) * 100).toFixed(0)}%)`,
      ),
    );
  } else out.push(verdict(undefined, `LSH time L=${S.attnL[1]}→${L64} ≤ 20×: not both measured`));
  const r2 = rev.find((r) => r.reversible === true && r.depth === S.depths[0]);
  const rMax = rev.find((r) => r.reversible === true && r.depth === S.depths[S.depths.length - 1]);
  if (typeof r2?.peakBytes === 'number' && typeof rMax?.peakBytes === 'number') {
    const k = rMax.peakBytes / r2.peakBytes;
    // Activations are what reversible layers keep from growing; the weights' gradients grow with the
    // weights, as in any training. Judged on the peak less them, where the rows record them.
    const grads = (r: Row) => (typeof r.gradientBytes === 'number' ? r.gradientBytes : 0);
    const a = (rMax.peakBytes - grads(rMax)) / (r2.peakBytes - grads(r2));
    const split =
      grads(rMax) > 0
        ? `; less the weights' gradients (${fmtMiB(grads(r2))} at depth ${r2.depth}, ${fmtMiB(grads(rMax))} at ${rMax.depth}): ${a.toFixed(2)}×`
        : '';
    out.push(
      verdict(
        a <= 1.3,
        `reversible peak depth ${rMax.depth} / depth ${r2.depth}: ${k.toFixed(2)}×${split} (target ≤ 1.3×)`,
      ),
    );
  } else {
    const deepest = rev.filter((r) => r.reversible === true && typeof r.peakBytes === 'number').pop();
    const partial =
      deepest && typeof r2?.peakBytes === 'number' && deepest !== r2
        ? `; measured depth ${deepest.depth}/${r2.depth}: ${((deepest.peakBytes as number) / (r2.peakBytes as number)).toFixed(2)}×`
        : '';
    out.push(
      verdict(
        undefined,
        `reversible peak depth ${S.depths[S.depths.length - 1]} ≤ 1.3× depth ${S.depths[0]}: depth ${S.depths[S.depths.length - 1]} not measured${partial}`,
      ),
    );
  }
  const c1 = decode.find((r) => r.cached === true && r.position === S.decodeAt[0]);
  const cMax = decode.find((r) => r.cached === true && r.position === S.decodeAt[S.decodeAt.length - 1]);
  if (typeof c1?.msPerToken === 'number' && typeof cMax?.msPerToken === 'number') {
    const k = cMax.msPerToken / c1.msPerToken;
    out.push(
      verdict(k <= 1.5, `cached decode ms/token @${cMax.position} / @${c1.position}: ${k.toFixed(2)}× (target ≤ 1.5×)`),
    );
  } else
    out.push(
      verdict(
        undefined,
        `cached decode @${S.decodeAt[S.decodeAt.length - 1]} ≤ 1.5× @${S.decodeAt[0]}: not both measured`,
      ),
    );
  if (typeof eff.ratio === 'number') {
    out.push(
      verdict(
        eff.ratio >= 0.4,
        `training step ${eff.trainStepGflops} GFLOP/s = ${(eff.ratio * 100).toFixed(1)}% of matmul ${eff.matmulGflops} GFLOP/s (target ≥ 40%)`,
      ),
    );
  } else out.push(verdict(undefined, 'training step efficiency: no step measured'));
  return out;
}

async function main() {
  const childL = argValue('--child-attention');
  if (childL) return childAttention(Number(childL));
  await tf.setBackend('wasm');
  await tf.ready();
  // Threads: tfjs turns WASM_HAS_MULTITHREAD_SUPPORT off in Node (tfjs#3830). Forcing it on made
  // matmul far slower than single-threaded, so it stays off.
  const env = {
    date: new Date().toISOString(),
    node: process.version,
    backend: tf.getBackend(),
    wasmSimd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    wasmThreads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    cpus: os.cpus().length,
    loadAverageAtStart: os.loadavg().map((x) => +x.toFixed(2)),
    quick: QUICK,
    budgetMinutes: BUDGET.totalMs / 60_000,
    peakMethod:
      'tf.profile peakBytes (max engine numBytes after any kernel) minus tf.memory().numBytes just before the run; tensor bytes only, not wasm heap fragmentation',
    timeMethod:
      'wall time of a profiled run (the profiler adds a timestamp and a record per kernel); median of `runs` after `warmups` warm-ups',
  };
  log(
    `Reformer engine benchmark — ${env.date}, node ${env.node}, backend ${env.backend}, SIMD ${env.wasmSimd}, threads ${env.wasmThreads}, load ${env.loadAverageAtStart.join(' ')}, budget ${env.budgetMinutes} min${QUICK ? ' (quick)' : ''}`,
  );

  const resultsUrl = new URL('./results/engine.json', import.meta.url);
  const previous =
    ONLY.length < ALL_SECTIONS.length && existsSync(resultsUrl) ? JSON.parse(readFileSync(resultsUrl, 'utf8')) : {};
  /** New rows replace previous rows with the same identity; other previous rows stay. */
  const merge = (old: Row[] | undefined, fresh: Row[], key: (r: Row) => string) => {
    const keys = new Set(fresh.map(key));
    return [...(old ?? []).filter((r) => !keys.has(key(r))), ...fresh];
  };
  let attention: Row[] = previous.attention ?? [];
  if (ONLY.includes('attention')) {
    log('\n[1/4] attention: one layer forward + backward, d 256, 4 heads, C 64, 4 hashes, batch 1');
    attention = await attentionSection();
  }
  let reversible: Row[] = previous.reversible ?? [];
  if (ONLY.includes('reversible')) {
    log('\n[2/4] reversible: training step, L ' + S.revL + ', d 256, 4 heads, dFF 1024, all LSH, batch 1');
    reversible = merge(reversible, await reversibleSection(attention), (r) => `${r.reversible}/${r.depth}`);
    reversible.sort((a, b) => (a.depth as number) - (b.depth as number) || Number(b.reversible) - Number(a.reversible));
  }
  let decode: { rows: Row[]; model: Row } = { rows: previous.decode ?? [], model: previous.decodeModel ?? {} };
  if (ONLY.includes('decode')) {
    log('\n[3/4] decode');
    decode = await decodeSection();
  }
  let efficiency: Row = previous.efficiency ?? {};
  if (ONLY.includes('efficiency')) {
    log('\n[4/4] efficiency');
    efficiency = await efficiencySection(reversible);
  }
  log('\n[real attempts of cases projected out of memory]');
  await runRealAttempts();

  const mib = (b: unknown) => (typeof b === 'number' ? fmtMiB(b) : '—');
  const ms = (v: unknown) => (typeof v === 'number' ? fmtMs(v) : '—');
  const why = (r: Row) => (r.error ? String(r.error).slice(0, 110) + (String(r.error).length > 110 ? '…' : '') : '');
  log(
    table(
      'attention (forward + backward, one layer)',
      ['kind', 'L', 'time', 'peak', 'runs', 'top kernel / error'],
      attention.map((r) => [
        r.kind as string,
        r.L as number,
        ms(r.ms),
        mib(r.peakBytes),
        (r.runs as number) ?? '—',
        r.error ? why(r) : ((r.topKernels as string[])?.[0] ?? ''),
      ]),
    ),
  );
  log(
    table(
      `reversible vs plain (training step, L ${S.revL})`,
      ['reversible', 'depth', 'time', 'peak', 'runs', 'top kernel / error'],
      reversible.map((r) => [
        String(r.reversible),
        r.depth as number,
        ms(r.ms),
        mib(r.peakBytes),
        (r.runs as number) ?? '—',
        r.error ? why(r) : ((r.topKernels as string[])?.[0] ?? ''),
      ]),
    ),
  );
  log(
    table(
      `decode (${decode.model.layers} LSH layers, d ${decode.model.dModel}, seqLength ${decode.model.seqLength}, batch 1)`,
      ['cached', 'position', 'ms/token', 'note'],
      decode.rows.map((r) => [
        String(r.cached),
        r.position as number,
        typeof r.msPerToken === 'number' ? String(r.msPerToken) : '—',
        r.error ? why(r) : r.cached ? `median of ${r.steps} steps, p90 ${r.p90}` : `median of ${r.runs}`,
      ]),
    ),
  );
  log(
    table(
      'efficiency',
      ['measure', 'value'],
      [
        [`matmul ${efficiency.matmulShape}`, `${efficiency.matmulGflops} GFLOP/s`],
        [`matmul ${efficiency.modelShapedMatmul}`, `${efficiency.modelShapedMatmulGflops} GFLOP/s`],
        [`training step ${JSON.stringify(efficiency.step ?? {})}`, `${efficiency.trainStepGflops ?? '—'} GFLOP/s`],
        ['ratio step / matmul', typeof efficiency.ratio === 'number' ? `${(efficiency.ratio * 100).toFixed(1)}%` : '—'],
      ],
    ),
  );
  if (efficiency.counted) log(`  FLOPs counted: ${efficiency.counted}`);
  const t = targets(attention, reversible, decode.rows, efficiency);
  log('\ntargets\n' + t.join('\n'));
  if (maskedErrors.length)
    log(
      `\nerrors the profiler masked (unhandled rejections):\n  ${[...new Set(maskedErrors)].map((e) => e.slice(0, 200)).join('\n  ')}`,
    );

  const result = {
    backend: env.backend,
    ...(ONLY.length < ALL_SECTIONS.length ? { previousRuns: [...(previous.previousRuns ?? []), previous.env] } : {}),
    env: {
      ...env,
      sectionsRun: ONLY,
      ...(SINGLE_RUNS ? { depthsRun: RUN_DEPTHS } : {}),
      loadAverageAtEnd: os.loadavg().map((x) => +x.toFixed(2)),
      wallSeconds: Math.round(BUDGET.elapsedMs / 1000),
      wasmHeapMaxBytes: WASM_HEAP_MAX,
    },
    attention,
    reversible,
    decode: decode.rows,
    decodeModel: decode.model,
    efficiency,
    targets: t,
    maskedErrors: [...new Set(maskedErrors)],
  };
  if (QUICK) log('\n(--quick: results not written)');
  else {
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(resultsUrl, JSON.stringify(result, null, 2) + '\n');
    log(`\nwrote bench/results/engine.json in ${Math.round(BUDGET.elapsedMs / 1000)} s`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
