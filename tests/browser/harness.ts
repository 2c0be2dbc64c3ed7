// Test-only: the same worker clients the app uses, reachable from page.evaluate.
import { browserWorkers } from '../../src/state/workers';
import { probeWebGPU } from '../../src/platform/webgpu';
import type { Progress } from '../../src/core/progress';
import type { ChatLoadRequest, GenerationParams } from '../../src/generate/engine';
import type { EmbedLoadRequest } from '../../src/embed/embedder';
import { renderAnswer } from '../../src/ui/compare/markdown';

const harness = {
  probePage: () => probeWebGPU(),
  /** Renders an answer as the compare view does, into a live element, and reports what is in it. */
  renderAnswer(text: string, passages: number) {
    const el = document.createElement('div');
    el.innerHTML = renderAnswer(text, passages);
    document.body.append(el);
    const html = el.innerHTML;
    el.remove();
    return html;
  },
  async embed(load: EmbedLoadRequest, texts: string[]) {
    const { client: embedder, terminate } = browserWorkers.embedder();
    try {
      const progress: Progress[] = [];
      const info = await embedder.load(load, { onProgress: (p) => progress.push(p) });
      const request = { texts, kind: 'passage', batchSize: 8 } as const;
      // The first call on WebGPU includes compiling its shaders; the second is the steady state.
      const first = await embedder.embed(request, { onProgress: (p) => progress.push(p) });
      const warm = await embedder.embed(request);
      return {
        info,
        dim: warm.dim,
        vectors: Array.from(warm.vectors),
        firstMs: first.ms,
        ms: warm.ms,
        progress,
        workerGpu: await embedder.probe(),
      };
    } finally {
      terminate();
    }
  },
  async generate(load: ChatLoadRequest, prompt: string, params: GenerationParams) {
    const { client: engine, terminate } = browserWorkers.chat();
    try {
      const info = await engine.load(load);
      const tokens: string[] = [];
      const result = await engine.generate([{ role: 'user', content: prompt }], params, { onToken: (t) => tokens.push(t) });
      return { info, tokens, result };
    } finally {
      terminate();
    }
  },
};

(globalThis as unknown as { harness: typeof harness }).harness = harness;
document.body.dataset.ready = 'true';
