import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const DEVICES = ['cpu', 'cuda', 'auto'] as const;
export type Device = (typeof DEVICES)[number];

/** ONNX Runtime execution providers, best first, for each device setting. CPU always closes the list. */
const DEVICE_PROVIDERS: Readonly<Record<Device, readonly string[]>> = Object.freeze({
  cpu: ['cpu'],
  cuda: ['cuda', 'cpu'],
  auto: ['cuda', 'cpu'],
});

export const CUDA_INSTALL_HINT =
  'on a host with an NVIDIA GPU, CUDA 12 and cuDNN 9, run `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` ' +
  '(it downloads the CUDA provider libraries, so it needs internet), then restart with DEVICE=cuda';

/** What the installed onnxruntime-node can run on. */
export interface ProviderProbe {
  /** Whether the provider's libraries are present, or why not. */
  check(provider: string): { available: true } | { available: false; missing: string };
}

export interface ProviderChoice {
  providers: string[];
  /** Set when the device asked for is not what will run, with the reason and the fix. */
  fallbackWarning?: string;
}

export function parseDevice(value: string): Device {
  if ((DEVICES as readonly string[]).includes(value)) return value as Device;
  throw new RangeError(`Unsupported device "${value}". Should be one of: ${DEVICES.join(', ')}`);
}

/**
 * Maps a device setting to the providers to use. `cuda` that cannot be had falls back to
 * CPU with a warning that names what is missing; `auto` falls back quietly.
 */
export function chooseProviders(device: Device, probe: ProviderProbe): ProviderChoice {
  const providers: string[] = [];
  const missing: string[] = [];
  for (const provider of DEVICE_PROVIDERS[device]) {
    const status = provider === 'cpu' ? ({ available: true } as const) : probe.check(provider);
    if (status.available) providers.push(provider);
    else missing.push(status.missing);
  }
  if (device === 'cuda' && !providers.includes('cuda')) {
    return { providers, fallbackWarning: `DEVICE=cuda was asked for, but ${missing.join('; ')}. Running on CPU instead. To enable CUDA: ${CUDA_INSTALL_HINT}.` };
  }
  return { providers };
}

/**
 * Probes the installed onnxruntime-node: its binding lists CUDA as a supported backend,
 * but the provider library is only on disk when the CUDA install step has run.
 */
export function installedProviderProbe(listSupportedBackends: () => Array<{ name: string; bundled: boolean }>): ProviderProbe {
  const require = createRequire(import.meta.url);
  const binDir = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  const backends = listSupportedBackends();
  return {
    check(provider) {
      const backend = backends.find((b) => b.name === provider);
      if (!backend) return { available: false, missing: `this onnxruntime-node build has no ${provider} execution provider for ${process.platform}/${process.arch}` };
      if (backend.bundled) return { available: true };
      const library = join(binDir, `libonnxruntime_providers_${provider}.so`);
      return existsSync(library) ? { available: true } : { available: false, missing: `the ${provider} provider library ${library} is not installed` };
    },
  };
}
