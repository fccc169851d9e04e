/**
 * Train a Reformer on a stored dataset from the command line, with the same loop the browser
 * worker runs (lib/training/trainer.ts), on the WASM backend.
 *
 *   npm run train -- --dataset emoji-32 --config small --steps 2000 --out runs/emoji-32
 *   npm run train -- --resume runs/emoji-32 --steps 4000      # continue (same or larger --steps)
 *   npm run train -- --init public/models/emoji-32-small --steps 2000 --lr 5e-4 --out runs/more
 *
 * Writes to --out: checkpoint/ (weights + optimizer state + position, to resume), model/ (the
 * model alone, with its card: what the studio loads), train.log (one line per report, resumes
 * marked). Ctrl-C saves a checkpoint before exiting.
 *
 * --threads N splits each batch across N threads (default: one per core, at most one per image of
 * the batch); tfjs-wasm uses one core per thread. --attention lsh|local|full|mixed and
 * --neighbours pixel|none choose the layers and the pixel-neighbour embeddings (presets.ts).
 * --ema D keeps a moving average of the weights with decay D (default 0.999; 0 = none): the log's
 * val_bpd and the saved model are the average's, val_trained the last step's weights. With
 * --resume, --ema starts or changes the average of a run; without it the run keeps its own.
 *
 * A resumed run keeps the options it started with. Only --steps, --ema, --eval-every,
 * --eval-images, --threads and --backend may be given with --resume; flags that would change the
 * run itself (--config, --attention, --neighbours, --batch, --lr, --warmup, --seed) are refused.
 * The model card's command is the one that started the run; train.log lists every resume.
 * Another --steps (past the warm-up) reschedules the run: the learning rate goes on from where it
 * was and decays to the same floor at the new target; it neither rises again nor drops at once, so
 * a run that had annealed to its floor stays there.
 * --warmup defaults to 100 steps or a tenth of --steps, whichever is less; 0 means none.
 *
 * A dataset with classes trains a class-conditional model (lib/reformer/embeddings.ts): each image
 * is fed its class, or "no class" for a share of them (--label-dropout P, default 0.1) so the model
 * also samples without one and guidance has its unconditional stream; validation gives the true
 * class, and the card lists the class names. --classes off trains an unconditional model on it
 * instead (--classes on, the default, insists on classes). With --init, an unconditional model
 * starting on a dataset with classes gets a class table of zeros (it starts as the model it came
 * from); a conditional one must have the dataset's number of classes.
 *
 * --init DIR starts a new run from the weights of a saved model (DIR/model.json: a shipped model,
 * a published one, or a run's model/), with fresh optimizer state and its own learning-rate
 * schedule: to train a model on when its checkpoint is gone, or to fine-tune it on another dataset
 * of the same shape and tokenization (--dataset; default the model's own). The model decides the
 * layers, so --config, --attention and --neighbours are refused with it. Steps count on from the
 * model's: the log copies the model's train.log and carries on its numbering, and the card's steps and
 * `initialisedFrom` say what came before. --steps counts this run's steps (also when resuming it).
 */
import { formatClock } from '@/lib/format';
import '@tensorflow/tfjs-backend-wasm';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileSystemHandler } from '@/lib/node/file-io';
import { buildModelCard } from '@/lib/models/build-card';
import { dimsPerToken, type ModelCard, ModelCardSchema } from '@/lib/models/card';
import type { DatasetManifest } from '@/lib/pixels/manifest';
import { ReformerLM } from '@/lib/reformer/model';
import { modelFromArtifacts } from '@/lib/reformer/serialize';
import * as tf from '@/lib/reformer/tf';
import { loadTrainingData } from '@/lib/server/datasets/training-data';
import { AppError } from '@/lib/server/errors';
import { getStorage, type Storage } from '@/lib/server/storage';
import {
  ATTENTION_PLANS,
  type AttentionPlan,
  configFor,
  isPreset,
  NEIGHBOUR_PLANS,
  type NeighbourPlan,
  PRESETS,
} from '@/lib/training/presets';
import { type Lineage, lineageAfter, startMismatch, withClassTable } from '@/lib/training/start-from';
import { startGradientThreads } from '@/lib/node/threads';
import type { TrainingData } from '@/lib/training/data';
import { DEFAULT_LABEL_DROPOUT, DEFAULT_TRAIN, Trainer } from '@/lib/training/trainer';

