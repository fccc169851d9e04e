/**
 * bench:codecs: how many bits per dimension lossless codecs need for the validation images of an
 * `rgb` dataset, beside what a trained model needs for the same images (its cross-entropy). The
 * codecs' figures are whole files (headers included), as a user would store them; a model's are
 * what an arithmetic coder driven by it would approach.
 *
 *   npm run bench:codecs [-- --dataset emoji-32 --model public/models/emoji-32-small --model-images 64]
 *
 * Prints a table and writes bench/results/codecs.json. A class-conditional model's figure is given
 * each image's class (`given: "class"`), with its unconditional figure ("no class") beside it.
 */
import '@tensorflow/tfjs-backend-wasm';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { fileSystemHandler } from '../lib/node/file-io';
import { loadModel } from '../lib/reformer/serialize';
import * as tf from '../lib/reformer/tf';
import { loadTrainingData } from '../lib/server/datasets/training-data';
import { getStorage } from '../lib/server/storage';
import { imagesBitsPerDim } from '../lib/training/trainer';
import { table } from './lib/measure';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'emoji-32' },
    model: { type: 'string' },
    'model-images': { type: 'string', default: '64' },
  },
});

/** A model's figure on the validation images, as codecs.json records it. */
interface ModelFigures {
  dir: string;
  images: number;
  /** Bits/dim given what `given` says: each image's class (a class-conditional model), or nothing. */
  bitsPerDim: number;
  given: 'class' | 'nothing';
  /** A class-conditional model's bits/dim with "no class" for every image: its unconditional figure. */
  noClassBitsPerDim?: number;
  steps?: number;
}

type Codec = { name: string; encode: (image: ReturnType<typeof sharp>) => Promise<Buffer> };
const CODECS: Codec[] = [
  {
    name: 'PNG (sharp, level 9, adaptive filtering)',
    encode: (i) => i.png({ compressionLevel: 9, adaptiveFiltering: true, palette: false }).toBuffer(),
  },
  { name: 'WebP lossless (sharp, effort 6)', encode: (i) => i.webp({ lossless: true, effort: 6 }).toBuffer() },
];

async function main() {
  const storage = getStorage();
  const { manifest, data } = await loadTrainingData(storage, values.dataset!);
  if (manifest.tokenization !== 'rgb')
    throw new Error(`${manifest.id} is not an rgb dataset: codecs compare on raw pixels`);
  const { width, height, seqLength } = manifest;
  const images = data.validation.length / seqLength;
  const dims = seqLength; // one dimension per channel value

  const prefixes = [16, 64, images].filter((n, i, a) => n <= images && a.indexOf(n) === i);
  const codecs = [];
  for (const codec of CODECS) {
    const bytes: number[] = [];
    for (let i = 0; i < images; i++) {
      const pixels = Buffer.from(data.validation.subarray(i * seqLength, (i + 1) * seqLength));
      bytes.push((await codec.encode(sharp(pixels, { raw: { width, height, channels: 3 } }))).length);
    }
    const bitsPerDimOver = Object.fromEntries(
      prefixes.map((n) => [n, (bytes.slice(0, n).reduce((a, b) => a + b, 0) * 8) / (n * dims)]),
    );
    codecs.push({ name: codec.name, meanBytes: bytes.reduce((a, b) => a + b, 0) / images, bitsPerDimOver });
  }

  let model: ModelFigures | undefined;
  if (values.model) {
    await tf.setBackend('wasm');
    await tf.ready();
    const { model: lm, metadata } = await loadModel(fileSystemHandler(values.model));
    const n = Math.min(Number(values['model-images']), images);
    const card = (metadata as { card?: { steps?: number } }).card;
    const classes = lm.config.classes;
    if (classes > 0 && data.labels?.classes.length !== classes)
      throw new Error(
        `${values.model} knows ${classes} classes, dataset ${manifest.id} has ${data.labels ? data.labels.classes.length : 'none'}: its figure needs the images' classes`,
      );
    // A class-conditional model is measured given each image's class, and with "no class" beside it.
    model = {
      dir: values.model,
      images: n,
      bitsPerDim: imagesBitsPerDim(lm, data, data.validation, n, 2, undefined, data.labels?.validation),
      given: classes > 0 ? 'class' : 'nothing',
      ...(classes > 0 && { noClassBitsPerDim: imagesBitsPerDim(lm, data, data.validation, n, 2) }),
      steps: card?.steps,
    };
    lm.dispose();
  }

  const header = ['', ...prefixes.map((n) => `first ${n} images`)];
  const rows = codecs.map((c) => [c.name, ...prefixes.map((n) => c.bitsPerDimOver[n].toFixed(3))]);
  const modelRow = (label: string, bits: number) => [
    label,
    ...prefixes.map((n) => (n === model!.images ? bits.toFixed(3) : '—')),
  ];
  if (model) {
    const name = `model ${model.dir} (${model.steps ?? '?'} steps)`;
    if (model.noClassBitsPerDim === undefined) rows.push(modelRow(name, model.bitsPerDim));
    else
      rows.push(
        modelRow(`${name}, given the class`, model.bitsPerDim),
        modelRow(`${name}, "no class"`, model.noClassBitsPerDim),
      );
  }
  console.log(
    table(`bits/dim on ${manifest.id} validation (${images} images of ${width}×${height} rgb)`, header, rows),
  );
  if (model && !prefixes.includes(model.images))
    console.log(
      `model over its first ${model.images} images: ${model.bitsPerDim.toFixed(3)} bits/dim${model.noClassBitsPerDim === undefined ? '' : ` given the class, ${model.noClassBitsPerDim.toFixed(3)} with "no class"`}`,
    );

  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/codecs.json',
    `${JSON.stringify({ dataset: manifest.id, validationImages: images, codecs, model, machine: { cpus: os.availableParallelism(), load: os.loadavg()[0] }, at: new Date().toISOString() }, null, 2)}\n`,
  );
  storage.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
