import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from './backend.js';

describe('initTensorflow', () => {
  it('falls back from native TensorFlow to WebAssembly when the binding cannot load', async () => {
    const info = await initTensorflow('node');
    expect(tf.getBackend()).toBe(info.backend);
    // tfjs-node is optional; where it loads, no fallback happens.
    if (info.backend !== 'tensorflow') {
      expect(info.backend).toBe('wasm');
      expect(info.skipped).toHaveLength(1);
      expect(info.skipped[0].backend).toBe('node');
      expect(info.skipped[0].reason).toMatch(/@tensorflow\/tfjs-node cannot be loaded/);
    }
  });

  it('is idempotent: later calls share the first initialisation', async () => {
    const first = initTensorflow('wasm');
    expect(initTensorflow('wasm')).toBe(first);
    expect(initTensorflow()).toBe(first);
    expect((await first).backend).toBe('wasm');
  });

  it('switches when a different backend is asked for explicitly', async () => {
    expect(await initTensorflow('cpu')).toEqual({ backend: 'cpu', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect((await initTensorflow('wasm')).backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('runs in production mode, so TensorFlow.js does not write to the console', async () => {
    await initTensorflow('wasm');
    expect(tf.env().getBool('PROD')).toBe(true);
  });
});