const { values: args } = parseArgs({
  options: {
    dataset: { type: 'string' },
    config: { type: 'string' },
    attention: { type: 'string' },
    neighbours: { type: 'string' },
    steps: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'string' },
    init: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    warmup: { type: 'string' },
    'eval-every': { type: 'string' },
    'eval-images': { type: 'string' },
    seed: { type: 'string' },
    ema: { type: 'string' },
    classes: { type: 'string' },
    'label-dropout': { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`train: ${message}`);
  process.exit(2);
}

function intArg(name: keyof typeof args, fallback?: number, min = 1): number | undefined {
  const raw = args[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be a whole number ≥ ${min}, got "${raw}"`);
  return n;
}

/** --lr: a positive learning rate such as 2e-3. */
function learningRateArg(): number | undefined {
  if (args.lr === undefined) return undefined;
  const lr = Number(args.lr);
  if (!(Number.isFinite(lr) && lr > 0)) fail(`--lr must be a positive number such as 2e-3, got "${args.lr}"`);
  return lr;
}

/** Flags that shape a run; a resumed run keeps its own, so giving one with --resume is a mistake. */
const RUN_FLAGS = [
  'config',
  'attention',
  'neighbours',
  'batch',
  'lr',
  'warmup',
  'seed',
  'init',
  'classes',
  'label-dropout',
] as const;
/** Flags that shape the model, which --init takes from the model it starts from. */
const MODEL_FLAGS = ['config', 'attention', 'neighbours'] as const;

/** What a run started with --init begins from: the saved model at `dir`, its card, and its log. */
async function initialModel(dir: string): Promise<{ model: ReformerLM; card?: ModelCard; log?: string }> {
  if (!existsSync(path.join(dir, 'model.json'))) {
    fail(
      `--init ${dir}: no model.json there${existsSync(path.join(dir, 'model', 'model.json')) ? ` (a run's model is in ${path.join(dir, 'model')})` : ''}`,
    );
  }
  let model: ReformerLM;
  let metadata: Record<string, unknown>;
  try {
    ({ model, metadata } = modelFromArtifacts(await fileSystemHandler(dir).load!()));
  } catch (e) {
    fail(`--init ${dir}: ${(e as Error).message}`);
  }
  const parsed = metadata.card === undefined ? undefined : ModelCardSchema.safeParse(metadata.card);
  if (parsed && !parsed.success)
    fail(`--init ${dir}: the model's card is unreadable: ${parsed.error.issues[0].message}`);
  // A shipped model keeps its log beside it; a run keeps it beside model/.
  const logFile = [
    path.join(dir, 'train.log'),
    ...(path.basename(path.resolve(dir)) === 'model' ? [path.join(dir, '..', 'train.log')] : []),
  ].find((f) => existsSync(f));
  return { model, card: parsed?.data, log: logFile && readFileSync(logFile, 'utf8') };
}

/** The command a fresh run's log starts with (`# <arguments>`), for checkpoints that predate `command` in their metadata. */
function startCommandFromLog(logFile: string): string | undefined {
  if (!existsSync(logFile)) return undefined;
  const first = readFileSync(logFile, 'utf8').split('\n', 1)[0];
  return first.startsWith('# --') ? `npm run train -- ${first.slice(2)}` : undefined;
}

async function loadData(storage: Storage, id: string): Promise<{ data: TrainingData; manifest: DatasetManifest }> {
  try {
    return await loadTrainingData(storage, id, () => console.log(`preparing built-in dataset ${id}…`));
  } catch (e) {
    if (e instanceof AppError) fail(e.message);
    throw e;
  }
}

/** --ema: the weight average's decay, in [0, 1); 0 = none. */
function emaArg(): number {
  const d = Number(args.ema);
  if (!(d >= 0 && d < 1))
    fail(`--ema must be a decay in [0, 1) such as 0.999, or 0 for no weight average; got "${args.ema}"`);
  return d;
}

/** --classes on|off: whether a dataset with classes trains a class-conditional model (default on). */
function classesArg(): boolean {
  const v = args.classes ?? 'on';
  if (v !== 'on' && v !== 'off') fail(`--classes must be on or off, got "${v}"`);
  return v === 'on';
}

/** --label-dropout: the share of images trained with "no class", in [0, 1). */
function labelDropoutArg(): number | undefined {
  if (args['label-dropout'] === undefined) return undefined;
  const p = Number(args['label-dropout']);
  if (!(p >= 0 && p < 1)) fail(`--label-dropout must be a share in [0, 1) such as 0.1, got "${args['label-dropout']}"`);
  return p;
}

function bar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

async function main() {
  if (args.help) {
    console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
    return;
  }
  const out = args.resume ?? args.out ?? fail('--out DIR is required (or --resume DIR)');
  if (args.resume) {
    const given = RUN_FLAGS.filter((f) => args[f] !== undefined);
    if (given.length > 0)
      fail(
        `${given.map((f) => `--${f}`).join(', ')} cannot change when resuming: the run keeps the options it started with (its train.log lists them); start a new run with --out to change them`,
      );
  }
  if (args.init) {
    const given = MODEL_FLAGS.filter((f) => args[f] !== undefined);
    if (given.length > 0)
      fail(
        `${given.map((f) => `--${f}`).join(', ')} cannot be given with --init: the model it starts from decides its layers`,
      );
    if (existsSync(path.join(out, 'checkpoint', 'model.json')))
      fail(`${out} already holds a run; resume it with --resume ${out}, or give --init a new --out`);
    // The new log starts as a copy of the model's: an --out with a log of its own (a run whose
    // checkpoint is gone, or an --init run killed before its first save) would mix the two.
    if (existsSync(path.join(out, 'train.log')))
      fail(`${out} already has a train.log; give --init a new --out (or remove ${path.join(out, 'train.log')})`);
  }
  const presetName = args.config ?? 'small';
  const attention = (args.attention ?? 'lsh') as AttentionPlan;
  const neighbours = (args.neighbours ?? 'pixel') as NeighbourPlan;
  if (!isPreset(presetName)) fail(`--config must be one of ${Object.keys(PRESETS).join(', ')}`);
  if (!ATTENTION_PLANS.includes(attention)) fail(`--attention must be one of ${ATTENTION_PLANS.join(', ')}`);
  if (!NEIGHBOUR_PLANS.includes(neighbours)) fail(`--neighbours must be one of ${NEIGHBOUR_PLANS.join(', ')}`);
  const steps = intArg('steps');
  const evalOptions = {
    ...(args['eval-every'] !== undefined && { evalEvery: intArg('eval-every')! }),
    ...(args['eval-images'] !== undefined && { evalImages: intArg('eval-images')! }),
  };
  const learningRate = learningRateArg();
  const batchSize = intArg('batch', DEFAULT_TRAIN.batchSize)!;
  // Warm-up within the run: by default at most a tenth of it, as in the browser; given, shorter than it.
  const totalSteps = steps ?? DEFAULT_TRAIN.steps;
  const warmupSteps = intArg('warmup', Math.min(DEFAULT_TRAIN.warmupSteps, Math.floor(totalSteps / 10)), 0)!;
  if (!args.resume && warmupSteps >= totalSteps)
    fail(
      `--warmup ${warmupSteps} must be shorter than the run (--steps ${totalSteps}): the learning rate would never leave its warm-up`,
    );
  const seed = intArg('seed', DEFAULT_TRAIN.seed)!;
  const emaDecay = args.ema === undefined ? undefined : emaArg();
  const useClasses = classesArg();
  const labelDropout = labelDropoutArg();
  const threadsWanted = intArg('threads', availableParallelism())!;
  await tf.setBackend(args.backend!);
  await tf.ready();

  const storage = getStorage();
  const checkpointDir = path.join(out, 'checkpoint');
  const logFile = path.join(out, 'train.log');
  mkdirSync(out, { recursive: true });
  const log = (line: string) => {
    appendFileSync(logFile, `${line}\n`);
    console.log(line);
  };

  let trainer: Trainer;
  let manifest: DatasetManifest;
  let preset: string = presetName;
  // What the card says produced the model: the command that started the run.
  let command = `npm run train -- ${process.argv.slice(2).join(' ')}`;
  // For a run started with --init: the runs before it, and the step it started at.
  let initialisedFrom: Lineage | undefined;
  let baseSteps = 0;
  if (args.resume) {
    if (!existsSync(path.join(checkpointDir, 'model.json'))) fail(`no checkpoint in ${checkpointDir}`);
    const artifacts = await fileSystemHandler(checkpointDir).load!();
    const meta = artifacts.userDefinedMetadata as {
      checkpoint?: { datasetId?: string };
      preset?: string;
      command?: string;
      initialisedFrom?: Lineage;
      baseSteps?: number;
    };
    const datasetId =
      args.dataset ?? meta.checkpoint?.datasetId ?? fail('the checkpoint names no dataset; pass --dataset');
    preset = meta.preset ?? preset;
    command = meta.command ?? startCommandFromLog(logFile) ?? command;
    initialisedFrom = meta.initialisedFrom;
    baseSteps = meta.baseSteps ?? 0;
    const loaded = await loadData(storage, datasetId);
    manifest = loaded.manifest;
    trainer = Trainer.fromCheckpoint(artifacts, loaded.data, {
      ...(steps && { steps }),
      ...evalOptions,
      ...(emaDecay !== undefined && { emaDecay }),
    });
    const extension = trainer.options.scheduleExtension;
    const schedule =
      extension?.step === trainer.step
        ? `; the learning rate goes on from ${extension.learningRate.toExponential(2)} and decays to ${(trainer.options.learningRate * 0.1).toExponential(2)} at the new target`
        : '';
    log(
      `# resumed at step ${baseSteps + trainer.step} from ${checkpointDir} (${new Date().toISOString()}), target ${trainer.options.steps} steps${baseSteps ? ` of this run (step ${baseSteps + trainer.options.steps})` : ''}${schedule}`,
    );
  } else {
    const init = args.init ? await initialModel(args.init) : undefined;
    const datasetId =
      args.dataset ??
      init?.card?.dataset.id ??
      fail(args.init ? `--init ${args.init}: the model names no dataset; pass --dataset` : '--dataset ID is required');
    const loaded = await loadData(storage, datasetId);
    manifest = loaded.manifest;
    const options = {
      ...DEFAULT_TRAIN,
      steps: totalSteps,
      batchSize,
      learningRate: learningRate ?? DEFAULT_TRAIN.learningRate,
      warmupSteps,
      ...evalOptions,
      seed,
      emaDecay: emaDecay ?? DEFAULT_TRAIN.emaDecay,
      labelDropout: labelDropout ?? DEFAULT_TRAIN.labelDropout,
    };
    const labels = loaded.data.labels;
    if (args.classes === 'on' && !labels)
      fail(`--classes on: dataset ${datasetId} has no classes; label it, or leave --classes out`);
    // A dataset with classes trains a class-conditional model unless --classes off.
    const classes = useClasses && labels ? labels.classes.length : 0;
    let model: ReformerLM;
    if (init) {
      model = init.model;
      const problem = startMismatch(model.config, init.card, manifest);
      if (problem) fail(`--init ${args.init}: the model cannot train on ${manifest.id}: ${problem}`);
      if (classes > 0 && model.config.classes === 0) model = withClassTable(model, classes);
      else if (classes === 0 && model.config.classes > 0)
        fail(
          `--init ${args.init}: the model is class-conditional${labels ? '' : `, and dataset ${datasetId} has no classes`}; it cannot train unconditionally`,
        );
      baseSteps = init.card?.steps ?? 0;
      preset = init.card?.preset ?? 'custom';
      initialisedFrom = init.card && lineageAfter(init.card);
      if (init.log !== undefined)
        writeFileSync(logFile, init.log.endsWith('\n') || init.log === '' ? init.log : `${init.log}\n`);
    } else {
      model = new ReformerLM({
        ...configFor(
          presetName,
          { ...manifest, vocabSize: manifest.vocabSize },
          { attention, neighbours, seed: options.seed },
        ),
        classes,
      });
    }
    try {
      trainer = new Trainer(model, loaded.data, options);
    } catch (e) {
      fail(`${args.init ? `--init ${args.init}: ` : ''}${(e as Error).message}`);
    }
    if (init)
      log(
        `# initialised from ${args.init}${init.card ? ` (model ${init.card.id}, ${init.card.steps.toLocaleString()} steps)` : ''}: its weights, fresh optimizer state and learning-rate schedule; steps count on from ${baseSteps}`,
      );
    log(`# ${process.argv.slice(2).join(' ')}`);
    log(
      `# ${new Date().toISOString()} dataset ${datasetId} (${loaded.data.train.length / manifest.seqLength} train images, ${manifest.seqLength} tokens each), preset ${preset}, ${trainer.model.parameterCount.toLocaleString()} parameters, backend ${tf.getBackend()}`,
    );
    log(`# options ${JSON.stringify(options)}`);
  }
  const classNames = trainer.conditional ? trainer.data.labels!.classes : undefined;
  if (classNames)
    log(
      `# class-conditional: ${classNames.length} classes (${classNames.join(', ')}), label dropout ${trainer.options.labelDropout ?? DEFAULT_LABEL_DROPOUT}`,
    );

  const model = trainer.model;
  let lastValidation: number | undefined;
  let savedAt = -1;
  const save = async () => {
    await fileSystemHandler(checkpointDir).save!(
      await trainer.checkpoint({ preset, command, initialisedFrom, baseSteps }),
    );
    const card = buildModelCard({
      id: path
        .basename(path.resolve(out))
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-'),
      name: `${manifest.name} · ${preset}`,
      manifest,
      preset,
      parameters: model.parameterCount,
      steps: baseSteps + trainer.step,
      validation: trainer.validationFields(lastValidation),
      classes: classNames,
      command,
      initialisedFrom,
    });
    await fileSystemHandler(path.join(out, 'model')).save!(await trainer.exportArtifacts({ card }));
    savedAt = trainer.step;
  };

  // val_bpd is the model that is saved: the weight average when there is one; val_trained is the
  // last step's weights beside it.
  const validate = () => {
    lastValidation = trainer.evaluate();
    return `val_bpd ${lastValidation.toFixed(4)}${trainer.average ? ` val_trained ${trainer.evaluateTrained().toFixed(4)}` : ''}`;
  };
  if (trainer.evaluationSplit === 'train')
    log(
      `# dataset ${manifest.id} has no validation images: val_bpd is measured on training images, and the model card gives no validation figure`,
    );
  if (trainer.average)
    log(`# weight average: decay ${trainer.average.decay}, ${trainer.average.updates} updates so far`);

  let stopping = false;
  let firstSignal = 0;
  const onSignal = () => {
    // Ctrl-C reaches this process more than once under `npm run` (from the terminal, relayed by
    // npm and tsx): only a second press, seconds later, aborts without saving.
    if (stopping && Date.now() - firstSignal > 2000) process.exit(130);
    if (stopping) return;
    stopping = true;
    firstSignal = Date.now();
    console.log('\nstopping after this step (Ctrl-C again to abort without saving)…');
  };
  // npm and tsx pass a Ctrl-C on as SIGINT or SIGTERM: both stop after the step, and save.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const threadCount = Math.min(threadsWanted, trainer.options.batchSize);
  const threads =
    threadCount > 1 ? await startGradientThreads(threadCount - 1, model.config, tf.getBackend()) : undefined;
  log(`# ${threadCount} thread${threadCount > 1 ? 's' : ''} (${process.argv.slice(2).join(' ')})`);

  const total = trainer.options.steps;
  const started = performance.now();
  const startStep = trainer.step;
  let recent: number[] = [];
  while (trainer.step < total && !stopping) {
    await new Promise((resolve) => setImmediate(resolve)); // a step is synchronous: let signals in between steps
    const r = threads ? await trainer.trainStepParallel(threads.helpers) : trainer.trainStep();
    recent.push(r.loss);
    const rate = (trainer.step - startStep) / ((performance.now() - started) / 1000);
    const tokensPerSecond = rate * trainer.options.batchSize * manifest.seqLength;
    if (process.stdout.isTTY) {
      process.stdout.write(
        `\r${bar(r.step, total)} ${r.step}/${total} loss ${r.bitsPerDim.toFixed(3)} bits/dim | ${rate.toFixed(2)} steps/s ${Math.round(tokensPerSecond)} tok/s | ETA ${formatClock(((total - r.step) / rate) * 1000)}   `,
      );
    }
    const atEval = r.step % trainer.options.evalEvery === 0 || r.step === total;
    if (r.step % 10 === 0 || atEval) {
      const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
      recent = [];
      let line = `step ${baseSteps + r.step} train_bpd ${(mean / Math.LN2 / dimsPerToken(manifest.tokenization)).toFixed(4)} lr ${r.learningRate.toExponential(2)} grad_norm ${r.gradNorm.toFixed(3)} ms/step ${r.ms.toFixed(0)} tok/s ${Math.round(tokensPerSecond)}`;
      if (atEval) line += ` ${validate()}`;
      if (process.stdout.isTTY) process.stdout.write('\n');
      appendFileSync(logFile, `${line}\n`);
      if (!process.stdout.isTTY) console.log(line);
      if (atEval) await save();
    }
  }
  if (savedAt !== trainer.step) {
    log(`step ${baseSteps + trainer.step} ${validate()}${stopping ? ' (stopped)' : ''}`);
    await save();
  }
  log(`# saved ${path.join(out, 'model')} and ${checkpointDir} at step ${baseSteps + trainer.step}`);
  storage.close();
  await threads?.close();
}

main().catch((e) => {
  console.error(`train: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
