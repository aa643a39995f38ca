/**
 * `deno task train [stage] [flags]`: the FitLaM trainer's command line.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { POOL_LAYERS, type PoolLayers, type PresetName, PRESETS } from "../shared/model/config.ts";
import { bowCharNgramsProblem, presetConfig, type TrainConfig } from "./config.ts";
import { mergeConfig } from "./settings.ts";
import { runTraining, type Stage, STAGES } from "./run.ts";
import { printRangeTests, printResult } from "./run_output.ts";
import { RANGE_TEST_STAGES, type RangeTestStage } from "./stages/find_lr.ts";
import { exists } from "../shared/exists.ts";
import { EXIT_USAGE, exitWithError } from "../shared/exit.ts";

const HELP: Record<Stage | "all" | "lr-find", string> = {
  all:
    "Runs the stages for both directions, then evaluates on the test split beside a bag-of-words\n" +
    "  baseline. With the small preset stage 1 is the shipped general-English LM (weights/enwiki)\n" +
    "  unless --corpus, --from or --no-pretrain says otherwise.",
  pretrain: "Stage 1: trains the general-domain language model (writes OUT/pretrain-{fwd,bwd}).",
  "finetune-lm":
    "Stage 2: fine-tunes OUT/pretrain-* on the target task's text with warm-up reverse annealing,\n  gradual unfreezing, cosine annealing and discriminative rates (writes OUT/finetune-*).",
  classify:
    "Stage 3: trains the concat-pooling classifier on OUT/finetune-* with BPT3C over whole documents,\n  keeps the best validation epoch, stops when validation stops improving, and evaluates\n  (writes OUT/classifier-*).",
  evaluate:
    "Evaluates OUT/classifier-* on the test split (accuracy per direction and averaged) and the\n  bag-of-words baseline trained on the same documents.",
  "lr-find":
    "`lr-find STAGE` runs the learning-rate range test on the model and data STAGE (pretrain,\n" +
    "  finetune-lm or classify) would train, per direction, instead of training it: about\n" +
    "  lrFindSteps steps with the rate growing from 1e-7 to 10. It plots loss against rate in\n" +
    "  OUT/lr-find-STAGE-DIR.svg, suggests a rate and trains nothing. `STAGE --lr-find` is the same.",
};

function usage(stage: Stage | "all" | "lr-find"): string {
  return `Usage: deno task train [${["all", ...STAGES].join("|")}] [options]
       deno task train lr-find ${RANGE_TEST_STAGES.join("|")} [options]

${HELP[stage]}

Options:
  --preset NAME            ${
    PRESETS.join(" | ")
  } (default small; tiny takes seconds; paper is for a GPU host)
  --config FILE            JSON settings merged over the preset (same keys as OUT/metrics.jsonl's run row)
  --out DIR                output folder (default weights/)
  --device NAME            wasm | auto | webgpu | cpu (default wasm)
  --data PATH              target task: IMDb folder/.tar.gz, class folders (LABEL/FILE or
                           train/LABEL/FILE + test/LABEL/FILE; a folder or .tar.gz), CSV, TREC, TSV,
                           JSONL, fastText (default: SpamAssassin); CSV/TSV/JSONL train rows with an
                           empty label, fastText train lines without a __label__ word, and files in
                           train/unsup/, are unlabelled text
  --test PATH, --valid PATH  separate test/validation files (else seeded splits)
  --unlabeled PATH         unlabelled text of the task, one document a line (.txt or .gz): stage 2
                           fine-tunes the LM on it too, and the blended bag of words self-trains on it
  --format NAME            auto | imdb | folders | csv | zhang | trec | tsv | jsonl | fasttext (default auto)
  --text-field F, --label-field F  field names for CSV/JSONL
  --max-per-class N        IMDb, class folders: a seeded N documents per class in each split (0: all)
  --max-unlabeled N        IMDb, class folders: a seeded N of the unlabelled documents (0: all)
  --max-train-docs N       stage 3 trains on a seeded, label-stratified N of the labelled training
                           documents (stage 2 still reads all text; 0: all); a validation split
                           carved from the training file keeps ⌈N/9⌉ documents, the rest unlabelled
  --corpus PATH            general-domain corpus: .txt, .gz, WikiText .tokens or a folder of .txt
  --corpus-max-tokens N    use at most N corpus tokens (0: all)
  --from DIR               read pretrain-{fwd,bwd} from DIR (another run, or \`deno task import-fastai\`)
  --lm-eval PATH           report the pretrained LM's perplexity on PATH (repeatable; e.g. WikiText-2
                           wiki.valid.tokens and wiki.test.tokens)
  --direction D            fwd | bwd | both (default both)
  --seed N                 random seed (default 42)
  --pretrain-epochs N, --finetune-epochs N, --classify-epochs N
  --lm-lr X, --clf-lr X    top learning rates (paper: 0.002 for the LM)
  --bs N                   batch size for all stages
  --resume                 continue from the checkpoints in OUT/checkpoints
  --lr-find                the same as \`lr-find STAGE\` (e.g. \`train classify --lr-find\`)
  --no-baseline            skip the bag-of-words baseline (TF-IDF + logistic regression) that
                           evaluate trains on the same split and prints beside fitlam's accuracy
  --no-blend               serve the LSTM classifiers alone: by default evaluate blends their
                           and the baseline's log-probabilities with weights fitted on validation
                           and saves the baseline as OUT/baseline/, which loaders apply
  --no-self-train          blend the baseline as trained on the labels: by default it is first
                           self-trained on the task's unlabelled text (unlabelled documents, and
                           training documents beyond --max-train-docs), kept if held-out
                           documents gain beyond chance
  --pool-layers last|all   stage 3 pools the last LSTM layer's outputs (default) or every layer's
                           side by side (a narrow last layer carries little of the task)
  Ablations: --no-pretrain --no-lm-finetune --no-discriminative --no-gradual-unfreeze
             --no-cosine --concat-pool=false
  -h, --help               this text
`;
}

function fail(message: string): never {
  exitWithError(message, EXIT_USAGE, "Run with --help for usage.");
}

/** The trainer's flags (the usage text documents them). */
const OPTIONS = {
  help: { type: "boolean", short: "h" },
  preset: { type: "string" },
  config: { type: "string" },
  out: { type: "string" },
  device: { type: "string" },
  data: { type: "string" },
  test: { type: "string" },
  valid: { type: "string" },
  unlabeled: { type: "string" },
  format: { type: "string" },
  "text-field": { type: "string" },
  "label-field": { type: "string" },
  "max-per-class": { type: "string" },
  "max-unlabeled": { type: "string" },
  "max-train-docs": { type: "string" },
  corpus: { type: "string" },
  "corpus-max-tokens": { type: "string" },
  from: { type: "string" },
  "lm-eval": { type: "string", multiple: true },
  direction: { type: "string" },
  seed: { type: "string" },
  "pretrain-epochs": { type: "string" },
  "finetune-epochs": { type: "string" },
  "classify-epochs": { type: "string" },
  "lm-lr": { type: "string" },
  "clf-lr": { type: "string" },
  bs: { type: "string" },
  resume: { type: "boolean" },
  "lr-find": { type: "boolean" },
  "no-pretrain": { type: "boolean" },
  "no-lm-finetune": { type: "boolean" },
  "no-baseline": { type: "boolean" },
  "no-blend": { type: "boolean" },
  "no-self-train": { type: "boolean" },
  "no-discriminative": { type: "boolean" },
  "no-gradual-unfreeze": { type: "boolean" },
  "no-cosine": { type: "boolean" },
  "concat-pool": { type: "string" },
  "pool-layers": { type: "string" },
} as const;

