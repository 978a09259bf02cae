import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { Prompts } from '../../src/llm/prompts.js';
import { tempDir } from '../support/runtime.js';

describe('configuration', () => {
  it('has working defaults and is frozen', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 8080, DATA_DIR: './data', CORPORA_DIR: './corpora', DEVICE: 'cpu', EMBEDDER: 'use-lite', GENERATOR: 'extractive' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every bad variable and what it accepts', () => {
    expect(() => loadConfig({ PORT: 'eighty', DEVICE: 'tpu' })).toThrow(/PORT: .*; DEVICE: .*"cpu"\|"cuda"\|"auto"/);
    expect(() => loadConfig({ EMBEDDER: 'hf-onnx' })).toThrow(/EMBEDDER=hf-onnx needs EMBEDDER_MODEL/);
    expect(() => loadConfig({ GENERATOR: 'openai' })).toThrow(/GENERATOR=openai needs LLM_BASE_URL/);
    expect(() => loadConfig({ CHUNK_TOKENS: '50', CHUNK_OVERLAP_TOKENS: '50' })).toThrow(/CHUNK_OVERLAP_TOKENS must be smaller/);
  });
});

describe('HTTP server limits', () => {
  it('has generous defaults that a loopback benchmark or several local instances stay under', () => {
    expect(loadConfig({})).toMatchObject({ HEADERS_TIMEOUT_MS: 30_000, REQUEST_TIMEOUT_MS: 120_000, KEEP_ALIVE_TIMEOUT_MS: 72_000, MAX_CONNECTIONS_PER_CLIENT: 256 });
  });

  it('takes 0 as "no limit" for the request timeout and the connection cap, and refuses what Node would not run', () => {
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '0', MAX_CONNECTIONS_PER_CLIENT: '0' })).toMatchObject({ REQUEST_TIMEOUT_MS: 0, MAX_CONNECTIONS_PER_CLIENT: 0 });
    expect(() => loadConfig({ HEADERS_TIMEOUT_MS: '5000', REQUEST_TIMEOUT_MS: '2000' })).toThrow(/HEADERS_TIMEOUT_MS \(5000\) must not exceed REQUEST_TIMEOUT_MS \(2000\)/);
    expect(loadConfig({ HEADERS_TIMEOUT_MS: '5000', REQUEST_TIMEOUT_MS: '0' }).HEADERS_TIMEOUT_MS).toBe(5000);
    expect(() => loadConfig({ HEADERS_TIMEOUT_MS: '0', KEEP_ALIVE_TIMEOUT_MS: '-1', MAX_CONNECTIONS_PER_CLIENT: 'many' })).toThrow(/HEADERS_TIMEOUT_MS: .*; KEEP_ALIVE_TIMEOUT_MS: .*; MAX_CONNECTIONS_PER_CLIENT: /);
  });
});

describe('prompts', () => {
  it('loads the shipped prompts and fills placeholders once, verbatim', () => {
    const prompts = Prompts.load('prompts');
    const text = prompts.render('rag/user', { question: 'Who? {{passages}}', passages: '[1] x' });
    expect(text).toContain('Question: Who? {{passages}}');
    expect(text).toContain('[1] x');
  });

  it('refuses at start-up a prompt with a missing or unknown placeholder', () => {
    const dir = tempDir('prompts');
    mkdirSync(join(dir, 'rag'));
    writeFileSync(join(dir, 'rag', 'system.md'), 'ok');
    writeFileSync(join(dir, 'rag', 'user.md'), 'Question: {{question}} {{context}}');
    expect(() => Prompts.load(dir)).toThrow(/missing placeholders \{\{passages\}\}; unknown placeholders \{\{context\}\}/);
  });
});
