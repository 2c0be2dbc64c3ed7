/// <reference lib="webworker" />
// Embed worker entry: wires the protocol to the transformers.js embedder (see src/embed/).
import wasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import mjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import { serve } from '../src/core/rpc';
import { reportRequests } from '../src/platform/netlog';
import { configureRuntime } from '../src/platform/transformers-env';
import { embedHandlers } from '../src/embed/handler';
import { TransformersEmbedder } from '../src/embed/transformers';
import { TransformersReranker } from '../src/embed/reranker';

configureRuntime({ wasm, mjs });
serve(self, embedHandlers(new TransformersEmbedder(), new TransformersReranker()));
reportRequests(self);