function parseFlags(args: string[]) {
  return parseArgs({ args, allowPositionals: true, strict: true, options: OPTIONS });
}

/** The parsed flags. */
type Flags = ReturnType<typeof parseFlags>["values"];

/** Parses the command line into a stage list and a config. */
export async function parseCommandLine(
  args: string[],
): Promise<{ stages: Stage[]; config: TrainConfig } | "help"> {
  const { values, positionals } = parseFlags(args);
  const rangeTest = positionals[0] === "lr-find";
  if (rangeTest) positionals.shift();
  if (rangeTest && values.help) {
    console.log(usage("lr-find"));
    return "help";
  }
  const stageName = (positionals[0] ?? "all") as Stage | "all";
  if (positionals.length > 1) fail(`unexpected arguments: ${positionals.slice(1).join(" ")}`);
  if (rangeTest && !RANGE_TEST_STAGES.includes(stageName as RangeTestStage)) {
    fail(
      `Cannot run lr-find on ${positionals[0] ? `"${stageName}"` : "no stage"}: name one of ${
        RANGE_TEST_STAGES.join(", ")
      }, ` +
        "e.g. `deno task train lr-find classify`",
    );
  }
  if (stageName !== "all" && !STAGES.includes(stageName)) {
    fail(`Cannot run stage "${stageName}": use one of all, lr-find, ${STAGES.join(", ")}`);
  }
  if (values.help) {
    console.log(usage(stageName));
    return "help";
  }
  const preset = (values.preset ?? "small") as PresetName;
  if (!PRESETS.includes(preset)) {
    fail(`Cannot use preset "${preset}": use one of ${PRESETS.join(", ")}`);
  }
  let c = presetConfig(preset);
  if (values.config) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(await Deno.readTextFile(values.config));
    } catch (e) {
      fail(`Cannot read config ${values.config}: ${(e as Error).message}`);
    }
    delete json.preset;
    c = mergeConfig(c, json, values.config);
  }
  applyFlags(c, values, rangeTest);
  const problem = bowCharNgramsProblem(c.bowCharNgrams, c.bowCharFeatures);
  if (problem) fail(problem);
  if (stageName === "finetune-lm") await shippedForStage2(c);
  if (stageName !== "all") return { stages: [stageName], config: c };
  return { stages: await withShippedLms(c), config: c };
}

