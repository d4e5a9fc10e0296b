// Guided lessons: the course's residual-stream lesson ("The residual stream as the object"), its
// Mini-GPT chapter (Phase 17) and the induction circuit (on the induction model, which the lesson
// loads), as tours through the explorer. Our own text, following the course's
// structure; each step brings a view into focus, and each question is answered by the model loaded
// in the page — computed here, in Node-testable code, not written down. English and Spanish.

import { describeModel, formulaCount, GPT2_SMALL, inventory } from "minigpt";
import { budget, causalityHolds, decomposition, headCircuits, headDetection, lastState, lensGrid, ovRows, probes, probesApply, signed, steer, steeringPoints, type StreamView } from "./compute.js";
import type { Loaded } from "./models.js";
import { stateNames } from "./state-names.js";

/** English and Spanish. */
export type Text2 = readonly [string, string];

/** The views a step can bring into focus (each is a section of the page with data-panel = this). */
export type Panel = "grid" | "vector" | "budget" | "attention" | "architecture" | "causality" | "heads" | "circuits" | "probes" | "steering";

/** What a question's answer needs: the model and the analysed input. */
export interface LessonContext {
  readonly loaded: Loaded;
  readonly view: StreamView;
}

export interface LessonStep {
  readonly title: Text2;
  readonly body: Text2;
  /** The view this step is about; the page scrolls it into view and outlines it. */
  readonly panel: Panel;
  /** The cell the step selects: the top of the stack or the embedding row, at the last position. */
  readonly cell?: "top" | "embed";
  readonly question?: { readonly ask: Text2; readonly answer: (ctx: LessonContext) => Text2 };
}

export interface Lesson {
  readonly id: "residual" | "minigpt" | "induction" | "directions";
  /** The model the lesson is about, loaded when it starts (default: whatever the page holds). */
  readonly model?: "induction" | "shipped";
  readonly title: Text2;
  /** Where the course teaches it. */
  readonly source: Text2;
  readonly steps: readonly LessonStep[];
}

