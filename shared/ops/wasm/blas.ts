/**
 * The host's BLAS for the kernels' large matrix products (optional). Where
 * Deno may load native code (`--allow-ffi`) and OpenBLAS is installed
 * (Debian: `apt-get install libopenblas0`), kernels.c hands its products to
 * `cblas_sgemm`, which runs on the CPU's whole vector width (AVX2, AVX-512)
 * where WebAssembly SIMD has four lanes; everything else stays in the
 * kernels. `FITLAM_BLAS=0` keeps every product in WebAssembly;
 * `FITLAM_BLAS=/path/to/lib` names another library with `cblas_sgemm`.
 *
 * @module
 */

/** A BLAS library the kernels can use: where it was loaded from and the core it runs for. */
export interface BlasLibrary {
  /** The path given to `Deno.dlopen`. */
  path: string;
  /** OpenBLAS's name for the kernels it picked (e.g. `SkylakeX`); empty for another CBLAS. */
  core: string;
}

/** `cblas_sgemm`'s signature (pointers as addresses). */
export const SGEMM = {
  parameters: [
    "i32",
    "i32",
    "i32",
    "i32",
    "i32",
    "i32",
    "f32",
    "usize",
    "i32",
    "usize",
    "i32",
    "f32",
    "usize",
    "i32",
  ],
  result: "void",
} as const;

const OPENBLAS = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"];

/**
 * The kernels' `env.sgemm` import for a memory: row-major `cblas_sgemm` on
 * byte offsets into `memory`. It names nothing from outside but `SGEMM`:
 * the worker threads run its source text beside that constant's.
 */
export function sgemmImport(
  memory: WebAssembly.Memory,
  path: string,
): (...args: number[]) => void {
  const f = Deno.dlopen(path, { cblas_sgemm: SGEMM }).symbols.cblas_sgemm;
  let buffer: ArrayBufferLike | undefined, base = 0n;
  return (ta, tb, M, N, K, a, lda, b, ldb, beta, c, ldc) => {
    if (memory.buffer !== buffer) { // a new buffer after growing, perhaps elsewhere
      buffer = memory.buffer;
      base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(new Uint8Array(buffer))));
    }
    f(
      101,
      ta ? 112 : 111,
      tb ? 112 : 111,
      M,
      N,
      K,
      1,
      base + BigInt(a),
      lda,
      base + BigInt(b),
      ldb,
      beta,
      base + BigInt(c),
      ldc,
    );
  };
}

/**
 * The stand-in import where no BLAS was loaded (the kernels never call it then); worker threads
 * run its source text.
 */
export function noSgemm(): never {
  throw new Error("Cannot run a product on the host's BLAS: none was loaded");
}

function envGranted(name: string): boolean {
  return Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
}

/**
 * The widest x86 vector extension the CPU and OS allow, from glibc's own
 * CPUID table (`__x86_get_cpuid_feature_leaf`, glibc 2.33+; Deno lets no
 * program read /proc/cpuinfo without --allow-all); undefined elsewhere.
 */
function x86Vectors(): "avx512" | "avx2" | undefined {
  try {
    const leaf = Deno.dlopen("libc.so.6", {
      __x86_get_cpuid_feature_leaf: { parameters: ["u32"], result: "pointer" },
    }).symbols.__x86_get_cpuid_feature_leaf;
    // struct cpuid_feature { cpuid[4]; active[4] } (eax, ebx, ecx, edx); leaf 0: CPUID 1, 1: CPUID 7.
    const active = (i: number, reg: number, bit: number) => {
      const p = leaf(i);
      return p !== null &&
        ((new Deno.UnsafePointerView(p).getUint32(16 + 4 * reg) >>> bit) & 1) === 1;
    };
    const avx2 = active(1, 1, 5) && active(0, 2, 12); // AVX2, FMA
    // AVX512F, DQ, BW, VL: what OpenBLAS's SkylakeX kernels use.
    const avx512 = [16, 17, 30, 31].every((bit) => active(1, 1, bit));
    return avx512 && avx2 ? "avx512" : avx2 ? "avx2" : undefined;
  } catch {
    return undefined;
  }
}

/**
 * OpenBLAS 0.3.21 (Debian 12) runs CPUs newer than itself on its oldest
 * kernels (SSE3, "Prescott": 4–5× slower on an AVX-512 Xeon); where the user
 * set no `OPENBLAS_CORETYPE`, name the widest the CPU allows.
 */
