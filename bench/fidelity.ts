/**
 * bench:fidelity: whether samples look right, which bits/dim does not say (issue 21, item 4).
 *
 * A small classifier (bench/lib/classifier.ts, seeded, trained once on a labelled dataset's
 * training split and cached) judges N samples per class of a model, drawn with `generate()` on WASM:
 * - classShare: the share classified as the class asked for (class-conditional models, at guidance
 *   --guidance); beside it validationClassShare, the same for the model's dataset's validation
 *   images (the ceiling); an unconditional model gets N × classes plain samples and a histogram of
 *   the classes the classifier gives them instead;
 * - frechet: the Fréchet distance between the classifier's penultimate-layer features of samples
 *   and of validation images (FID's formula; bench/lib/frechet.ts). A conditional model's samples
 *   are weighted so that their class mix is the validation images' (N per class is balanced, the
 *   data is not); frechetUnweighted is without;
 * - nearCopyShare: samples nearer (L2 over RGB bytes) to a training image than 99% of validation
 *   images are (bench/lib/copies.ts);
 * - validationBitsPerDim (given the class, for a conditional model) and heldOutBitsPerDim on an
 *   emoji style never trained on (OpenMoji: the model's dataset id with `openmoji-` for `emoji-`).
 * The baseline (--baseline, the current unconditional default) is measured in the same run.
 * Every image is brought to the classifier's 32×32 by nearest-neighbour enlarging or area reduction
 * (bench/lib/resize.ts), so 16×16 and 32×32 models face the same judge.
 *
 *   npm run bench:fidelity -- --model runs/cond16-small/model [--per-class 32 --guidance 2]
 *
 * Writes bench/results/fidelity-<model id>.json, a grid per class
 * (fidelity-<model id>-<class slug>.png), an overview with a row per class (fidelity-<model id>.png)
 * and the baseline's samples (fidelity-<model id>-baseline.png). Caches in .data/fidelity-cache/.
 */
import '@tensorflow/tfjs-backend-wasm';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { ModelCardSchema, type ModelCard } from '../lib/models/card';
import { fileSystemHandler } from '../lib/node/file-io';
import { tokensToImage, type DatasetManifest, type TokenArray } from '../lib/pixels/manifest';
import { generate } from '../lib/reformer/generate';
import type { ReformerLM } from '../lib/reformer/model';
import type { SamplingOptions } from '../lib/reformer/sampling';
import { DEFAULT_SAMPLING } from '../lib/reformer/sampling';
import { loadModel } from '../lib/reformer/serialize';
import * as tf from '../lib/reformer/tf';
import { BUILTIN_DATASETS } from '../lib/server/datasets/builtin';
import { loadTrainingData } from '../lib/server/datasets/training-data';
import { getStorage, type Storage } from '../lib/server/storage';
import type { TrainingData } from '../lib/training/data';
import { imagesBitsPerDim } from '../lib/training/trainer';
import { accuracy, DEFAULT_CLASSIFIER, ImageClassifier, type ClassifierSettings } from './lib/classifier';
import { copyCheck, nearestDistances, type CopyCheck } from './lib/copies';
import { keyHash, modelDirHash, readCached, writeCached } from './lib/fidelity-cache';
import { frechetBetween } from './lib/frechet';
import { table } from './lib/measure';
import { resizeSquare } from './lib/resize';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'public/models/emoji-32-small' },
    baseline: { type: 'string', default: 'public/models/emoji-32-small' },
    'per-class': { type: 'string', default: '32' },
    guidance: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    batch: { type: 'string', default: '32' },
    'classifier-dataset': { type: 'string', default: 'emoji-32' },
    'held-out-images': { type: 'string', default: '128' },
  },
});

