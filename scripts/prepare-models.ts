/**
 * Converts the bundled models into the model cache now (instead of on first use) and checks
 * that they load:   npm run models:prepare
 */
import { silentLogger } from '../src/core/logger.js';
import { loadConfig } from '../src/config/config.js';
import { UseLiteEmbedder } from '../src/embedding/use-lite/use-lite-embedder.js';
import { ModelCache } from '../src/models/model-cache.js';
import { prepareUseLite } from '../src/models/use-lite-model.js';
import { OnnxRuntime } from '../src/runtime/onnx-runtime.js';

const config = loadConfig();
const cache = new ModelCache(config.MODEL_CACHE_DIR);
const files = await prepareUseLite(cache);
const runtime = new OnnxRuntime({ device: 'cpu', intraOpThreads: 1, interOpThreads: 1, concurrencyPerModel: 1, logger: silentLogger });
const embedder = await UseLiteEmbedder.create(runtime, cache, { batchSize: 1 });
const { vectors } = await embedder.embed(['The model loads.']);
await runtime.close();
console.log(`use-lite: ${files.onnxPath} (${vectors[0]!.length}-d) ready`);
