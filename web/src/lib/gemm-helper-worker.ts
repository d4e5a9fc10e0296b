// A helper thread of the page (threads.ts): receives its HelperInit, then serves matrix-product
// shares forever (blocking in Atomics.wait, which a worker may do).

import { serveGemm, type HelperInit } from "minigpt";

self.onmessage = (e: MessageEvent<HelperInit>): void => serveGemm(e.data);
