/**
 * The vision endpoints' service: decodes the image (with the configured limits), picks the
 * model and runs its pipeline. Routes call one method each.
 */
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import type { ModelCache } from '../models/model-cache.js';
import type { OnnxRuntime } from '../runtime/onnx-runtime.js';
import { CENTERNET, convertedSpec, esrganSlim, NSFW_MOBILENET, SELFIE } from './converted-models.js';
import { Classifier, classifierSpecs } from './classify/classify-pipeline.js';
import type { ClassifyResult } from './classify/classify-pipeline.js';
import { CenternetDetector } from './detect/centernet-pipeline.js';
import { DETECT_DEFAULTS } from './detect/detection.js';
import type { DetectOptions, DetectResult } from './detect/detection.js';
import { YoloDetector, yoloSpecs } from './detect/yolo-pipeline.js';
import { decodeImage, encodePng } from './image.js';
import type { ImageLimits, RgbImage } from './image.js';
import { ModelRegistry } from './model-registry.js';
import type { ModelInfo } from './model-registry.js';
import { OcrPipeline, ppOcrSpecs } from './ocr/ocr-pipeline.js';
import type { OcrResult } from './ocr/ocr-pipeline.js';
import { boxPolygon, renderCutout, renderShapes } from './render.js';
import { SelfieSegmenter } from './segment/selfie-pipeline.js';
import { EsrganUpscaler } from './upscale/esrgan-pipeline.js';
import type { UpscaleFactor, UpscaleResult } from './upscale/esrgan-pipeline.js';
import type { SegmentResult } from './segment/selfie-pipeline.js';

export interface VisionOptions {
  limits: ImageLimits;
  /** Folder of user-supplied models (yolov8*.onnx, …). */
  modelsDir: string;
  ocrMinConfidence: number;
  /** Largest input the upscaler accepts, width × height (UPSCALE_MAX_PIXELS). */
  upscaleMaxPixels: number;
  /** Where TF.js models converted to ONNX are kept. */
  cache: ModelCache;
  /** Models outside vision (the embedder, critic heads) for the registry listing. */
  otherModels?: () => ModelInfo[];
}

export interface Rendered<T> {
  result: T;
  image: RgbImage;
}

export class VisionService {
  readonly models: ModelRegistry;
  private readonly ocrPipeline: OcrPipeline;
  private readonly segmenter: SelfieSegmenter;
  private readonly upscaler: EsrganUpscaler;
  private readonly classifier: Classifier;

  constructor(
    runtime: OnnxRuntime,
    private readonly options: VisionOptions,
  ) {
    this.models = new ModelRegistry(runtime);
    for (const spec of [...ppOcrSpecs(), convertedSpec(CENTERNET, options.cache), convertedSpec(SELFIE, options.cache), convertedSpec(esrganSlim(2), options.cache), convertedSpec(esrganSlim(4), options.cache), convertedSpec(NSFW_MOBILENET, options.cache), ...yoloSpecs(options.modelsDir), ...classifierSpecs(options.modelsDir)]) this.models.register(spec);
    this.ocrPipeline = new OcrPipeline(this.models);
    this.segmenter = new SelfieSegmenter(this.models);
    this.upscaler = new EsrganUpscaler(this.models);
    this.classifier = new Classifier(this.models);
  }

  decode(bytes: Uint8Array): Promise<RgbImage> {
    return decodeImage(bytes, this.options.limits);
  }

  async ocr(bytes: Uint8Array): Promise<Rendered<OcrResult>> {
    const image = await this.decode(bytes);
    return { result: await this.ocrPipeline.run(image, { minConfidence: this.options.ocrMinConfidence }), image };
  }

  /** The text of an image, for documents uploaded as images. */
  readonly imageText = async (bytes: Uint8Array): Promise<string> => (await this.ocr(bytes)).result.text;

  async detect(bytes: Uint8Array, request: Partial<DetectOptions> & { model?: string } = {}): Promise<Rendered<DetectResult>> {
    const detectors = this.models.ids('detect');
    const model = request.model ?? detectors[0];
    if (!model || !detectors.includes(model)) {
      throw new NotFoundError(
        model
          ? `detection model "${model}" is not known; known: ${detectors.join(', ') || 'none'}`
          : `no detection model is available: put a YOLOv8 ONNX export named yolov8*.onnx in ${this.options.modelsDir} (VISION_MODELS_DIR)`,
      );
    }
    const image = await this.decode(bytes);
    const options = { ...DETECT_DEFAULTS, ...definedOnly(request) };
    const detector = model === CENTERNET.id ? new CenternetDetector(this.models) : new YoloDetector(this.models, model);
    return { result: await detector.run(image, options), image };
  }

  async segment(bytes: Uint8Array, threshold = 0.5): Promise<Rendered<SegmentResult> & { maskBytes: Uint8Array }> {
    const image = await this.decode(bytes);
    const { maskBytes, ...result } = await this.segmenter.run(image, threshold);
    return { result, image, maskBytes };
  }

  async upscale(bytes: Uint8Array, scale: UpscaleFactor): Promise<UpscaleResult> {
    const image = await this.decode(bytes);
    const max = this.options.upscaleMaxPixels;
    if (image.width * image.height > max) {
      throw new InvalidInputError(`the image is ${image.width}×${image.height} = ${image.width * image.height} pixels; the upscaler accepts at most ${max} input pixels (UPSCALE_MAX_PIXELS)`);
    }
    return this.upscaler.run(image, scale);
  }

  /** Top-k labels; the default model is the first user classifier, else nsfwjs's MobileNetV2. */
  async classify(bytes: Uint8Array, request: { model?: string; topK?: number } = {}): Promise<Rendered<ClassifyResult>> {
    const classifiers = this.models.ids('classify');
    const model = request.model ?? classifiers.find((id) => id !== NSFW_MOBILENET.id) ?? NSFW_MOBILENET.id;
    if (!classifiers.includes(model)) throw new NotFoundError(`classifier "${model}" is not known; known: ${classifiers.join(', ')}`);
    const image = await this.decode(bytes);
    return { result: await this.classifier.run(image, model, request.topK ?? 5), image };
  }

  /** The image with its top labels written along the top edge. */
  renderClassification(r: Rendered<ClassifyResult>): Promise<Buffer> {
    const label = r.result.predictions.slice(0, 3).map((p) => `${p.label} ${p.score.toFixed(2)}`).join(' · ');
    return renderShapes(r.image, [{ polygon: [{ x: 4, y: 0 }], label }]);
  }

  listModels(): ModelInfo[] {
    return [...(this.options.otherModels?.() ?? []), ...this.models.list()];
  }

  /** The upscaled image as PNG. */
  encodeUpscaled(r: UpscaleResult): Promise<Buffer> {
    return encodePng(r.image);
  }

  renderOcr(r: Rendered<OcrResult>): Promise<Buffer> {
    return renderShapes(r.image, r.result.lines.map((l) => ({ polygon: l.polygon, label: l.text })));
  }

  /** The image with everything outside the person darkened (mask as alpha over black). */
  renderSegmentation(r: Rendered<SegmentResult> & { maskBytes: Uint8Array }): Promise<Buffer> {
    return renderCutout(r.image, r.maskBytes);
  }

  renderDetections(r: Rendered<DetectResult>): Promise<Buffer> {
    return renderShapes(r.image, r.result.detections.map((d) => ({ polygon: boxPolygon(d.box), label: `${d.label} ${d.score.toFixed(2)}` })));
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'model')) as Partial<T>;
}
