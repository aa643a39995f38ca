/**
 * `deno task compile`: builds the server as one executable that embeds the
 * trained classifier and the wasm backend's `.wasm` files, and runs with the
 * least permissions the server needs.
 *
 * ```sh
 * deno task compile                          # weights/ -> dist/fitlam-serve
 * deno task compile --weights runs/x --output /usr/local/bin/fitlam-serve
 * ```
 *
 * `deno compile` writes the program onto `denort`, Deno's runtime without
 * its tooling, which it downloads once from dl.deno.land into DENO_DIR. With
 * no internet, fetch `denort-<target>.zip` for this Deno version on a
 * connected machine, unzip it and set `DENORT_BIN=/path/to/denort`.
 *
 * @module
 */
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";

/** The project root: `deno compile` runs here, so the bundle sits at its image. */
export const ROOT = resolve(import.meta.dirname!, "..");

/**
 * The compiled server's permissions: listen on the network (the address is a
 * run-time flag), read its embedded weights and any `--weights` folder, and
 * read only the environment variables the code reads.
 */
export const RUNTIME_PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-env=FITLAM_API_KEY,XDG_RUNTIME_DIR",
];

/**
 * The run-time behaviour deno.json's `unstable` list asks for, which a bundle
 * does not carry: Request.signal aborts only when the client goes away (the
 * server cancels queued work with it), not after every answer.
 */
export const RUNTIME_UNSTABLE = ["--unstable-no-legacy-abort"];

/** tfjs-backend-wasm's binaries (plain, SIMD, threaded SIMD), relative to {@linkcode ROOT}. */
export const WASM_FILES = ["", "-simd", "-threaded-simd"].map((v) =>
  `node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm${v}.wasm`
);

/** Exit status when `denort` cannot be had (offline, nothing cached, no DENORT_BIN). */
export const EXIT_NO_DENORT = 3;

/** What to embed for a weights folder, and where the binary finds it. */
export interface EmbedPlan {
  /** Paths to `--include`, relative to {@linkcode ROOT}: the classifier folders only. */
  include: string[];
  /** The weights folder relative to {@linkcode ROOT}: the baked `--embedded-weights`. */
  embeddedWeights: string;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Picks the classifier folders of `weights` (`classifier-fwd/`,
 * `classifier-bwd/`, or the folder itself when it is one) so checkpoints and
 * language models stay out of the binary; throws when there is none.
 *
 * @example
 * ```ts ignore
 * planEmbed("weights"); // { include: ["weights/classifier-fwd"], embeddedWeights: "weights" }
 * ```
 */
export function planEmbed(weights: string): EmbedPlan {
  const abs = resolve(weights);
  const rel = (p: string) => relative(ROOT, p) || ".";
  if (isFile(join(abs, "config.json"))) return { include: [rel(abs)], embeddedWeights: rel(abs) };
  const include = ["fwd", "bwd"]
    .map((d) => join(abs, `classifier-${d}`))
    .filter((d) => isFile(join(d, "config.json")))
    .map(rel);
  if (include.length === 0) {
    throw new Error(
      `Cannot compile: ${weights} holds no classifier-fwd/ or classifier-bwd/ model; ` +
        "train one with `deno task train` or pass --weights DIR",
    );
  }
  return { include, embeddedWeights: rel(abs) };
}

/** The `deno compile` arguments for a plan, run from {@linkcode ROOT}. */
export function compileArgs(plan: EmbedPlan, output: string): string[] {
  return [
    "compile",
    // One esbuild bundle instead of the whole node_modules tree (~380 MB).
    "--bundle",
    ...RUNTIME_PERMISSIONS,
    ...RUNTIME_UNSTABLE,
    ...[...WASM_FILES, ...plan.include].flatMap((p) => ["--include", p]),
    "--output",
    output,
    "serve/main.ts",
    // Baked in: every run starts with these arguments.
    "--embedded-weights",
    plan.embeddedWeights,
  ];
}

/** True when `deno compile` failed only because it could not download denort. */
export function isDenortDownloadError(stderr: string): boolean {
  return /denort/i.test(stderr) &&
    /error sending request|dns error|Connect|timed out|Download/i.test(stderr) &&
    /Setting up base binary/i.test(stderr);
}

const HELP = `Usage: deno task compile [--weights DIR] [--output FILE]

  --weights DIR   trained weights folder to embed (default weights/); only its
                  classifier-fwd/ and classifier-bwd/ go into the binary
  --output FILE   the executable to write (default dist/fitlam-serve)

Needs denort (downloaded once by deno compile; offline: set DENORT_BIN).`;

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: Deno.args,
      options: {
        weights: { type: "string", default: "weights" },
        output: { type: "string", default: join(ROOT, "dist", "fitlam-serve") },
        help: { type: "boolean" },
      },
    }).values;
  } catch (e) {
    console.error(`Cannot compile: ${(e as Error).message}; see --help`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  let plan: EmbedPlan;
  try {
    plan = planEmbed(values.weights!);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const output = isAbsolute(values.output!) ? values.output! : resolve(values.output!);
  await Deno.mkdir(dirname(output), { recursive: true });

  const run = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(plan, output),
    cwd: ROOT,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(run.stderr);
  await Deno.stderr.write(run.stderr);
  if (!run.success) {
    if (isDenortDownloadError(stderr)) {
      console.error(
        `\nCannot compile: deno compile needs denort, Deno ${Deno.version.deno}'s runtime ` +
          `for ${Deno.build.target}, and could not download it (see above). ` +
          "Run once with internet (it is cached in DENO_DIR), or download " +
          `https://dl.deno.land/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip ` +
          "elsewhere, unzip it and set DENORT_BIN=/path/to/denort.",
      );
      return EXIT_NO_DENORT;
    }
    console.error(`Cannot compile: deno compile exited with ${run.code}; see its message above`);
    return 1;
  }

  // A base binary that is the deno CLI (DENORT_BIN=deno) ignores the embedded
  // program: catch that here instead of shipping a binary that cannot serve.
  const name = basename(output);
  const help = await new Deno.Command(output, {
    args: ["--help"],
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const printed = new TextDecoder().decode(help.stdout);
  if (!help.success || !printed.startsWith(`Usage: ${name} `)) {
    await Deno.remove(output).catch(() => {});
    console.error(
      `Cannot compile: the built ${name} does not run the server (its --help printed ` +
        `${JSON.stringify(printed.slice(0, 60))}); DENORT_BIN must name denort, not the deno CLI`,
    );
    return 1;
  }
  const mb = (Deno.statSync(output).size / 1e6).toFixed(1);
  console.log(
    `Built ${output} (${mb} MB) with ${plan.include.join(", ")} embedded.\n` +
      `Permissions: ${RUNTIME_PERMISSIONS.join(" ")}\n` +
      `Run: ${output} --port 8000   (or --weights DIR for other weights)`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main());
