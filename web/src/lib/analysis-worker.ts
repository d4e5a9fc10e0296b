// The analysis worker: a big model's heavy work (the forward with every hook cached, the lens,
// the budget, patching, causality, features, head scores, sampling) on the worker's own copy of
// the model, so the page's thread keeps to typing and drawing. The jobs are in jobs.ts; the
// page's side is analyst.ts.

import { setKernels, wasmSimdSupported } from "minigpt";
import { JobServer, type ToWorker } from "./jobs.js";
import { pageKernels } from "./threads.js";

if (wasmSimdSupported()) setKernels(pageKernels());
const server = new JobServer();

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const out = server.handle(e.data);
  if (out !== null) (self as unknown as Worker).postMessage(out.reply, out.transfer);
};
