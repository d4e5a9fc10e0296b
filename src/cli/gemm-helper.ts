// Worker entry for a helper thread (see helper-threads.ts): serve matrix-product shares forever.

import { workerData } from "node:worker_threads";
import { serveGemm, type HelperInit } from "../tensor/threads.js";

serveGemm(workerData as HelperInit);
