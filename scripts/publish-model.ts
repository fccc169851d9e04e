/**
 * Ships a trained model with the studio: copies RUN/model (model.json, its card in
 * userDefinedMetadata, and its weights as one weights.bin) and RUN/train.log into
 * public/models/<card id>/, and rewrites public/models/index.json, the list the studio reads
 * before anyone has trained anything.
 *
 *   npm run publish:model -- runs/emoji-32-rgb-small [--id emoji-32-small] [--default] [--eval-images N]
 *
 * --default puts the model first in the index: the one the studio opens on. The card's validation
 * bits/dim is measured again here, over the whole validation split (or its first N images): a
 * training run evaluates only the first few, and a shipped figure should be the split's. For a
 * class-conditional model it is given each image's class, as training measures it; the
 * unconditional figure ("no class" for every image) is printed beside it.
 */
import '@tensorflow/tfjs-backend-wasm';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ModelCardSchema } from '@/lib/models/card';
import { fileSystemHandler, writeAtomically } from '@/lib/node/file-io';
import { listShipped, SHIPPED_ROOT } from '@/lib/node/shipped';
import { loadModel } from '@/lib/reformer/serialize';
import * as tf from '@/lib/reformer/tf';
import { loadTrainingData } from '@/lib/server/datasets/training-data';
import { getStorage } from '@/lib/server/storage';
import { imagesBitsPerDim } from '@/lib/training/trainer';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { id: { type: 'string' }, default: { type: 'boolean', default: false }, 'eval-images': { type: 'string' } },
});
const run = positionals[0];
const evalImages = values['eval-images'] === undefined ? Infinity : Number(values['eval-images']);
if (
  !run ||
  !existsSync(path.join(run, 'model', 'model.json')) ||
  !(evalImages >= 1) ||
  !(Number.isInteger(evalImages) || evalImages === Infinity)
) {
  console.error(
    'usage: npm run publish:model -- RUN_DIR [--id ID] [--default] [--eval-images N]   (RUN_DIR/model/model.json must exist; N a whole number ≥ 1)',
  );
  process.exit(2);
}
const modelJson = JSON.parse(readFileSync(path.join(run, 'model', 'model.json'), 'utf8'));
const card = ModelCardSchema.parse({ ...modelJson.userDefinedMetadata?.card, ...(values.id ? { id: values.id } : {}) });

await tf.setBackend('wasm');
await tf.ready();
const storage = getStorage();
const { data } = await loadTrainingData(storage, card.dataset.id, () =>
  console.log(`preparing built-in dataset ${card.dataset.id}…`),
);
storage.close();
const validationImages = Math.min(evalImages, data.validation.length / data.seqLength);
/** For a class-conditional model, the unconditional ("no class") figure printed beside its card's. */
let noClassBitsPerDim: number | undefined;
if (validationImages > 0) {
  const { model } = await loadModel(fileSystemHandler(path.join(run, 'model')));
  const conditional = model.config.classes > 0;
  if (conditional && data.labels?.classes.length !== model.config.classes) {
    console.error(
      `publish:model: the model knows ${model.config.classes} classes, dataset ${card.dataset.id} has ${data.labels ? data.labels.classes.length : 'none'}: its validation figure needs the images' classes`,
    );
    process.exit(2);
  }
  // bits/dim of the validation images, given their classes (`labels`) or, without, with "no class".
  const measure = (what: string, labels?: Int32Array) => {
    const started = performance.now();
    const bits = imagesBitsPerDim(
      model,
      data,
      data.validation,
      validationImages,
      2,
      (done, of) => {
        process.stdout.write(`\r${what}: ${done}/${of} images, ${((performance.now() - started) / 1000).toFixed(0)} s`);
      },
      labels,
    );
    process.stdout.write('\n');
    return bits;
  };
  // A class-conditional model's card figure is given each image's class, as training measures it.
  card.validationBitsPerDim = conditional
    ? measure('validation bits/dim given the class', data.labels!.validation)
    : measure('validation bits/dim');
  if (conditional) noClassBitsPerDim = measure('validation bits/dim with "no class"');
  card.validationImages = validationImages;
  model.dispose();
} else {
  console.log(`dataset ${card.dataset.id} has no validation images: the card keeps the training run's figure`);
}
// A recommended sampling was measured on other weights: bench:samples --recommend measures these.
delete card.sampling;
modelJson.userDefinedMetadata.card = card;

const dir = path.join(SHIPPED_ROOT, card.id);
mkdirSync(dir, { recursive: true });
// Shipped as one `weights.bin`, whatever the run's files are called (file-io names them by hash).
const groups: { paths: string[]; weights: unknown[] }[] = modelJson.weightsManifest;
const weights = Buffer.concat(groups.flatMap((g) => g.paths).map((f) => readFileSync(path.join(run, 'model', f))));
modelJson.weightsManifest = [{ paths: ['weights.bin'], weights: groups.flatMap((g) => g.weights) }];
const json = JSON.stringify(modelJson);
// Each file is replaced whole (temp file + rename), so none is ever half-written. The pair is not
// one step: a publish cut short between the two renames leaves new weights beside the old
// model.json (refused on load unless the shapes agree); publishing again mends it.
await writeAtomically(dir, 'weights.bin', weights);
await writeAtomically(dir, 'model.json', new TextEncoder().encode(json));
for (const f of readdirSync(dir))
  if ((f.endsWith('.bin') && f !== 'weights.bin') || /\.tmp-[0-9a-f]+$/.test(f)) rmSync(path.join(dir, f));
if (existsSync(path.join(run, 'train.log')))
  await writeAtomically(dir, 'train.log', readFileSync(path.join(run, 'train.log')));

const entry = await listShipped(card, json, weights, values.default);
const figure =
  noClassBitsPerDim === undefined
    ? `val ${card.validationBitsPerDim?.toFixed(3) ?? '?'} bits/dim`
    : `val ${card.validationBitsPerDim!.toFixed(3)} bits/dim given the class (${noClassBitsPerDim.toFixed(3)} with "no class")`;
console.log(
  `published ${card.id}: ${(entry.bytes / 2 ** 20).toFixed(2)} MiB, ${card.steps} steps, ${figure} on ${card.validationImages ?? '?'} images → ${entry.url}`,
);
console.log(
  `its card has no recommended sampling yet: npm run bench:samples -- --model ${dir} --dataset ${card.dataset.id} --recommend`,
);
