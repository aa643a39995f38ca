/**
 * Language-model data and scoring shared by stages 1 and 2: token streams
 * (reversed for the backward model), the general-domain corpus, stage 1's
 * held-out documents, perplexity reports, and moving a pretrained LM onto
 * the task's vocabulary.
 *
 * @module
 */
import { AwdLstm } from "../shared/model/awd_lstm.ts";
import type { Direction } from "../shared/model/io.ts";
import { rowsByToken, transferVocabRows } from "../shared/model/vocab_transfer.ts";
import type { Ops } from "../shared/ops/ops.ts";
import { tokenize } from "../shared/tokenizer/tokenizer.ts";
import { Vocab } from "../shared/tokenizer/vocab.ts";
import type { TrainConfig } from "./config.ts";
import { loadDefaultCorpus, readCorpus } from "./data/mod.ts";
import { lmValidationLoss } from "./lm_train.ts";
import type { LmEvalEvent, MetricsLog } from "./metrics.ts";

/** Total length of a list of documents. */
export const count = (docs: ArrayLike<unknown>[]) => docs.reduce((a, d) => a + d.length, 0);

/** One token stream of all documents; the backward model's is reversed end to end. */
export function concatStreams(docs: Int32Array[], reverse: boolean): Int32Array {
  const out = new Int32Array(count(docs));
  let k = 0;
  for (const d of docs) out.set(d, k), k += d.length;
  // The backward LM reads the whole stream reversed: each document reversed, in reverse order.
  return reverse ? out.reverse() : out;
}

/** The first `maxTokens` tokens of `docs` (0: all), the last document cut where the cap falls. */
export function capDocs(docs: string[][], maxTokens: number): string[][] {
  if (!maxTokens) return docs;
  const out: string[][] = [];
  let n = 0;
  for (const d of docs) {
    if (n >= maxTokens) break;
    const take = d.slice(0, maxTokens - n);
    out.push(take);
    n += take.length;
  }
  return out;
}

/** The tokenized general-domain corpus: `--corpus`, or the embedded default (SOTU + Moby-Dick). */
export async function generalCorpus(c: TrainConfig): Promise<string[][]> {
  const docs: string[][] = [];
  let n = 0;
  const source = c.corpus ? readCorpus(c.corpus) : (await loadDefaultCorpus())[Symbol.iterator]();
  const it = source as AsyncIterable<string> | Iterator<string>;
  const push = (text: string) => {
    const toks = tokenize(text);
    docs.push(toks);
    n += toks.length;
  };
  if (Symbol.asyncIterator in it) {
    for await (const text of it as AsyncIterable<string>) {
      push(text);
      if (c.corpusMaxTokens && n >= c.corpusMaxTokens) break;
    }
  } else {
    for (let r = (it as Iterator<string>).next(); !r.done; r = (it as Iterator<string>).next()) {
      push(r.value);
      if (c.corpusMaxTokens && n >= c.corpusMaxTokens) break;
    }
  }
  return capDocs(docs, c.corpusMaxTokens);
}

/** Copies pretrained rows onto a new vocabulary; new words get the mean embedding and bias. */
export async function remapVocab(
  ops: Ops,
  from: AwdLstm,
  fromVocab: readonly string[],
  to: Vocab,
): Promise<AwdLstm> {
  const lm = new AwdLstm(ops, { ...from.config, vocabSize: to.size });
  const rowOf = rowsByToken(fromVocab, to.itos);
  lm.params.load(transferVocabRows(await from.params.export(), rowOf));
  return lm;
}

/**
 * Scores a pretrained LM on each `--lm-eval` corpus (e.g. WikiText-2 valid
 * and test). Perplexity is over fitlam's own tokens with the LM's vocabulary
 * (out-of-vocabulary words count as the unknown token), so it is not
 * comparable digit for digit with word-level WikiText results.
 */
export async function reportPerplexity(
  c: TrainConfig,
  lm: AwdLstm,
  itos: readonly string[],
  dir: Direction,
  log: MetricsLog,
  heldOut?: { name: string; docs: string[][] },
): Promise<void> {
  const vocab = Vocab.fromItos(itos);
  const sets: { name: string; ids: Int32Array[] }[] = [];
  if (heldOut) sets.push({ name: heldOut.name, ids: heldOut.docs.map((d) => vocab.encode(d)) });
  for (const path of c.lmEval) {
    const ids: Int32Array[] = [];
    for await (const text of readCorpus(path)) {
      // WikiText marks its out-of-vocabulary words as <unk>: score them as one unknown token.
      ids.push(vocab.encode(tokenize(text.replaceAll("<unk>", "xxunk"))));
    }
    sets.push({ name: path, ids });
  }
  for (const { name, ids } of sets) {
    const stream = concatStreams(ids, dir === "bwd");
    let unknown = 0;
    for (const id of stream) if (id === 0) unknown++; // xxunk
    const loss = await lmValidationLoss(lm, stream, c.pretrain.bs, c.pretrain.bptt);
    const row: LmEvalEvent = {
      type: "lm-eval",
      direction: dir,
      corpus: name,
      tokens: stream.length,
      unknownRate: unknown / Math.max(1, stream.length),
      loss,
      perplexity: Math.exp(loss),
    };
    await log.add(row);
    console.error(
      `perplexity ${dir} on ${name}: ${row.perplexity.toFixed(2)} over ${stream.length} tokens (${
        (100 * row.unknownRate).toFixed(1)
      }% unknown)`,
    );
  }
}

/** The documents stage 1 holds out of a corpus: the first `pretrain.validFraction` of them. */
export function heldOutCount(c: TrainConfig, documents: number): number {
  const share = c.pretrain.validFraction;
  if (!(share > 0 && share < 1)) {
    throw new Error(
      `Cannot hold out stage 1 validation: pretrain.validFraction is ${share}; ` +
        "use a share between 0 and 1, e.g. 0.02",
    );
  }
  const nValid = Math.max(1, Math.round(documents * share));
  if (nValid >= documents) {
    throw new Error(
      `Cannot hold out stage 1 validation: the corpus has ${documents} document(s), ` +
        "all of them held out; use a larger corpus or a smaller pretrain.validFraction",
    );
  }
  return nValid;
}
