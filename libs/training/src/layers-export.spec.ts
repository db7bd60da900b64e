import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { initialWeights, modelLayout } from '@cohort/model';
import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from './backend.js';
import { evaluateModel } from './evaluate.js';
import { LAYERS_WEIGHTS_FILE, toLayersModelArtifacts } from './layers-export.js';
import { separableData } from './testing/synthetic.js';

const run = promisify(execFile);

describe('toLayersModelArtifacts', () => {
  const spec = { template: 'mlp', hiddenUnits: [6, 3] };
  const weights = initialWeights(spec, 4, 8).map((v, i) => v + 0.01 * (i % 5));
  const data = separableData(30, 4, 2);
  let server: Server | undefined;

  beforeAll(async () => {
    await initTensorflow('wasm');
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('writes model.json in layers format, pointing at model.weights.bin', async () => {
    const { modelJson, weightsBin } = await toLayersModelArtifacts(spec, 4, weights);
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.modelTopology).toMatchObject({ class_name: 'Sequential' });
    expect(modelJson.weightsManifest).toHaveLength(1);
    expect(modelJson.weightsManifest[0].paths).toEqual([LAYERS_WEIGHTS_FILE]);
    expect(modelJson.weightsManifest[0].weights).toEqual(
      modelLayout(spec, 4).map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' })),
    );
    // Float32 little-endian, tensors in layout order: the same bytes as the packed vector.
    expect(weightsBin.byteLength).toBe(weights.length * 4);
    expect(new Float32Array(weightsBin.buffer, weightsBin.byteOffset, weights.length)).toEqual(weights);
  });

  it('loads with tf.loadLayersModel over HTTP, in a plain Node process, and predicts what evaluateModel does', async () => {
    const { modelJson, weightsBin } = await toLayersModelArtifacts(spec, 4, weights);
    const files = new Map<string, Buffer>([
      ['/model/model.json', Buffer.from(JSON.stringify(modelJson))],
      [`/model/${LAYERS_WEIGHTS_FILE}`, weightsBin],
    ]);
    server = createServer((req, res) => {
      const body = files.get(req.url ?? '');
      res.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    // A separate process, as a researcher would load it: jest's module realm breaks tfjs-layers' `instanceof
    // Array` checks on JSON parsed by Node's fetch, which would make an in-process load fail for the wrong reason.
    const script = [
      "import * as tf from '@tensorflow/tfjs';",
      'const [url, rows, d] = [process.argv[1], JSON.parse(process.argv[2]), Number(process.argv[3])];',
      'const model = await tf.loadLayersModel(url);',
      'const out = model.predict(tf.tensor2d(rows, [rows.length / d, d]));',
      'console.log(JSON.stringify(Array.from(out.dataSync())));',
    ].join('\n');
    const { stdout } = await run(process.execPath, [
      '--input-type=module',
      '-e',
      script,
      `http://127.0.0.1:${port}/model/model.json`,
      JSON.stringify(Array.from(data.x)),
      String(data.d),
    ]);
    const fromUrl = JSON.parse(stdout.trim().split('\n').pop()!) as number[];
    const { scores } = await evaluateModel(spec, 4, weights, data);
    expect(fromUrl).toHaveLength(30);
    scores.forEach((s, i) => expect(fromUrl[i]).toBeCloseTo(s, 6));
  });

  it('round-trips through tf.io.fromMemory', async () => {
    const { modelJson, weightsBin } = await toLayersModelArtifacts(spec, 4, weights);
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0].weights,
        weightData: weightsBin.buffer.slice(
          weightsBin.byteOffset,
          weightsBin.byteOffset + weightsBin.byteLength,
        ),
      }),
    );
    const reloaded = loaded.getWeights().map((w) => Array.from(w.dataSync()));
    expect(reloaded.flat()).toEqual(Array.from(weights));
    loaded.dispose();
  });
});