const perClass = Number(values['per-class']);
const guidance = Number(values.guidance);
const seed = Number(values.seed);
const batch = Number(values.batch);
if (!Number.isInteger(perClass) || perClass < 1) throw new Error(`--per-class ${perClass} must be a whole number ≥ 1`);
if (!(guidance >= 0)) throw new Error(`--guidance ${values.guidance} must be ≥ 0`);
const RESULTS_MIN_PER_CLASS = 32;

/** A dataset split as RGB images: native side, and brought to the classifier's side. */
interface Images {
  count: number;
  side: number;
  /** [count · side · side · 3] */
  rgb: Uint8Array;
  /** [count · classifierSide² · 3] */
  judged: Uint8Array;
}

function imagesOf(
  manifest: Pick<DatasetManifest, 'tokenization' | 'palette' | 'width'>,
  tokens: ArrayLike<number>,
  seqLength: number,
  judgedSide: number,
): Images {
  const count = tokens.length / seqLength;
  const side = manifest.width;
  const rgb = new Uint8Array(count * side * side * 3);
  const judged = new Uint8Array(count * judgedSide * judgedSide * 3);
  for (let i = 0; i < count; i++) {
    const slice = Array.prototype.slice.call(tokens, i * seqLength, (i + 1) * seqLength) as number[];
    const image = tokensToImage(manifest, slice);
    rgb.set(image, i * image.length);
    judged.set(resizeSquare(image, side, judgedSide), i * judgedSide * judgedSide * 3);
  }
  return { count, side, rgb, judged };
}

function lowResolution(judged: Uint8Array, side: number, low: number): Uint8Array {
  const per = side * side * 3;
  const out = new Uint8Array(judged.length);
  for (let i = 0; i < judged.length / per; i++)
    out.set(resizeSquare(resizeSquare(judged.subarray(i * per, (i + 1) * per), side, low), low, side), i * per);
  return out;
}

/** Rows of `images` whose label is a class (not "no class"), with those labels. */
function labelledRows(labels: Int32Array, classes: number): number[] {
  return Array.from(labels.keys()).filter((i) => labels[i]! < classes);
}

function pick(images: Uint8Array, per: number, rows: number[]): Uint8Array {
  const out = new Uint8Array(rows.length * per);
  rows.forEach((r, i) => out.set(images.subarray(r * per, (r + 1) * per), i * per));
  return out;
}

interface ClassifierInfo {
  dataset: string;
  settings: ClassifierSettings;
  classes: string[];
  trainImages: number;
  validationImages: number;
  /** On the dataset's validation images at the classifier's side. */
  validationAccuracy: number;
  /** The same images as they look at `settings.lowResolutionSide`. */
  lowResolutionValidationAccuracy: number;
  trainSeconds: number;
  cache: string;
}