/** Sets what the flags say over the preset and config file's settings. */
function applyFlags(c: TrainConfig, values: Flags, rangeTest: boolean): void {
  const num = (name: string, v: string | undefined, integer = true): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < 0) {
      fail(
        `Cannot use --${name} ${v}: expected a ${
          integer ? "non-negative integer" : "non-negative number"
        }`,
      );
    }
    return n;
  };
  const set = <T>(v: T | undefined, apply: (v: T) => void) => v !== undefined && apply(v);
  set(values.out, (v) => c.out = v);
  set(values.device, (v) => c.device = v);
  set(values.data, (v) => c.data = v);
  set(values.test, (v) => c.test = v);
  set(values.valid, (v) => c.valid = v);
  set(values.unlabeled, (v) => c.unlabeled = v);
  set(values.format, (v) => c.format = v);
  set(values["text-field"], (v) => c.textField = v);
  set(values["label-field"], (v) => c.labelField = v);
  set(values.corpus, (v) => c.corpus = v);
  set(values.from, (v) => c.from = v);
  set(values["lm-eval"], (v) => c.lmEval = v);
  set(num("corpus-max-tokens", values["corpus-max-tokens"]), (v) => c.corpusMaxTokens = v);
  set(num("seed", values.seed), (v) => c.seed = v);
  set(num("max-per-class", values["max-per-class"]), (v) => c.maxPerClass = v);
  set(num("max-unlabeled", values["max-unlabeled"]), (v) => c.maxUnlabeled = v);
  set(num("max-train-docs", values["max-train-docs"]), (v) => c.classify.maxTrainDocs = v);
  set(num("pretrain-epochs", values["pretrain-epochs"]), (v) => c.pretrain.epochs = v);
  set(num("finetune-epochs", values["finetune-epochs"]), (v) => c.finetune.epochs = v);
  set(num("classify-epochs", values["classify-epochs"]), (v) => c.classify.epochs = v);
  set(num("lm-lr", values["lm-lr"], false), (v) => (c.pretrain.lr = v, c.finetune.lr = v));
  set(num("clf-lr", values["clf-lr"], false), (v) => c.classify.lr = v);
  set(num("bs", values.bs), (v) => (c.pretrain.bs = v, c.finetune.bs = v, c.classify.bs = v));
  if (values.direction) {
    const d = values.direction;
    if (d === "both") c.directions = ["fwd", "bwd"];
    else if (d === "fwd" || d === "bwd") c.directions = [d];
    else fail(`Cannot use --direction ${d}: use fwd, bwd or both`);
  }
  if (values.resume) c.resume = true;
  if (values["lr-find"] || rangeTest) c.lrFind = true;
  if (values["no-pretrain"]) c.noPretrain = true;
  if (values["no-lm-finetune"]) c.noLmFinetune = true;
  if (values["no-baseline"]) c.baseline = false;
  if (values["no-blend"]) c.blend = false;
  if (values["no-self-train"]) c.selfTrain = false;
  if (values["no-discriminative"]) c.finetune.discriminative = c.classify.discriminative = false;
  if (values["no-gradual-unfreeze"]) {
    c.finetune.gradualUnfreeze = c.classify.gradualUnfreeze = false;
  }
  if (values["no-cosine"]) c.finetune.cosine = c.classify.cosine = false;
  if (values["concat-pool"] !== undefined) {
    if (!["true", "false"].includes(values["concat-pool"])) {
      fail("Cannot use --concat-pool: use true or false");
    }
    c.classify.concatPool = values["concat-pool"] === "true";
  }
  const poolLayers = values["pool-layers"];
  if (poolLayers !== undefined) {
    if (!(POOL_LAYERS as readonly string[]).includes(poolLayers)) {
      fail(`Cannot use --pool-layers ${poolLayers}: use ${POOL_LAYERS.join(" or ")}`);
    }
    c.classify.poolLayers = poolLayers as PoolLayers;
  }
}

