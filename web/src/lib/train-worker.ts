// Training in the page: a fresh Mini-GPT trained in a Web Worker — on the verb grammar, or on a
// text the user picked (a character-level model, as `minigpt train --data`) — reporting every step
// and handing back its checkpoint so the page can explore what it learned.

import {
  createWasmKernels, evaluate, LOCKED, MiniGPT, parseTrainConfig, prepareText, saveCheckpoint, setKernels, Snapshots, snapshotSteps, textConfig, textLoss, textMetadata,
  textSample, TextStream, textWindows, Trainer, validationSet, wasmSimdSupported,
} from "minigpt";

if (wasmSimdSupported()) setKernels(createWasmKernels());

/** `text`: train a character-level model on it (`name`: its file's) instead of the verb grammar. */
export type ToWorker = { type: "start"; steps: number; batch_size: number; lr: number; seed: number; text?: { name: string; content: string } } | { type: "stop" };
export type FromWorker =
  | { type: "step"; step: number; loss: number; tokens: number }
  /** agreement: NaN for a text; sample: what a text model writes at this step. */
  | { type: "eval"; step: number; agreement: number; loss: number; sample?: string }
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
    const text = msg.text === undefined ? null : prepareText(msg.text.content, LOCKED.context_len + 1, msg.text.name);
    const model = new MiniGPT(text === null ? { ...LOCKED, seed: msg.seed } : textConfig({ ...LOCKED, seed: msg.seed }, text));
    const trainer = new Trainer(model, config, text === null ? undefined : new TextStream(text.train, LOCKED.context_len + 1, msg.seed));
    const val = validationSet(128), textVal = text === null ? [] : textWindows(text.val, LOCKED.context_len + 1, 64);
    let shots = new Snapshots([0, ...snapshotSteps(msg.steps, SNAPSHOTS)]); // step 0: the initialisation
    shots.record(0, trainer.model);
    const curve: [number, number][] = [];
    while (!trainer.done && !stopping) {
      const info = trainer.trainStep();
      shots.record(info.step, trainer.model);
      curve.push([info.step, Number(info.loss.toFixed(4))]);
      post({ type: "step", step: info.step, loss: info.loss, tokens: info.tokens });
      if (info.step % 50 === 0 || trainer.done) {
        if (text !== null) post({ type: "eval", step: info.step, agreement: NaN, loss: textLoss(trainer.model, textVal), sample: textSample(trainer.model, text) });
        else {
          const ev = evaluate(trainer.model, val);
          post({ type: "eval", step: info.step, agreement: ev.agreement.accuracy, loss: ev.loss });
        }
      }
      await new Promise((r) => setTimeout(r, 0)); // let "stop" arrive
    }
    if (!shots.recorded.includes(trainer.step)) {
      // stopped early: the last snapshot is where it stopped, so the timeline ends at the model explored
      shots = new Snapshots([...shots.recorded, trainer.step], shots.bytes(trainer.model));
      shots.record(trainer.step, trainer.model);
    }
    const checkpoint = saveCheckpoint(trainer.model, { step: String(trainer.step), trained_in: "browser", loss_curve: JSON.stringify(curve), ...(text === null ? {} : textMetadata(text)) });
    const snapshots = shots.bytes(trainer.model);
    post({ type: "done", step: trainer.step, checkpoint, snapshots }, [checkpoint.buffer, snapshots.buffer]);
  } catch (err) {
    post({ type: "error", message: (err as Error).message });
  }
};