const fmt = (x: number, digits = 3): string => (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(digits) : x.toExponential(1));
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const norm = (v: readonly number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const last = (ctx: LessonContext): number => ctx.view.ids.length - 1;
const quoted = (ctx: LessonContext, p: number): string => `“${ctx.view.tokens[p]}”`;

/** Each block's delta at a position: the stream after the block minus the stream before it. */
export function blockDeltas(ctx: LessonContext, position: number): { layer: number; norm: number; share: number }[] {
  const { view } = ctx, parts = view.stateParts;
  const out: { layer: number; norm: number; share: number }[] = [];
  for (let s = 1; s < parts.length; s++) {
    const layer = parts[s]!.layer;
    const isLast = s === parts.length - 1 || parts[s + 1]!.layer !== layer;
    if (!isLast) continue;
    const first = parts.findIndex((p) => p.layer === layer); // the block's first state after h_before
    const before = view.vectors[first - 1]![position]!, after = view.vectors[s]![position]!;
    const delta = after.map((x, i) => x - before[i]!);
    out.push({ layer, norm: norm(delta), share: norm(delta) / Math.max(norm(after), 1e-12) });
  }
  return out;
}

/** The first stream state from which the logit lens's top token is the model's final answer. */
export function commitDepth(ctx: LessonContext, position: number): { state: number; token: string; states: number } {
  const grid = lensGrid(ctx.loaded.model, ctx.view);
  const final = grid.at(-1)![position]!;
  let state = grid.length - 1;
  while (state > 0 && grid[state - 1]![position]!.id === final.id) state--;
  return { state, token: final.token, states: grid.length };
}

const stateName = (ctx: LessonContext, s: number): string => {
  const p = ctx.view.stateParts[s]!;
  return p.after === "embed" ? "h₀" : `${p.after} ${p.layer}`;
};

/** The heads of one kind in a block: those scoring over ½ (a head "is" one), strongest first. */
function headsOfKind(scores: readonly (readonly number[])[], layer: number): { head: number; score: number }[] {
  return (scores[layer] ?? []).map((score, head) => ({ head, score })).filter((h) => h.score > 0.5).sort((a, b) => b.score - a.score);
}

/** The induction circuit read from the model: its previous-token heads (block 0), induction heads (the last block), and how the second read the first. */
export function inductionCircuit(ctx: LessonContext) {
  const scores = headDetection(ctx.loaded), L = ctx.loaded.model.config.n_layers;
  const prev = headsOfKind(scores.previous_token, 0), induction = headsOfKind(scores.induction, L - 1);
  const { composition, copying } = headCircuits(ctx.loaded);
  const pairs = composition.pairs.filter((p) => p.from.layer === 0 && prev.some((h) => h.head === p.from.head) && p.to.layer === L - 1 && induction.some((h) => h.head === p.to.head));
  const mean = (k: "q" | "k" | "v"): number => pairs.reduce((s, p) => s + p[k], 0) / Math.max(1, pairs.length);
  return { prev, induction, last: L - 1, q: mean("q"), k: mean("k"), v: mean("v"), baseline: composition.baseline, copying };
}

const headList = (layer: number, hs: readonly { head: number; score: number }[]): string => hs.map((h) => `${layer}.${h.head} (${h.score.toFixed(2)})`).join(", ");

const notGrammar: Text2 = ["This lesson reads the verb grammar's sentences: load the shipped model.", "Esta lección lee las frases de la gramática verbal: carga el modelo incluido."];

export const LESSONS: readonly Lesson[] = [
  {
    id: "residual",
    title: ["The residual stream as the object", "El residual stream como objeto"],
    source: ["Course lesson “The Transformer Block · The residual stream as the object” (Elhage et al. 2021)", "Lección del curso «The Transformer Block · The residual stream as the object» (Elhage et al. 2021)"],
    steps: [
      {
        title: ["The stream is the noun", "El stream es el sustantivo"],
        body: [
          "Stop reading the residual stream as plumbing between blocks. It is what the model operates on: one vector per position, flowing from the embedding (bottom row of the grid) to the unembedding (top row). Every sublayer reads the stream, computes a delta and adds it back. The selected cell is the top of the stack at the last position.",
          "Deja de ver el residual stream como la tubería entre bloques. Es aquello sobre lo que opera el modelo: un vector por posición, que sube desde el embedding (fila inferior de la rejilla) hasta el unembedding (fila superior). Cada subcapa lee el stream, calcula un delta y lo suma de vuelta. La celda seleccionada es la cima de la pila en la última posición.",
        ],
        panel: "grid",
        cell: "top",
        question: {
          ask: ["How wide is the stream, and does its width change between the bottom and the top?", "¿Qué anchura tiene el stream, y cambia entre la base y la cima?"],
          answer: (ctx) => {
            const widths = new Set(ctx.view.vectors.flatMap((row) => row.map((v) => v.length)));
            const d = [...widths][0]!, n = ctx.view.vectors.length;
            return widths.size === 1
              ? [`d_model = ${d} in every one of the ${n} states of this model: depth adds rows, never width.`, `d_model = ${d} en cada uno de los ${n} estados de este modelo: la profundidad añade filas, nunca anchura.`]
              : [`Widths ${[...widths].join(", ")} — not one width (unexpected).`, `Anchuras ${[...widths].join(", ")} — no es una sola (inesperado).`];
          },
        },
      },
      {
        title: ["Composition by addition", "Composición por suma"],
        body: [
          "In a Pre-LN model every sublayer's output is added to the trunk, so after N blocks h_N = h₀ + Σ Δ_ℓ: the whole forward pass is a sum of vectors. Tick “decompose into sources” in the vector view: the top cell splits into one row per source — the embedding, then each attention and MLP — and the rows add up to the vector.",
          "En un modelo Pre-LN la salida de cada subcapa se suma al tronco, así que tras N bloques h_N = h₀ + Σ Δ_ℓ: todo el forward es una suma de vectores. Marca «descomponer en fuentes» en la vista del vector: la celda superior se parte en una fila por fuente —el embedding, luego cada atención y cada MLP— y las filas suman el vector.",
        ],
        panel: "vector",
        cell: "top",
        question: {
          ask: ["Do the sources really add up to the stream vector?", "¿De verdad suman las fuentes el vector del stream?"],
          answer: (ctx) => {
            const d = decomposition(ctx.loaded.model, ctx.view, lastState(ctx.loaded.model), last(ctx), false);
            return d.additive
              ? [`Yes: ${d.labels.length} sources (${d.labels.join(", ")}) add up to the vector at ${quoted(ctx, last(ctx))} within ${fmt(d.maxError, 7)} — float32 rounding.`, `Sí: ${d.labels.length} fuentes (${d.labels.join(", ")}) suman el vector en ${quoted(ctx, last(ctx))} con un error de ${fmt(d.maxError, 7)}: el redondeo de float32.`]
              : [`Not in this model: it is Post-LN, so a LayerNorm sits between the adds (the sources miss the vector by ${fmt(d.maxError)}).`, `En este modelo no: es Post-LN, así que hay una LayerNorm entre las sumas (las fuentes fallan por ${fmt(d.maxError)}).`];
          },
        },
      },
      {
        title: ["When a block does nothing", "Cuando un bloque no hace nada"],
        body: [
          "Because the stream is a sum, each block's contribution at each position is one vector you can read off: the state after the block minus the state before it.",
          "Como el stream es una suma, la contribución de cada bloque en cada posición es un vector que se puede leer: el estado tras el bloque menos el estado antes de él.",
        ],
        panel: "grid",
        cell: "top",
        question: {
          ask: ["At some position, block ℓ's delta is exactly the zero vector. What does block ℓ contribute to that token's stream?", "En alguna posición, el delta del bloque ℓ es exactamente el vector cero. ¿Qué aporta el bloque ℓ al stream de ese token?"],
          answer: (ctx) => {
            const p = last(ctx), deltas = blockDeltas(ctx, p);
            const min = deltas.reduce((a, b) => (b.norm < a.norm ? b : a));
            return [
              `Nothing: h after = h before + 0, in every dimension. In this model no block is silent at ${quoted(ctx, p)}: the smallest delta is block ${min.layer}'s, ‖Δ‖ = ${fmt(min.norm)} (${pct(min.share)} of ‖h‖ after it); ${deltas.map((x) => `block ${x.layer} ${fmt(x.norm)}`).join(", ")}.`,
              `Nada: h después = h antes + 0, en cada dimensión. En este modelo ningún bloque calla en ${quoted(ctx, p)}: el delta más pequeño es el del bloque ${min.layer}, ‖Δ‖ = ${fmt(min.norm)} (${pct(min.share)} de ‖h‖ tras él); ${deltas.map((x) => `bloque ${x.layer} ${fmt(x.norm)}`).join(", ")}.`,
            ];
          },
        },
      },
      {
        title: ["The bigram floor", "El suelo del bigrama"],
        body: [
          "Turn every block off (k = 0 in the block budget) and the forward pass collapses to the unembedding of the token's own embedding: a bigram model, P(next | this token). Each block then buys a context-dependent correction to that floor.",
          "Apaga todos los bloques (k = 0 en el presupuesto de bloques) y el forward se reduce al unembedding del propio embedding del token: un modelo de bigramas, P(siguiente | este token). Cada bloque compra después una corrección que depende del contexto.",
        ],
        panel: "budget",
        cell: "top",
        question: {
          ask: ["With no blocks at all, what does the model predict after the last token? And with all of them?", "Sin ningún bloque, ¿qué predice el modelo tras el último token? ¿Y con todos?"],
          answer: (ctx) => {
            const p = last(ctx), L = ctx.loaded.model.config.n_layers;
            const floor = budget(ctx.loaded.model, ctx.view, p, 0, 1)[0]!, full = budget(ctx.loaded.model, ctx.view, p, L, 1)[0]!;
            return [
              `After ${quoted(ctx, p)}: k = 0 gives “${floor.token}” (${pct(floor.prob)}); all ${L} blocks give “${full.token}” (${pct(full.prob)}).`,
              `Tras ${quoted(ctx, p)}: k = 0 da «${floor.token}» (${pct(floor.prob)}); los ${L} bloques dan «${full.token}» (${pct(full.prob)}).`,
            ];
          },
        },
      },
      {
        title: ["Reading the stream at any depth", "Leer el stream a cualquier profundidad"],
        body: [
          "Every intermediate state can be decoded by the same final norm and unembedding: the logit lens (nostalgebraist 2020). Tick “show the logit lens in each cell” above the grid: each cell then shows its best guess for the next token, and you can see where the answer appears.",
          "Cada estado intermedio se puede decodificar con la misma norma final y el mismo unembedding: el logit lens (nostalgebraist 2020). Marca «mostrar el logit lens en cada celda» sobre la rejilla: cada celda muestra entonces su mejor apuesta para el siguiente token, y se ve dónde aparece la respuesta.",
        ],
        panel: "grid",
        cell: "top",
        question: {
          ask: ["From which depth on does the stream at the last position already hold the final answer?", "¿Desde qué profundidad contiene ya el stream en la última posición la respuesta final?"],
          answer: (ctx) => {
            const c = commitDepth(ctx, last(ctx));
            return [
              `From ${stateName(ctx, c.state)} (state ${c.state} of ${c.states - 1}) on, the lens's top token is the final “${c.token}”.`,
              `Desde ${stateName(ctx, c.state)} (estado ${c.state} de ${c.states - 1}), el primer token de la lente es ya el final, «${c.token}».`,
            ];
          },
        },
      },
      {
        title: ["Bandwidth", "Ancho de banda"],
        body: [
          "The stream has d dimensions, and every sublayer of every block writes into it: attention through W_O (d² parameters), the MLP through W_out (d_ff·d). Far more computational dimensions want to write than the stream has room for, so heads and neurons specialise into subspaces.",
          "El stream tiene d dimensiones, y cada subcapa de cada bloque escribe en él: la atención a través de W_O (d² parámetros), el MLP a través de W_out (d_ff·d). Quieren escribir muchas más dimensiones de cómputo de las que caben, así que cabezas y neuronas se especializan en subespacios.",
        ],
        panel: "architecture",
        question: {
          ask: ["In GPT-2 small, what is the ratio of FFN output dims to stream dims? And in the model loaded here?", "En GPT-2 small, ¿cuál es la razón entre las dimensiones de salida del FFN y las del stream? ¿Y en el modelo cargado aquí?"],
          answer: (ctx) => {
            const c = ctx.loaded.model.config;
            return [
              `GPT-2 small: d_ff : d_model = ${GPT2_SMALL.d_ff} : ${GPT2_SMALL.d_model} = ${GPT2_SMALL.d_ff / GPT2_SMALL.d_model}. This model: ${c.d_ff} : ${c.d_model} = ${fmt(c.d_ff / c.d_model, 2)}.`,
              `GPT-2 small: d_ff : d_model = ${GPT2_SMALL.d_ff} : ${GPT2_SMALL.d_model} = ${GPT2_SMALL.d_ff / GPT2_SMALL.d_model}. Este modelo: ${c.d_ff} : ${c.d_model} = ${fmt(c.d_ff / c.d_model, 2)}.`,
            ];
          },
        },
      },
    ],
  },
  {
    id: "minigpt",
    title: ["Mini-GPT, the chapter", "Mini-GPT, el capítulo"],
    source: ["Course Phase 17, “Tiny Transformer Block & Mini-GPT”", "Fase 17 del curso, «Tiny Transformer Block & Mini-GPT»"],
    steps: [
      {
        title: ["The locked config", "La configuración fijada"],
        body: [
          "Mini-GPT is the smallest object that is recognisably a language model: a token embedding, Pre-LN blocks of attention and a GELU MLP, a final LayerNorm and a head tied to the embedding. The diagram is drawn from the loaded model's own description; click a box to open its state in the grid.",
          "Mini-GPT es el objeto más pequeño que se reconoce como modelo de lenguaje: un embedding de tokens, bloques Pre-LN de atención y un MLP con GELU, una LayerNorm final y una cabeza atada al embedding. El diagrama sale de la propia descripción del modelo cargado; pulsa una caja para abrir su estado en la rejilla.",
        ],
        panel: "architecture",
        question: {
          ask: ["What are this model's d_model, heads, layers, d_ff, vocabulary and context?", "¿Cuáles son d_model, cabezas, capas, d_ff, vocabulario y contexto de este modelo?"],
          answer: ({ loaded: { model } }) => {
            const c = model.config, s = `d_model ${c.d_model}, ${c.n_heads} heads of ${c.d_model / c.n_heads}, ${c.n_layers} layers, d_ff ${c.d_ff}, vocabulary ${c.vocab_size}, context ${c.context_len}`;
            return [s + ".", s.replace("heads of", "cabezas de").replace("layers", "capas").replace("vocabulary", "vocabulario").replace("context", "contexto") + "."];
          },
        },
      },
      {
        title: ["Every parameter, counted", "Cada parámetro, contado"],
        body: [
          "Given d_model, heads, layers, d_ff and the vocabulary you can write the parameter count to the digit. The page counts the model's tensors one by one and sets them against the closed-form formula.",
          "Con d_model, cabezas, capas, d_ff y el vocabulario se puede escribir el número de parámetros hasta el último dígito. La página cuenta los tensores del modelo uno a uno y los compara con la fórmula cerrada.",
        ],
        panel: "architecture",
        question: {
          ask: ["How many parameters does the model have, and does the formula agree?", "¿Cuántos parámetros tiene el modelo, y coincide la fórmula?"],
          answer: ({ loaded: { model } }) => {
            const total = inventory(model.config, model).total, formula = formulaCount(model.config), n = total.toLocaleString("en-US");
            return total === formula
              ? [`${n} parameters, counted tensor by tensor; the formula gives the same ${n}.`, `${n} parámetros, contados tensor a tensor; la fórmula da los mismos ${n}.`]
              : [`${n} counted, ${formula.toLocaleString("en-US")} by the formula: they differ.`, `${n} contados, ${formula.toLocaleString("en-US")} según la fórmula: no coinciden.`];
          },
        },
      },
      {
        title: ["The Pre-LN block", "El bloque Pre-LN"],
        body: [
          "h_new = h_old + sublayer(LN(h_old)): each sublayer reads a normalised copy of the stream and adds its output back; the stream itself is never normalised on the way up. Post-LN (the original Transformer) normalises the sum instead; GPT-J and Pythia run attention and MLP in parallel on the same input.",
          "h_nuevo = h_viejo + subcapa(LN(h_viejo)): cada subcapa lee una copia normalizada del stream y suma su salida; el stream en sí nunca se normaliza al subir. Post-LN (el Transformer original) normaliza la suma; GPT-J y Pythia ejecutan atención y MLP en paralelo sobre la misma entrada.",
        ],
        panel: "architecture",
        question: {
          ask: ["Which arrangement does the loaded model use?", "¿Qué disposición usa el modelo cargado?"],
          answer: ({ loaded: { model } }) => {
            const spec = describeModel(model.config), r = spec.block.residual, L = spec.n_layers;
            const adds = L * (spec.block.mlp === null ? 1 : 2), norm = spec.block.ln1.kind === "layernorm" ? "LayerNorm" : "RMSNorm";
            const en = { pre: `Pre-LN: each sublayer reads ${norm}(h) and adds to h — ${adds} additions to the stream over ${L} blocks, then a final ${norm} before the unembedding.`, post: `Post-LN: h ← ${norm}(h + sublayer(h)), ${adds} times over ${L} blocks: the stream itself is normalised after every add.`, parallel: `parallel: h ← h + attn(${norm}₁(h)) + mlp(${norm}₂(h)), both reading the same h, in each of ${L} blocks.` }[r];
            const es = { pre: `Pre-LN: cada subcapa lee ${norm}(h) y suma a h — ${adds} sumas al stream en ${L} bloques, y una ${norm} final antes del unembedding.`, post: `Post-LN: h ← ${norm}(h + subcapa(h)), ${adds} veces en ${L} bloques: el propio stream se normaliza tras cada suma.`, parallel: `paralela: h ← h + atención(${norm}₁(h)) + mlp(${norm}₂(h)), ambas leyendo el mismo h, en cada uno de los ${L} bloques.` }[r];
            return [en, es];
          },
        },
      },
      {
        title: ["Attention mixes positions", "La atención mezcla posiciones"],
        body: [
          "Attention is the token-mixer: each head reads the stream at every earlier position and writes a weighted mix back at the current one. The MLP is the feature-mixer, one position at a time. Without attention no information would cross between positions.",
          "La atención mezcla tokens: cada cabeza lee el stream en cada posición anterior y escribe una mezcla ponderada en la actual. El MLP mezcla rasgos, posición a posición. Sin atención ninguna información pasaría de una posición a otra.",
        ],
        panel: "attention",
        cell: "top",
        question: {
          ask: ["From the last position, which earlier token does each head of block 0 read most?", "Desde la última posición, ¿qué token anterior lee más cada cabeza del bloque 0?"],
          answer: (ctx) => {
            const p = last(ctx), heads = ctx.view.patterns[0]!;
            const reads = heads.map((h, i) => {
              const row = h[p]!, j = row.indexOf(Math.max(...row));
              return { i, j, w: row[j]! };
            });
            return [
              reads.map((r) => `head ${r.i}: ${quoted(ctx, r.j)} (position ${r.j}, ${pct(r.w)})`).join("; ") + ".",
              reads.map((r) => `cabeza ${r.i}: ${quoted(ctx, r.j)} (posición ${r.j}, ${pct(r.w)})`).join("; ") + ".",
            ];
          },
        },
      },
      {
        title: ["Tied embeddings and the LM head", "Embeddings atados y la cabeza LM"],
        body: [
          "The head that turns the final stream into logits can be the embedding matrix itself, transposed: logits = h · W_Eᵀ. Tying saves vocab × d_model parameters and is why the logit lens can read any depth with the same matrix.",
          "La cabeza que convierte el stream final en logits puede ser la propia matriz de embedding, traspuesta: logits = h · W_Eᵀ. Atarla ahorra vocab × d_model parámetros, y por eso el logit lens puede leer cualquier profundidad con la misma matriz.",
        ],
        panel: "architecture",
        question: {
          ask: ["Is this model's unembedding the embedding transposed? What does that save?", "¿Es el unembedding de este modelo el embedding traspuesto? ¿Qué ahorra?"],
          answer: ({ loaded: { model } }) => {
            const c = model.config, saved = (c.vocab_size * c.d_model).toLocaleString("en-US");
            return c.tied_embeddings
              ? [`Yes: logits = h · W_Eᵀ, and W_U costs no parameters (it would cost ${c.vocab_size} × ${c.d_model} = ${saved}).`, `Sí: logits = h · W_Eᵀ, y W_U no cuesta parámetros (costaría ${c.vocab_size} × ${c.d_model} = ${saved}).`]
              : [`No: this model has its own W_U of ${c.d_model} × ${c.vocab_size} = ${saved} parameters.`, `No: este modelo tiene su propia W_U de ${c.d_model} × ${c.vocab_size} = ${saved} parámetros.`];
          },
        },
      },
      {
        title: ["The causal mask holds end to end", "La máscara causal se cumple de punta a punta"],
        body: [
          "A decoder must not see the future: position t's logits may depend on tokens 0…t only. The chapter's last lab checks it by perturbation — change a later token and watch the earlier outputs. The causality view does exactly that, cell by cell.",
          "Un decoder no puede ver el futuro: los logits de la posición t solo pueden depender de los tokens 0…t. El último laboratorio del capítulo lo comprueba por perturbación: cambia un token posterior y observa las salidas anteriores. La vista de causalidad hace justo eso, celda a celda.",
        ],
        panel: "causality",
        question: {
          ask: ["Change a later token: do the earlier positions' outputs move?", "Cambia un token posterior: ¿se mueven las salidas de las posiciones anteriores?"],
          answer: (ctx) =>
            causalityHolds(ctx.loaded.model, ctx.view.ids)
              ? [`No — checked now on these ${ctx.view.ids.length} tokens: every earlier position's logits are unchanged.`, `No: comprobado ahora sobre estos ${ctx.view.ids.length} tokens, los logits de cada posición anterior no cambian.`]
              : ["Yes — the mask leaks (this should never happen).", "Sí: la máscara deja pasar información (no debería ocurrir nunca)."],
        },
      },
    ],
  },
  {
    id: "induction",
    model: "induction",
    title: ["The induction circuit, in the weights", "El circuito de inducción, en los pesos"],
    source: ["Course: “every interpretability technique worth knowing — induction-head circuits” (Olsson et al. 2022; Elhage et al. 2021)", "Curso: «toda técnica de interpretabilidad que valga la pena: circuitos de cabezas de inducción» (Olsson et al. 2022; Elhage et al. 2021)"],
    steps: [
      {
        title: ["Two kinds of head", "Dos clases de cabeza"],
        body: [
          "This is the induction model: two attention-only blocks trained on random words repeated twice, loaded for this lesson. The second half can only be predicted by looking back: find the current word's earlier occurrence and copy the word that followed it. The heads view scores every head on sequences like that.",
          "Este es el modelo de inducción: dos bloques solo de atención entrenados con palabras aleatorias repetidas dos veces, cargado para esta lección. La segunda mitad solo se predice mirando atrás: encontrar la aparición anterior de la palabra actual y copiar la que la siguió. La vista de cabezas puntúa cada cabeza sobre secuencias así.",
        ],
        panel: "heads",
        question: {
          ask: ["Which heads attend to the previous position, and which to the token after the current token's earlier occurrence?", "¿Qué cabezas atienden a la posición anterior, y cuáles al token que siguió a la aparición anterior del token actual?"],
          answer: (ctx) => {
            const c = inductionCircuit(ctx);
            if (c.prev.length === 0 || c.induction.length === 0) return [`In this model no head scores over 0.5 as both kinds (block 0 previous-token: ${c.prev.length}; block ${c.last} induction: ${c.induction.length}): no induction circuit here.`, `En este modelo ninguna cabeza pasa de 0.5 en ambas clases (bloque 0 de token anterior: ${c.prev.length}; bloque ${c.last} de inducción: ${c.induction.length}): aquí no hay circuito de inducción.`];
            return [
              `Previous-token heads in block 0: ${headList(0, c.prev)}. Induction heads in block ${c.last}: ${headList(c.last, c.induction)} (1 = always).`,
              `Cabezas de token anterior en el bloque 0: ${headList(0, c.prev)}. Cabezas de inducción en el bloque ${c.last}: ${headList(c.last, c.induction)} (1 = siempre).`,
            ];
          },
        },
      },
      {
        title: ["How the second reads the first", "Cómo la segunda lee a la primera"],
        body: [
          "An induction head cannot find “the token after the earlier occurrence” alone: a position only holds its own token. A previous-token head writes, at each position, the token before it; the induction head's key reads that write, so its query (the current token) matches the key of the position whose previous token is the current one. The circuits view reads this from the weights alone: how strongly each later head reads each earlier head's output through its query, key or value.",
          "Una cabeza de inducción no puede encontrar sola «el token que siguió a la aparición anterior»: cada posición solo tiene su propio token. Una cabeza de token anterior escribe, en cada posición, el token de antes; la clave de la cabeza de inducción lee esa escritura, así que su consulta (el token actual) coincide con la clave de la posición cuyo token anterior es el actual. La vista de circuitos lo lee de los pesos solos: cuánto lee cada cabeza posterior la salida de cada anterior por su consulta, su clave o su valor.",
        ],
        panel: "circuits",
        question: {
          ask: ["Through which of its inputs do the induction heads read the previous-token heads: query, key or value?", "¿Por cuál de sus entradas leen las cabezas de inducción a las de token anterior: consulta, clave o valor?"],
          answer: (ctx) => {
            const c = inductionCircuit(ctx);
            if (c.prev.length === 0 || c.induction.length === 0) return ["This model has no induction circuit to read (step 1): load the induction model.", "Este modelo no tiene circuito de inducción que leer (paso 1): carga el modelo de inducción."];
            const best = (["q", "k", "v"] as const).reduce((a, k) => (c[k] > c[a] ? k : a));
            const name = { q: ["the query", "la consulta"], k: ["the key", "la clave"], v: ["the value", "el valor"] }[best];
            return [
              `Through ${name[0]}: averaged over those pairs, K-composition ${c.k.toFixed(2)} (${(c.k / c.baseline).toFixed(1)}× the ${c.baseline.toFixed(2)} of random weights), Q ${c.q.toFixed(2)}, V ${c.v.toFixed(2)}.`,
              `Por ${name[1]}: en promedio sobre esos pares, composición K ${c.k.toFixed(2)} (${(c.k / c.baseline).toFixed(1)}× el ${c.baseline.toFixed(2)} de pesos aleatorios), Q ${c.q.toFixed(2)}, V ${c.v.toFixed(2)}.`,
            ];
          },
        },
      },
      {
        title: ["What the induction head writes", "Qué escribe la cabeza de inducción"],
        body: [
          "Having found the position after the earlier occurrence, the induction head moves that position's token to the current one. Its OV circuit says what it writes when it attends to a token: click an induction head's copying score to see, for each token of the input, the token it raises most.",
          "Encontrada la posición que siguió a la aparición anterior, la cabeza de inducción lleva el token de esa posición a la actual. Su circuito OV dice qué escribe cuando atiende a un token: pulsa la puntuación de copia de una cabeza de inducción para ver, para cada token de la entrada, el que más sube.",
        ],
        panel: "circuits",
        question: {
          ask: ["When an induction head attends to a token, which token does it raise?", "Cuando una cabeza de inducción atiende a un token, ¿qué token sube?"],
          answer: (ctx) => {
            const c = inductionCircuit(ctx);
            const h = c.induction[0];
            if (h === undefined) return ["This model has no induction head (step 1).", "Este modelo no tiene cabeza de inducción (paso 1)."];
            const sources = [...new Set(ctx.view.ids)];
            const rows = ovRows(ctx.loaded, c.last, h.head, sources);
            const self = rows.filter((r) => r.selfRank === 1).length;
            const copying = c.induction.map((x) => `${c.last}.${x.head}: ${c.copying[c.last]![x.head]!.toFixed(2)}`).join(", ");
            return [
              `The same token: copying scores ${copying} (+1 = raises exactly what it attends to); head ${c.last}.${h.head} raises the attended token itself most for ${self} of the ${sources.length} distinct tokens of this input.`,
              `El mismo token: puntuaciones de copia ${copying} (+1 = sube justo aquello a lo que atiende); la cabeza ${c.last}.${h.head} sube sobre todo el propio token atendido en ${self} de los ${sources.length} tokens distintos de esta entrada.`,
            ];
          },
        },
      },
    ],
  },
  {
    id: "directions",
    model: "shipped",
    title: ["Reading and writing a direction: probes and steering", "Leer y escribir una dirección: sondas y steering"],
    source: [
      "Course: “every interpretability technique worth knowing” — linear probes (Alain & Bengio 2016) with a control (Hewitt & Liang 2019), activation addition (Turner et al. 2023)",
      "Curso: «toda técnica de interpretabilidad que valga la pena» — sondas lineales (Alain y Bengio 2016) con un control (Hewitt y Liang 2019), suma de activaciones (Turner et al. 2023)",
    ],
    steps: [
      {
        title: ["Is the tense in the stream?", "¿Está el tiempo verbal en el flujo?"],
        body: [
          "At the token before a verb the model must already know the verb's tense to predict its form. A linear probe asks whether that is written in the stream: a logistic regression per state, fitted on some sentences and scored on held-out ones. Press “Fit the probes” in the view to see every state and property.",
          "En el token anterior a un verbo el modelo ya debe saber el tiempo del verbo para predecir su forma. Una sonda lineal pregunta si eso está escrito en el flujo: una regresión logística por estado, ajustada con unas frases y puntuada en otras reservadas. Pulsa «Ajustar las sondas» en la vista para ver cada estado y propiedad.",
        ],
        panel: "probes",
        question: {
          ask: ["From which state can a probe read the coming verb's tense?", "¿Desde qué estado puede una sonda leer el tiempo del verbo que viene?"],
          answer: (ctx) => {
            if (!probesApply(ctx.loaded)) return notGrammar;
            const r = probes(ctx.loaded), t = r.properties.find((p) => p.property === "tense")!;
            const first = t.trained.findIndex((a) => a >= 0.95);
            if (first < 0) return [`From none: the best state reads it ${pct(Math.max(...t.trained))} of the time.`, `Desde ninguno: el mejor estado lo lee el ${pct(Math.max(...t.trained))} de las veces.`];
            const [en, es] = stateNames(r.states[first]!);
            return [
              `From “${en}” on (${pct(t.trained[first]!)} of ${r.sentences.test} held-out sentences' verbs); the embedding alone gives ${pct(t.trained[0]!)}, and always answering the most frequent tense ${pct(t.majority)}.`,
              `Desde «${es}» (${pct(t.trained[first]!)} de los verbos de ${r.sentences.test} frases reservadas); el embedding solo da ${pct(t.trained[0]!)}, y responder siempre el tiempo más frecuente ${pct(t.majority)}.`,
            ];
          },
        },
      },
      {
        title: ["Readable is not learned", "Legible no es aprendido"],
        body: [
          "A probe can read what training never put there. The control is the same probe on the untrained model of the same shape: its first attention already averages the embeddings before each position, time word and subject among them. In the view, the grey bars are the control; what training added is the gap.",
          "Una sonda puede leer lo que el entrenamiento nunca puso ahí. El control es la misma sonda sobre el modelo sin entrenar de la misma forma: su primera atención ya promedia los embeddings anteriores a cada posición, con la palabra de tiempo y el sujeto entre ellos. En la vista, las barras grises son el control; lo que añadió el entrenamiento es la diferencia.",
        ],
        panel: "probes",
        question: {
          ask: ["For person and number, how far above the untrained model does the trained one read, state by state?", "Para persona y número, ¿cuánto por encima del modelo sin entrenar lee el entrenado, estado a estado?"],
          answer: (ctx) => {
            if (!probesApply(ctx.loaded)) return notGrammar;
            const r = probes(ctx.loaded), a = r.properties.find((p) => p.property === "agreement")!;
            const list = (lang: 0 | 1, against: string): string => r.states.map((s, k) => `${stateNames(s)[lang]}: ${pct(a.trained[k]!)} ${against} ${pct(a.control[k]!)}`).join("; ");
            return [`${list(0, "against")}.`, `${list(1, "frente a")}.`];
          },
        },
      },
      {
        title: ["Writing it back: steering", "Escribirlo de vuelta: steering"],
        body: [
          "Readable is not used either. To show the model uses a direction, add it and watch the prediction: the stream on “<bos> hoy” minus the stream on “<bos> ayer”, added at every position of the middle block's input. The steering view does this on the input, with a slider for the scale.",
          "Legible tampoco es usado. Para mostrar que el modelo usa una dirección, súmala y mira la predicción: el flujo sobre «<bos> hoy» menos el flujo sobre «<bos> ayer», sumado en cada posición de la entrada del bloque central. La vista de steering lo hace sobre la entrada, con un deslizador para la escala.",
        ],
        panel: "steering",
        question: {
          ask: ["With hoy − ayer added twice over, which next token loses most, and which gains most?", "Con hoy − ayer sumado dos veces, ¿qué token siguiente pierde más y cuál gana más?"],
          answer: (ctx) => {
            if (!probesApply(ctx.loaded)) return notGrammar;
            const tok = ctx.loaded.tok, hook = steeringPoints(ctx.loaded).initial;
            const r = steer(ctx.loaded, ctx.view.ids, { kind: "contrast", towards: tok.encode("<bos> hoy"), away: tok.encode("<bos> ayer"), hook }, 2, 0);
            const lost = r.lowered[0], won = r.raised[0];
            if (lost === undefined || won === undefined) return ["Nothing moves here: try an input that ends before a verb, as the canonical one.", "Aquí no se mueve nada: prueba una entrada que acabe antes de un verbo, como la canónica."];
            const p = (list: typeof r.before, t: string): string => pct(list.find((x) => x.token === t)?.prob ?? 0);
            return [
              `“${lost.token}” loses most (log-probability ${signed(lost.value, 1)}) and “${won.token}” gains most (${signed(won.value, 1)}); the top prediction goes from “${r.before[0]!.token}” (${pct(r.before[0]!.prob)}) to “${r.after[0]!.token}” (${pct(r.after[0]!.prob)}), and “${won.token}” is at ${p(r.after, won.token)}.`,
              `«${lost.token}» es el que más pierde (log-probabilidad ${signed(lost.value, 1)}) y «${won.token}» el que más gana (${signed(won.value, 1)}); la predicción principal pasa de «${r.before[0]!.token}» (${pct(r.before[0]!.prob)}) a «${r.after[0]!.token}» (${pct(r.after[0]!.prob)}), y «${won.token}» queda en ${p(r.after, won.token)}.`,
            ];
          },
        },
      },
    ],
  },
];

export function lessonById(id: string): Lesson | undefined {
  return LESSONS.find((l) => l.id === id);
}