/**
 * `train finetune-lm` alone starts from OUT/pretrain-* when a stage 1 left them there, else from
 * the shipped LMs (as a whole run does).
 */
async function shippedForStage2(c: TrainConfig): Promise<void> {
  if (!c.pretrained || c.from || c.noPretrain) return;
  const ownStage1 = (await missingLms(c.out, c.directions)).length < c.directions.length;
  if (!ownStage1 && !(await missingLms(c.pretrained, c.directions)).length) c.from = c.pretrained;
}

/** The directions whose `pretrain-<direction>` LM folder `root` lacks. */
async function missingLms(root: string, directions: readonly string[]): Promise<string[]> {
  const missing = [];
  for (const d of directions) {
    if (!await exists(`${root}/pretrain-${d}/config.json`)) missing.push(d);
  }
  return missing;
}

/**
 * The stages of a whole run. Stage 1 is skipped in favour of the shipped pretrained LMs unless
 * the run brings its own (`--from`), pretrains on a corpus it names (`--corpus`), trains from
 * scratch (`--no-pretrain`) or the preset ships none; then `c.from` points at them.
 */
export async function withShippedLms(c: TrainConfig): Promise<Stage[]> {
  if (!c.pretrained || c.from || c.corpus || c.noPretrain) return [...STAGES];
  const missing = await missingLms(c.pretrained, c.directions);
  if (missing.length) {
    console.error(
      `note: the shipped pretrained LM (${missing.join(", ")}) is missing from ${c.pretrained}; ` +
        "stage 1 pretrains on the default corpus instead",
    );
    return [...STAGES];
  }
  c.from = c.pretrained;
  return STAGES.filter((s) => s !== "pretrain");
}

if (import.meta.main) {
  let parsed;
  try {
    parsed = await parseCommandLine(Deno.args);
  } catch (e) {
    fail((e as Error).message);
  }
  if (parsed !== "help") {
    try {
      // A config with lrFind set (`lr-find STAGE`, or `--lr-find`) runs the range test.
      const r = await runTraining(parsed.config, parsed.stages);
      if (r.stopped) {
        console.error(
          `Interrupted; checkpoint saved in ${r.stopped}. Rerun the same command with --resume to continue.`,
        );
        Deno.exit(130);
      }
      if (r.lrFind) printRangeTests(r.lrFind);
      else printResult(r);
    } catch (e) {
      console.error(`error: ${(e as Error).message}`);
      Deno.exit(1);
    }
  }
}