function chooseCoreType(): void {
  if (!envGranted("OPENBLAS_CORETYPE") || Deno.env.get("OPENBLAS_CORETYPE")) return;
  const vectors = x86Vectors();
  if (vectors) Deno.env.set("OPENBLAS_CORETYPE", vectors === "avx512" ? "SkylakeX" : "Haswell");
}

/** Whether `cblas_sgemm` of `path` computes A·Bᵀ and Aᵀ·B right on small integers (exact in fp32). */
function selfCheck(path: string): boolean {
  const mem = new WebAssembly.Memory({ initial: 1 });
  const f32 = new Float32Array(mem.buffer);
  const [M, N, K] = [5, 7, 3];
  const A = 0, B = 64, C = 128; // float indices
  for (let i = 0; i < 64; i++) f32[A + i] = (i % 7) - 3, f32[B + i] = (i % 5) - 2;
  const sgemm = sgemmImport(mem, path);
  for (const [ta, tb] of [[0, 1], [1, 0]]) {
    sgemm(ta, tb, M, N, K, A * 4, ta ? M : K, B * 4, tb ? K : N, 0, C * 4, N);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          s += f32[A + (ta ? k * M + i : i * K + k)] * f32[B + (tb ? j * K + k : k * N + j)];
        }
        if (f32[C + i * N + j] !== s) return false;
      }
    }
  }
  return true;
}

function openBlasCore(path: string): string {
  try {
    const lib = Deno.dlopen(path, {
      openblas_get_corename: { parameters: [], result: "pointer" },
      openblas_set_num_threads: { parameters: ["i32"], result: "void" },
    });
    // The kernels' threads each call sgemm on their own share: one thread per call.
    lib.symbols.openblas_set_num_threads(1);
    const name = lib.symbols.openblas_get_corename();
    return name ? new Deno.UnsafePointerView(name).getCString() : "";
  } catch {
    return ""; // not OpenBLAS
  }
}

let found: BlasLibrary | null | undefined;

/** `FITLAM_BLAS` where readable and set. */
function askedBlas(): string | undefined {
  return envGranted("FITLAM_BLAS") ? Deno.env.get("FITLAM_BLAS") || undefined : undefined;
}

/** Whether this process may load a BLAS: Deno with FFI allowed, and not `FITLAM_BLAS=0`. */
function mayLoadBlas(): boolean {
  return typeof Deno?.dlopen === "function" &&
    Deno.permissions.querySync({ name: "ffi" }).state === "granted" && askedBlas() !== "0";
}

/**
 * The host's BLAS if the kernels may use it (loaded once, then remembered),
 * else `undefined`: without `--allow-ffi`, with `FITLAM_BLAS=0`, where no
 * library loads, or where one fails the self-check (said on stderr).
 */
export function findBlas(): BlasLibrary | undefined {
  if (found !== undefined) return found ?? undefined;
  found = null;
  if (!mayLoadBlas()) return undefined;
  const asked = askedBlas();
  chooseCoreType();
  for (const path of asked ? [asked] : OPENBLAS) {
    try {
      Deno.dlopen(path, { cblas_sgemm: SGEMM });
    } catch {
      continue;
    }
    const core = openBlasCore(path);
    if (!selfCheck(path)) {
      console.error(
        `fitlam: ${path} ${core} computed a wrong matrix product; the kernels keep their own (set OPENBLAS_CORETYPE or FITLAM_BLAS=0)`,
      );
      return undefined;
    }
    found = { path, core };
    return found;
  }
  if (asked) {
    console.error(`fitlam: cannot load FITLAM_BLAS=${asked}; the kernels keep their own products`);
  }
  return undefined;
}

/**
 * Where the kernels may use a BLAS (`--allow-ffi`, not `FITLAM_BLAS=0`, on
 * Linux) but found none: a note on getting one, for the run line; else "".
 */
export function blasHint(): string {
  if (Deno.build.os !== "linux" || !mayLoadBlas() || findBlas()) return "";
  return "; no OpenBLAS found (`apt-get install libopenblas0` trains faster: README, Devices)";
}

/** How the run line names a BLAS: `OpenBLAS SkylakeX (libopenblas.so.0)`, or the path of another. */
export function describeBlas(b: BlasLibrary): string {
  return b.core ? `OpenBLAS ${b.core} (${b.path})` : b.path;
}
