/// <reference lib="webworker" />
// LLM worker entry: one ChatEngine at a time (see src/generate/). Each engine's library is
// imported only when that engine is chosen, so a web-llm user never downloads ONNX Runtime, and
// only users of an OpenAI-compatible server download the openai client.
import wasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import mjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import { serve } from '../src/core/rpc';
import { reportRequests } from '../src/platform/netlog';
import { llmHandlers } from '../src/generate/handler';

serve(
  self,
  llmHandlers(
    async (kind) => {
      if (kind === 'webllm') {
        const { WebLlmChatEngine } = await import('../src/generate/webllm-engine');
        return new WebLlmChatEngine(self.location.origin);
      }
      if (kind === 'openai') {
        // The page's origin decides mixed content and is what the server's CORS must allow.
        const { OpenAIChatEngine } = await import('../src/generate/openai-engine');
        return new OpenAIChatEngine(self.location.origin);
      }
      const [{ TransformersChatEngine }, { configureRuntime }] = await Promise.all([
        import('../src/generate/transformers-engine'),
        import('../src/platform/transformers-env'),
      ]);
      configureRuntime({ wasm, mjs });
      return new TransformersChatEngine();
    },
    () => import('../src/generate/webllm-catalog'),
    self.location.origin,
  ),
);
reportRequests(self);
