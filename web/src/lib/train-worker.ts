// Training in the page: a fresh Mini-GPT trained in a Web Worker, reporting every step and
// handing back its checkpoint so the page can explore what it learned.

import { createWasmKernels, evaluate, LOCKED, MiniGPT, parseTrainConfig, saveCheckpoint, setKernels, Snapshots, snapshotSteps, Trainer, validationSet, wasmSimdSupported } from "minigpt";

if (wasmSimdSupported()) setKernels(createWasmKernels());

export type ToWorker = { type: "start"; steps: number; batch_size: number; lr: number; seed: number } | { type: "stop" };
export type FromWorker =
  | { type: "step"; step: number; loss: number; tokens: number }
  | { type: "eval"; step: number; agreement: number; loss: number }
  | { type: "done"; step: number; checkpoint: Uint8Array; snapshots: Uint8Array }
  | { type: "error"; message: string };

/** Snapshots kept along training (log-spaced), for the timeline. */
const SNAPSHOTS = 12;
let stopping = false;
const post = (m: FromWorker, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(m, transfer);

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === "stop") {
    stopping = true;
    return;
  }
  stopping = false;
  try {
    const config = parseTrainConfig({ steps: msg.steps, batch_size: msg.batch_size, lr: msg.lr, min_lr: msg.lr / 10, warmup_steps: Math.min(30, msg.steps), data_seed: msg.seed });
    const trainer = new Trainer(new MiniGPT({ ...LOCKED, seed: msg.seed }), config);
    const val = validationSet(128);
    let shots = new Snapshots([0, ...snapshotSteps(msg.steps, SNAPSHOTS)]); // step 0: the initialisation
    shots.record(0, trainer.model);
    const curve: [number, number][] = [];
    while (!trainer.done && !stopping) {
      const info = trainer.trainStep();
      shots.record(info.step, trainer.model);
      curve.push([info.step, Number(info.loss.toFixed(4))]);
      post({ type: "step", step: info.step, loss: info.loss, tokens: info.tokens });
      if (info.step % 50 === 0 || trainer.done) {
        const ev = evaluate(trainer.model, val);
        post({ type: "eval", step: info.step, agreement: ev.agreement.accuracy, loss: ev.loss });
      }
      await new Promise((r) => setTimeout(r, 0)); // let "stop" arrive
    }
    if (!shots.recorded.includes(trainer.step)) {
      // stopped early: the last snapshot is where it stopped, so the timeline ends at the model explored
      shots = new Snapshots([...shots.recorded, trainer.step], shots.bytes(trainer.model));
      shots.record(trainer.step, trainer.model);
    }
    const checkpoint = saveCheckpoint(trainer.model, { step: String(trainer.step), trained_in: "browser", loss_curve: JSON.stringify(curve) });
    const snapshots = shots.bytes(trainer.model);
    post({ type: "done", step: trainer.step, checkpoint, snapshots }, [checkpoint.buffer, snapshots.buffer]);
  } catch (err) {
    post({ type: "error", message: (err as Error).message });
  }
};