/** The classifier for `datasetId`, trained (and cached) if it is not cached yet. */
async function classifierFor(
  storage: Storage,
  datasetId: string,
  settings: ClassifierSettings,
): Promise<{ classifier: ImageClassifier; info: ClassifierInfo }> {
  const { manifest, data } = await loadTrainingData(storage, datasetId);
  if (!manifest.classes || !data.labels)
    throw new Error(`classifier dataset ${datasetId} has no classes: give --classifier-dataset a labelled one`);
  const classes = manifest.classes;
  const key = keyHash({ settings, classes, shards: manifest.splits.train.shards.map((s) => s.sha256) });
  const dir = `${datasetId}-${key}`;
  const saved = readCached(`${dir}/weights.bin`);
  const savedInfo = readCached(`${dir}/classifier.json`);
  if (saved && savedInfo) {
    console.log(`classifier: cached in ${dir}`);
    const info = JSON.parse(new TextDecoder().decode(savedInfo)) as ClassifierInfo;
    return { classifier: ImageClassifier.fromSaved(settings, classes.length, saved), info };
  }
  const { side, lowResolutionSide } = settings;
  const per = side * side * 3;
  const train = imagesOf(manifest, data.train, data.seqLength, side);
  const trainRows = labelledRows(data.labels.train, classes.length);
  const trainImages = pick(train.judged, per, trainRows);
  const trainLabels = Int32Array.from(trainRows, (r) => data.labels!.train[r]!);
  const validation = imagesOf(manifest, data.validation, data.seqLength, side);
  const validationRows = labelledRows(data.labels.validation, classes.length);
  const validationImages = pick(validation.judged, per, validationRows);
  const validationLabels = Int32Array.from(validationRows, (r) => data.labels!.validation[r]!);
  console.log(
    `classifier: training on ${trainRows.length} ${datasetId} images (${classes.length} classes), ${settings.epochs} epochs`,
  );
  const started = performance.now();
  const classifier = ImageClassifier.initial(settings, classes.length);
  classifier.train(
    trainImages,
    trainLabels,
    lowResolutionSide ? lowResolution(trainImages, side, lowResolutionSide) : undefined,
    (epoch, loss) =>
      console.log(
        `classifier: epoch ${epoch}/${settings.epochs} loss ${loss.toFixed(3)} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      ),
  );
  const info: ClassifierInfo = {
    dataset: datasetId,
    settings,
    classes,
    trainImages: trainRows.length,
    validationImages: validationRows.length,
    validationAccuracy: accuracy(classifier.classify(validationImages).predicted, validationLabels),
    lowResolutionValidationAccuracy: lowResolutionSide
      ? accuracy(
          classifier.classify(lowResolution(validationImages, side, lowResolutionSide)).predicted,
          validationLabels,
        )
      : NaN,
    trainSeconds: (performance.now() - started) / 1000,
    cache: dir,
  };
  writeCached(`${dir}/weights.bin`, classifier.save());
  writeCached(`${dir}/classifier.json`, `${JSON.stringify(info, null, 2)}\n`);
  return { classifier, info };
}

/** A model folder, loaded, with its card and the sampling its card recommends. */
async function openModel(dir: string): Promise<{ model: ReformerLM; card: ModelCard; sampling: SamplingOptions }> {
  const { model, metadata } = await loadModel(fileSystemHandler(dir));
  const card = ModelCardSchema.parse((metadata as { card?: unknown }).card);
  const s = card.sampling;
  const sampling = s
    ? { temperature: s.temperature, topK: s.topK, topP: s.topP, epsilon: s.epsilon }
    : DEFAULT_SAMPLING;
  return { model, card, sampling };
}

/**
 * `perClass` samples of each of `classes` classes (class-conditional: asked for that class, at
 * `guidance`) or `perClass · classes` plain samples (unconditional), as tokens [n · seqLength]
 * with the class asked for per sample (−1: none). Sample i of class c is image c·perClass + i of
 * the seed's streams. Cached by the model's files and these options.
 */
async function drawSamples(
  dir: string,
  model: ReformerLM,
  sampling: SamplingOptions,
  classes: number,
  label: string,
): Promise<{ tokens: Int32Array; asked: Int32Array; seconds: number; cached: boolean }> {
  const conditional = model.config.classes > 0;
  const seqLength = model.config.seqLength;
  const n = perClass * classes;
  const asked = Int32Array.from({ length: n }, (_, i) => (conditional ? Math.floor(i / perClass) : -1));
  const key = keyHash({
    model: modelDirHash(dir),
    perClass,
    classes,
    guidance: conditional ? guidance : 0,
    seed,
    batch,
    sampling,
  });
  const cacheName = `samples/${path.basename(path.resolve(dir))}-${key}.bin`;
  const saved = readCached(cacheName);
  if (saved && saved.byteLength === n * seqLength * 4) {
    console.log(`${label}: ${n} samples cached`);
    return { tokens: new Int32Array(saved.slice().buffer), asked, seconds: 0, cached: true };
  }
  const tokens = new Int32Array(n * seqLength);
  const started = performance.now();
  // A conditional model's batches never straddle two classes.
  const groups = conditional ? classes : 1;
  const groupSize = conditional ? perClass : n;
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < groupSize; i += batch) {
      const first = g * groupSize + i;
      const size = Math.min(batch, groupSize - i);
      for await (const step of generate(model, {
        batch: size,
        seed,
        firstImage: first,
        sampling,
        ...(conditional ? { classId: g, guidance } : {}),
      }))
        for (let b = 0; b < size; b++) tokens[(first + b) * seqLength + step.position] = step.tokens[b]!;
      const done = first + size;
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `${label}: ${done}/${n} samples${conditional ? ` (class ${g})` : ''}, ${seconds.toFixed(0)} s, ~${((seconds / done) * (n - done)).toFixed(0)} s left`,
      );
    }
  }
  writeCached(cacheName, new Uint8Array(tokens.buffer));
  return { tokens, asked, seconds: (performance.now() - started) / 1000, cached: false };
}

interface Judged {
  /** Share of samples classified as the class asked for; null when none was asked. */
  classShare: number | null;
  /** Per class: share of its samples classified as it (conditional), and share of all samples given it. */
  perClass: { classShare: number | null; predictedShare: number }[];
  frechet: number;
  frechetUnweighted: number;
  copies: CopyCheck;
}

/** Everything measured on a model's samples against its dataset's images. */
function judge(
  classifier: ImageClassifier,
  samples: Images,
  asked: Int32Array,
  reference: { validation: Images; validationFeatures: Float32Array; validationShare: Float64Array; train: Images },
): Judged {
  const C = classifier.classes;
  const dim = classifier.settings.features;
  const { predicted, features } = classifier.classify(samples.judged);
  const conditional = asked[0]! >= 0;
  const perClass = Array.from({ length: C }, (_, c) => {
    const rows = Array.from(asked.keys()).filter((i) => asked[i] === c);
    const right = rows.filter((i) => predicted[i] === c).length;
    return {
      classShare: conditional ? (rows.length ? right / rows.length : null) : null,
      predictedShare: predicted.filter((p) => p === c).length / predicted.length,
    };
  });
  // N per class is a balanced mix; weigh each class to its share of the validation images.
  const weights = conditional ? Float64Array.from(asked, (c) => reference.validationShare[c]! * C) : undefined;
  const frechetUnweighted = frechetBetween(
    features,
    samples.count,
    reference.validationFeatures,
    reference.validation.count,
    dim,
  );
  const frechet = weights
    ? frechetBetween(features, samples.count, reference.validationFeatures, reference.validation.count, dim, weights)
    : frechetUnweighted;
  const pixels = samples.side * samples.side * 3;
  const copies = copyCheck(
    nearestDistances(samples.rgb, reference.train.rgb, pixels),
    nearestDistances(reference.validation.rgb, reference.train.rgb, pixels),
  );
  return { classShare: conditional ? accuracy(predicted, asked) : null, perClass, frechet, frechetUnweighted, copies };
}

/** A dataset's images as the benchmark compares samples with them, and the validation figures. */
async function referenceOf(storage: Storage, id: string, classifier: ImageClassifier) {
  const { manifest, data } = await loadTrainingData(storage, id);
  const side = classifier.settings.side;
  const train = imagesOf(manifest, data.train, data.seqLength, side);
  const validation = imagesOf(manifest, data.validation, data.seqLength, side);
  const { predicted, features } = classifier.classify(validation.judged);
  const C = classifier.classes;
  const labels = data.labels?.validation;
  const perClass = Array.from({ length: C }, (_, c) => {
    const rows = labels ? Array.from(labels.keys()).filter((i) => labels[i] === c) : [];
    return {
      images: rows.length,
      share: rows.length ? rows.filter((i) => predicted[i] === c).length / rows.length : null,
    };
  });
  const labelled = perClass.reduce((n, p) => n + p.images, 0);
  const validationShare = Float64Array.from(perClass, (p) => (labelled ? p.images / labelled : 1 / C));
  const rows = labels ? labelledRows(labels, C) : [];
  const classShare = rows.length ? rows.filter((i) => predicted[i] === labels![i]).length / rows.length : null;
  return { manifest, data, train, validation, validationFeatures: features, validationShare, perClass, classShare };
}

/** Bits/dim over the first `images` images of a split; given each image's class for a conditional model. */
function bitsPerDim(
  model: ReformerLM,
  data: TrainingData,
  split: 'validation' | 'train',
  images: number,
  label: string,
): number {
  const labels = model.config.classes > 0 ? data.labels?.[split] : undefined;
  if (model.config.classes > 0 && !labels) throw new Error(`${data.datasetId} has no labels for a conditional model`);
  const started = performance.now();
  let said = 0;
  return imagesBitsPerDim(
    model,
    data,
    data[split],
    images,
    8,
    (done, of) => {
      if (done < of && performance.now() - said < 15_000) return;
      said = performance.now();
      console.log(
        `${label}: bits/dim on ${data.datasetId}, ${done}/${of} images, ${((said - started) / 1000).toFixed(0)} s`,
      );
    },
    labels,
  );
}

/** Samples in a grid, `columns` a row, enlarged to about 64 pixels a sample. */
async function writeGrid(file: string, images: Images, rows: number[][], columns: number): Promise<void> {
  const s = images.side;
  const grid = Buffer.alloc(rows.length * s * columns * s * 3, 255);
  rows.forEach((row, r) =>
    row.slice(0, columns).forEach((i, c) => {
      for (let y = 0; y < s; y++)
        grid.set(
          images.rgb.subarray((i * s * s + y * s) * 3, (i * s * s + (y + 1) * s) * 3),
          ((r * s + y) * columns * s + c * s) * 3,
        );
    }),
  );
  const scale = Math.max(1, Math.round(64 / s));
  await sharp(grid, { raw: { width: columns * s, height: rows.length * s, channels: 3 } })
    .resize(columns * s * scale, rows.length * s * scale, { kernel: 'nearest' })
    .png()
    .toFile(file);
}

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);
const round = (x: number, digits = 4) => Number(x.toFixed(digits));

async function main() {
  await tf.setBackend('wasm');
  await tf.ready();
  const storage = getStorage();
  const settings = DEFAULT_CLASSIFIER;
  const { classifier, info } = await classifierFor(storage, values['classifier-dataset']!, settings);
  console.log(
    `classifier: validation accuracy ${pct(info.validationAccuracy)} at ${settings.side}×${settings.side}, ${pct(info.lowResolutionValidationAccuracy)} as seen at ${settings.lowResolutionSide}×${settings.lowResolutionSide}`,
  );
  const classNames = info.classes;
  const C = classNames.length;

  const measured = async (dir: string, label: string) => {
    const { model, card, sampling } = await openModel(dir);
    if (card.classes && card.classes.join('\n') !== classNames.join('\n'))
      throw new Error(
        `${card.id} knows classes ${card.classes.join(', ')}; the classifier knows ${classNames.join(', ')}`,
      );
    const reference = await referenceOf(storage, card.dataset.id, classifier);
    const drawn = await drawSamples(dir, model, sampling, C, label);
    const samples = imagesOf(reference.manifest, drawn.tokens, model.config.seqLength, classifier.settings.side);
    const judged = judge(classifier, samples, drawn.asked, reference);
    // A card's figure over every validation image is this same measurement: not worth minutes again.
    const fromCard = card.validationBitsPerDim !== undefined && card.validationImages === reference.validation.count;
    const validationBitsPerDim = fromCard
      ? card.validationBitsPerDim!
      : bitsPerDim(model, reference.data, 'validation', Infinity, label);
    const heldOutId = card.dataset.id.replace(/^emoji-/, 'openmoji-');
    let heldOut: { dataset: string; images: number; bitsPerDim: number } | undefined;
    if (heldOutId !== card.dataset.id && BUILTIN_DATASETS.some((d) => d.id === heldOutId)) {
      const { data } = await loadTrainingData(storage, heldOutId, () =>
        console.log(`${label}: preparing the held-out dataset ${heldOutId}`),
      );
      const images = Math.min(Number(values['held-out-images']), data.validation.length / data.seqLength);
      heldOut = { dataset: heldOutId, images, bitsPerDim: bitsPerDim(model, data, 'validation', images, label) };
    }
    return {
      dir,
      model,
      card,
      sampling,
      reference,
      drawn,
      samples,
      judged,
      validationBitsPerDim,
      validationBitsPerDimFrom: fromCard ? 'its card (same images)' : 'measured',
      heldOut,
    };
  };

  const subject = await measured(values.model!, 'model');
  const same = path.resolve(values.baseline!) === path.resolve(values.model!);
  const baseline = same ? subject : await measured(values.baseline!, 'baseline');
  if (baseline.model.config.classes > 0) console.warn('note: the baseline is class-conditional');
  const conditional = subject.model.config.classes > 0;
  const id = subject.card.id;

  const rows = [
    ...classNames.map((name, c) => [
      name,
      pct(subject.judged.perClass[c]!.classShare),
      pct(subject.reference.perClass[c]!.share),
      pct(subject.judged.perClass[c]!.predictedShare),
      pct(baseline.judged.perClass[c]!.predictedShare),
      pct(subject.reference.validationShare[c]),
    ]),
    [
      'all',
      pct(subject.judged.classShare),
      pct(subject.reference.classShare),
      '',
      '',
      `${subject.reference.validation.count} images`,
    ],
  ];
  console.log(
    table(
      `${id} (${conditional ? `guidance ${guidance}` : 'unconditional'}) and baseline ${baseline.card.id}, ${perClass} per class`,
      ['class', 'as asked', 'validation', 'model: given', 'baseline: given', 'validation mix'],
      rows,
    ),
  );
  const figures = [
    ['Fréchet distance (class-mix weighted)', round(subject.judged.frechet, 2), round(baseline.judged.frechet, 2)],
    [
      'Fréchet distance (unweighted)',
      round(subject.judged.frechetUnweighted, 2),
      round(baseline.judged.frechetUnweighted, 2),
    ],
    ['near-copies', pct(subject.judged.copies.nearCopyShare), pct(baseline.judged.copies.nearCopyShare)],
    ['validation bits/dim', round(subject.validationBitsPerDim), round(baseline.validationBitsPerDim)],
    [
      'held-out bits/dim',
      subject.heldOut ? round(subject.heldOut.bitsPerDim) : '–',
      baseline.heldOut ? round(baseline.heldOut.bitsPerDim) : '–',
    ],
  ];
  console.log(table('figures', ['', id, baseline.card.id], figures));

  mkdirSync('bench/results', { recursive: true });
  const base = `bench/results/fidelity-${id}`;
  const byClass = classNames.map((_, c) => Array.from({ length: perClass }, (_, i) => c * perClass + i));
  if (conditional) {
    for (const [c, name] of classNames.entries())
      await writeGrid(
        `${base}-${slug(name)}.png`,
        subject.samples,
        Array.from({ length: Math.ceil(perClass / 8) }, (_, r) => byClass[c]!.slice(r * 8, r * 8 + 8)),
        8,
      );
  }
  await writeGrid(`${base}.png`, subject.samples, byClass, 8);
  await writeGrid(`${base}-baseline.png`, baseline.samples, byClass.slice(0, 4), 8);

  const modelRecord = (m: typeof subject) => ({
    id: m.card.id,
    dir: m.dir,
    dataset: m.card.dataset.id,
    steps: m.card.steps,
    conditional: m.model.config.classes > 0,
    sampling: m.sampling,
    sampleSeconds: m.drawn.cached ? null : round(m.drawn.seconds, 1),
    validationBitsPerDimFrom: m.validationBitsPerDimFrom,
  });
  const result = {
    model: id,
    baselineModel: baseline.card.id,
    guidance: conditional ? guidance : null,
    samplesPerClass: perClass,
    seed,
    classShare: subject.judged.classShare === null ? null : round(subject.judged.classShare),
    validationClassShare: subject.reference.classShare === null ? null : round(subject.reference.classShare),
    frechet: round(subject.judged.frechet, 3),
    baselineFrechet: round(baseline.judged.frechet, 3),
    frechetUnweighted: round(subject.judged.frechetUnweighted, 3),
    baselineFrechetUnweighted: round(baseline.judged.frechetUnweighted, 3),
    nearCopyShare: round(subject.judged.copies.nearCopyShare),
    baselineNearCopyShare: round(baseline.judged.copies.nearCopyShare),
    copies: { model: subject.judged.copies, baseline: baseline.judged.copies },
    validationBitsPerDim: round(subject.validationBitsPerDim),
    validationBitsPerDimGiven: conditional ? 'the true class' : 'nothing (unconditional)',
    heldOutBitsPerDim: subject.heldOut ? round(subject.heldOut.bitsPerDim) : null,
    heldOut: subject.heldOut ?? null,
    baselineValidationBitsPerDim: round(baseline.validationBitsPerDim),
    baselineHeldOutBitsPerDim: baseline.heldOut ? round(baseline.heldOut.bitsPerDim) : null,
    // Issue 21's targets, each figure beside its bound.
    targets: {
      frechetOverBaseline: { value: round(subject.judged.frechet / baseline.judged.frechet), atMost: 0.5 },
      classShareOverValidation: {
        value:
          subject.judged.classShare === null || !subject.reference.classShare
            ? null
            : round(subject.judged.classShare / subject.reference.classShare),
        atLeast: 0.7,
      },
      nearCopyShare: { value: round(subject.judged.copies.nearCopyShare), atMost: 0.05 },
      heldOutOverValidation: {
        value: subject.heldOut ? round(subject.heldOut.bitsPerDim / subject.validationBitsPerDim) : null,
        atMost: 1.25,
      },
    },
    perClass: classNames.map((name, c) => ({
      class: name,
      classShare: subject.judged.perClass[c]!.classShare,
      validationClassShare: subject.reference.perClass[c]!.share,
      validationImages: subject.reference.perClass[c]!.images,
      sampleShareGiven: round(subject.judged.perClass[c]!.predictedShare),
      baselineSampleShareGiven: round(baseline.judged.perClass[c]!.predictedShare),
    })),
    classifier: info,
    models: { model: modelRecord(subject), baseline: modelRecord(baseline) },
    definitions: {
      classShare: 'share of samples the classifier gives the class they were asked for',
      frechet:
        "Fréchet distance between classifier features (penultimate layer) of samples and of the model's dataset's validation images; a conditional model's samples weighted to the validation images' class mix",
      nearCopyShare:
        'share of samples whose L2 pixel distance to the nearest training image is below the 1st percentile of the same for validation images',
      resize: `images enlarged by nearest neighbour or reduced by area to ${settings.side}×${settings.side} for the classifier`,
      heldOutBitsPerDim:
        'bits/dim on the held-out OpenMoji set (never trained on), given the class for a conditional model',
    },
    grids: {
      perClass: conditional ? classNames.map((n) => `${base}-${slug(n)}.png`) : [],
      overview: `${base}.png`,
      baseline: `${base}-baseline.png`,
    },
    machine: { cpus: os.availableParallelism(), load: os.loadavg()[0] },
    at: new Date().toISOString(),
  };
  if (perClass >= RESULTS_MIN_PER_CLASS) {
    writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${base}.json and the grids`);
  } else {
    console.log(`--per-class ${perClass} < ${RESULTS_MIN_PER_CLASS}: grids written, no results file`);
  }
  classifier.dispose();
  subject.model.dispose();
  if (!same) baseline.model.dispose();
  storage.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
