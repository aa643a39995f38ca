// fitlam's WebAssembly SIMD kernels: a row-major matrix product and the
// LSTM layer's time loop (forward and backward), run by one or more threads
// on a shared memory that fitlam owns (lstm_wasm.ts copies tensors in and
// out). Thread 0 is the caller; the others sit in worker_loop in Workers.
//
// Rules: no static data (no data segment) and no use of the shadow stack
// (every array lives in registers or in memory the caller passed), so the
// threads need no stacks of their own. build.sh checks both.
#include <wasm_simd128.h>

typedef v128_t f4;

#define SPLAT(x) wasm_f32x4_splat(x)
#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store(p, v)
#define ADD(a, b) wasm_f32x4_add(a, b)
#define SUB(a, b) wasm_f32x4_sub(a, b)
#define MUL(a, b) wasm_f32x4_mul(a, b)
#define MADD(c, a, b) c = ADD(c, MUL(a, b))
// a·b + c in one instruction: relaxed SIMD's f32x4.relaxed_madd (fused on
// x86-64 with FMA3).
#define FMA(a, b, c) __builtin_wasm_relaxed_madd_f32x4(a, b, c)
#define FMADD(c, a, b) c = FMA(a, b, c)
// Each task a function of its own: V8 optimizes a wasm function once it is
// hot, and with every task inlined into dispatch an int8-only server compiled
// all of them (~19 MB of resident memory at the peak for the small preset).
#define TASK_FN __attribute__((noinline)) static void

// ---------------------------------------------------------------------------
// Elementwise functions, 4 lanes at a time.
// ---------------------------------------------------------------------------

// exp(x): x = n ln2 + r with |r| <= ln2/2, exp(r) by its degree-6 Taylor
// polynomial (error below 2e-7 relative), 2^n built in the exponent bits.
static inline f4 vexp(f4 x) {
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, SPLAT(-87.0f)), SPLAT(88.0f));
  f4 n = wasm_f32x4_nearest(MUL(x, SPLAT(1.44269504088896341f)));
  f4 r = FMA(n, SPLAT(-0.693359375f), x);
  r = FMA(n, SPLAT(2.12194440e-4f), r);
  f4 p = SPLAT(1.0f / 720.0f);
  p = FMA(p, r, SPLAT(1.0f / 120.0f));
  p = FMA(p, r, SPLAT(1.0f / 24.0f));
  p = FMA(p, r, SPLAT(1.0f / 6.0f));
  p = FMA(p, r, SPLAT(0.5f));
  p = FMA(p, r, SPLAT(1.0f));
  p = FMA(p, r, SPLAT(1.0f));
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_relaxed_trunc_f32x4(n), wasm_i32x4_splat(127)), 23);
  return MUL(p, e);
}

// log(x) for x > 0 (finite): x = m·2^e with m in [√½, √2), then
// log(m) = 2·atanh(s), s = (m-1)/(m+1), by its odd series to s^11.
static float slog(float x) {
  union { float f; int i; } u = {x};
  int e = ((u.i >> 23) & 0xff) - 127;
  u.i = (u.i & 0x007fffff) | 0x3f800000;  // m in [1, 2)
  float m = u.f;
  if (m > 1.41421356f) m *= 0.5f, e += 1;
  float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
  float p = 1.0f / 11.0f;
  p = p * s2 + 1.0f / 9.0f;
  p = p * s2 + 1.0f / 7.0f;
  p = p * s2 + 1.0f / 5.0f;
  p = p * s2 + 1.0f / 3.0f;
  p = p * s2 + 1.0f;
  return 2.0f * s * p + (float)e * 0.693147180559945f;
}

static inline f4 vsigmoid(f4 x) {
  return wasm_f32x4_div(SPLAT(1.0f), ADD(SPLAT(1.0f), vexp(wasm_f32x4_neg(x))));
}

// tanh(x) = 1 - 2/(1 + e^{2x}): absolute error ~1e-7 (relative error grows
// near 0, where the values are small; the old odd-polynomial branch for
// |x| < 1/16 cost 17 more operations per call, ~3% of batch-32 inference).
static inline f4 vtanh(f4 x) {
  f4 e = vexp(ADD(x, x));
  return SUB(SPLAT(1.0f), wasm_f32x4_div(SPLAT(2.0f), ADD(SPLAT(1.0f), e)));
}

// ---------------------------------------------------------------------------
// C[M,N] (+)= op(A) · B, row-major. A's element (row r, inner k) sits at
// A[r*sr + k*sk]: sr = lda, sk = 1 for A as stored; sr = 1, sk = lda for Aᵀ.
// Column panels of 8 outer (a panel of B stays in cache for all rows),
// blocks of 4, 2 or 1 rows inner, 2 vectors wide (8 accumulators: more
// spill V8's registers and measured slower; so did 5- and 6-row blocks); a
// scalar loop for N % 8. Fused multiply-adds, k loop not unrolled: V8 keeps
// the block in 14 registers with no spills (unrolled twice it spilled and
// ran 1.6× slower; with separate multiply and add, unrolling twice was
// best). `bias`, where given, starts each row's accumulators (acc ignored).
// ---------------------------------------------------------------------------

#define PANEL(MR)                                                              \
  static void panel##MR(int K, const float* A, int sr, int sk, const float* B, \
                        int ldb, float* C, int ldc, int acc, const float* bias) {     \
    f4 c0[MR], c1[MR];                                                         \
    _Pragma("unroll") for (int r = 0; r < MR; r++) {                           \
      c0[r] = bias ? LD(bias) : acc ? LD(C + r * ldc) : SPLAT(0.0f);           \
      c1[r] = bias ? LD(bias + 4) : acc ? LD(C + r * ldc + 4) : SPLAT(0.0f);   \
    }                                                                          \
    _Pragma("clang loop unroll_count(1)") for (int k = 0; k < K; k++) {       \
      f4 b0 = LD(B + k * ldb), b1 = LD(B + k * ldb + 4);                       \
      const float* a = A + k * sk;                                             \
      _Pragma("unroll") for (int r = 0; r < MR; r++) {                         \
        f4 av = SPLAT(a[r * sr]);                                              \
        FMADD(c0[r], av, b0);                                                  \
        FMADD(c1[r], av, b1);                                                  \
      }                                                                        \
    }                                                                          \
    _Pragma("unroll") for (int r = 0; r < MR; r++) {                           \
      ST(C + r * ldc, c0[r]);                                                  \
      ST(C + r * ldc + 4, c1[r]);                                              \
    }                                                                          \
  }

PANEL(4)
PANEL(2)
PANEL(1)

// Aᵀ (sk != 1) with a long inner dimension, as in the weight gradients
// dz[T·B, G]ᵀ · x, goes in slices of GEMM_KC: a slice's columns of Aᵀ (rows
// of dz, lda floats apart) stay in L1/L2 while every panel of B passes over
// them; unsliced, each panel streamed all of dz from memory at a 4 KB stride.
// So does A as stored with a very long inner dimension (the decoder's
// P[64, V] · W, paper's dz[t] · W_hh), whose panels of B (K·8 floats) would
// not stay in L2. The same sums in the same order (a slice adds to C where
// the last ended). Measured on an Intel Xeon: LSTM backward 1.8× faster (128
// beat 64, 192, 256); slicing A as stored at 1,024 (small's W_hh) was slower.
#define GEMM_KC 128
#define GEMM_KC_LONG 2048

// With `pack` (room for K·8 floats) and more than 4 rows, each 8-column
// panel of B is first copied into `pack` contiguously: B's rows are often
// 4 KB apart (G = 1024), and such strides map every row to the same few L1
// sets; packed, the panel streams from L1 (measured +25-30%).
static void gemm_s(int M, int N, int K, const float* A, int sr, int sk, const float* B, int ldb,
                   float* C, int ldc, int acc, float* pack) {
  if (K > GEMM_KC && (sk != 1 || K > GEMM_KC_LONG)) {
    for (int k0 = 0; k0 < K; k0 += GEMM_KC) {
      int kc = K - k0 < GEMM_KC ? K - k0 : GEMM_KC;
      gemm_s(M, N, kc, A + k0 * sk, sr, sk, B + k0 * ldb, ldb, C, ldc, acc || k0 > 0, pack);
    }
    return;
  }
  int j = 0;
  for (; j + 8 <= N; j += 8) {
    const float* Bp = B + j;
    int lb = ldb;
    if (pack && M > 4) {
      for (int k = 0; k < K; k++) {
        ST(pack + 8 * k, LD(B + k * ldb + j));
        ST(pack + 8 * k + 4, LD(B + k * ldb + j + 4));
      }
      Bp = pack, lb = 8;
    }
    int i = 0;
    for (; i + 4 <= M; i += 4) panel4(K, A + i * sr, sr, sk, Bp, lb, C + i * ldc + j, ldc, acc, 0);
    for (; i + 2 <= M; i += 2) panel2(K, A + i * sr, sr, sk, Bp, lb, C + i * ldc + j, ldc, acc, 0);
    for (; i < M; i++) panel1(K, A + i * sr, sr, sk, Bp, lb, C + i * ldc + j, ldc, acc, 0);
  }
  for (; j < N; j++) {
    for (int i = 0; i < M; i++) {
      float s = acc ? C[i * ldc + j] : 0.0f;
      for (int k = 0; k < K; k++) s += A[i * sr + k * sk] * B[k * ldb + j];
      C[i * ldc + j] = s;
    }
  }
}

// Weights packed once per call: `n` rows of W [., K] (starting at W) become
// the columns of Wᵀ in panels of 8, each panel contiguous (K·8 floats,
// P[p·8K + 8k + c] = W[(8p + c)·K + k]; rows past n are zeros). A product
// then streams each panel in order from L1 instead of reading Wᵀ's rows,
// which sit 4 KB apart and share L1 sets, and never packs again per step.
static void pack_rows(int n, int K, const float* W, float* P) {
  const int K4 = K & ~3;
  for (int p = 0; p * 8 < n; p++) {
    float* dst = P + p * 8 * K;
    int rows = n - 8 * p < 8 ? n - 8 * p : 8;
    if (rows == 8) {
      const float* w = W + 8 * p * K;
      for (int k = 0; k < K4; k += 4) {
        _Pragma("unroll") for (int h = 0; h < 2; h++) {
          const float* wh = w + 4 * h * K + k;
          f4 r0 = LD(wh), r1 = LD(wh + K), r2 = LD(wh + 2 * K), r3 = LD(wh + 3 * K);
          f4 t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
          f4 t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
          float* d = dst + 8 * k + 4 * h;
          ST(d, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
          ST(d + 8, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
          ST(d + 16, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
          ST(d + 24, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
        }
      }
      for (int k = K4; k < K; k++) {
        for (int c = 0; c < 8; c++) dst[8 * k + c] = w[c * K + k];
      }
    } else {
      for (int k = 0; k < K; k++) {
        for (int c = 0; c < 8; c++) dst[8 * k + c] = c < rows ? W[(8 * p + c) * K + k] : 0.0f;
      }
    }
  }
}

// C[M, n] (+)= A[M,K] · (the n packed columns P, see pack_rows); A's rows
// lda apart. Rows in blocks that keep A's block in L2 (~256 KB), panels
// within a block, register blocks of 4, 2, 1 rows; the last panel's columns
// past n are computed by a scalar loop. With `bias` (n floats, rounded up to
// a multiple of 8 and readable there), every row starts from it instead of
// zero or C.
static void gemm_p(int M, int n, int K, const float* A, int lda, const float* P, float* C,
                   int ldc, int acc, const float* bias) {
  int mb = (65536 / (K > 0 ? K : 1)) & ~3;
  if (mb < 4) mb = 4;
  const int full = n / 8;
  for (int i0 = 0; i0 < M; i0 += mb) {
    int i1 = i0 + mb < M ? i0 + mb : M;
    for (int p = 0; p < full; p++) {
      const float* Bp = P + p * 8 * K;
      float* Cp = C + 8 * p;
      int i = i0;
      const float* bp = bias ? bias + 8 * p : 0;
      for (; i + 4 <= i1; i += 4) panel4(K, A + i * lda, lda, 1, Bp, 8, Cp + i * ldc, ldc, acc, bp);
      for (; i + 2 <= i1; i += 2) panel2(K, A + i * lda, lda, 1, Bp, 8, Cp + i * ldc, ldc, acc, bp);
      for (; i < i1; i++) panel1(K, A + i * lda, lda, 1, Bp, 8, Cp + i * ldc, ldc, acc, bp);
    }
  }
  if (n > 8 * full) {
    const float* Bp = P + full * 8 * K;
    for (int i = 0; i < M; i++) {
      for (int c = 0; c < n - 8 * full; c++) {
        float s = bias ? bias[8 * full + c] : acc ? C[i * ldc + 8 * full + c] : 0.0f;
        for (int k = 0; k < K; k++) s += A[i * lda + k] * Bp[8 * k + c];
        C[i * ldc + 8 * full + c] = s;
      }
    }
  }
}

// Σ a[k]·b[k], 16 lanes at a time: the matrix-vector product of one-row
// batches streams W's rows in order instead of 8-column panels.
static float dot(const float* a, const float* b, int n) {
  f4 s0 = SPLAT(0.0f), s1 = s0, s2 = s0, s3 = s0;
  int k = 0;
  for (; k + 16 <= n; k += 16) {
    FMADD(s0, LD(a + k), LD(b + k));
    FMADD(s1, LD(a + k + 4), LD(b + k + 4));
    FMADD(s2, LD(a + k + 8), LD(b + k + 8));
    FMADD(s3, LD(a + k + 12), LD(b + k + 12));
  }
  for (; k + 4 <= n; k += 4) FMADD(s0, LD(a + k), LD(b + k));
  f4 s = ADD(ADD(s0, s1), ADD(s2, s3));
  float r = wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) +
            wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3);
  for (; k < n; k++) r += a[k] * b[k];
  return r;
}

static void copy(float* dst, const float* src, int n) {
  int q = 0;
  for (; q + 4 <= n; q += 4) ST(dst + q, LD(src + q));
  for (; q < n; q++) dst[q] = src[q];
}

// ---------------------------------------------------------------------------
// Threads: a control block in shared memory, a barrier, work splitting.
// ---------------------------------------------------------------------------

enum { TASK_LSTM_FORWARD = 1, TASK_LSTM_BACKWARD = 2, TASK_MATMUL = 3, TASK_XENT_FORWARD = 4, TASK_XENT_TRAIN = 5, TASK_LSTM_FORWARD_Q8 = 6 };

typedef struct {
  volatile int gen;       // bumped by thread 0 to start a task
  volatile int task;      // what to run
  volatile int nthreads;  // threads taking part in this task
  volatile int quit;      // set to stop the workers
  volatile int bcount;    // barrier arrivals
  volatile int bgen;      // barrier generation
  volatile int ready;     // workers waiting in worker_loop
  volatile int blas;      // nonzero: large products go to the host's sgemm (see mm)
  int args[32];           // the task's arguments (ints and byte offsets); [30], [31]: packing
} Ctl;

#define SEQ __ATOMIC_SEQ_CST

static void barrier(Ctl* c) {
  if (c->nthreads <= 1) return;
  int g = __atomic_load_n(&c->bgen, SEQ);
  if (__atomic_fetch_add(&c->bcount, 1, SEQ) == c->nthreads - 1) {
    __atomic_store_n(&c->bcount, 0, SEQ);
    __atomic_store_n(&c->bgen, g + 1, SEQ);
    __builtin_wasm_memory_atomic_notify((int*)&c->bgen, 0x7fffffff);
    return;
  }
  int spins = 0;
  while (__atomic_load_n(&c->bgen, SEQ) == g) {
    if (++spins > 4000) __builtin_wasm_memory_atomic_wait32((int*)&c->bgen, g, 200000LL);
  }
}

// This thread's share [lo, hi) of n items, cut at multiples of `align`.
static void share(int n, int tid, int nt, int align, int* lo, int* hi) {
  int per = (n + nt - 1) / nt;
  per = (per + align - 1) / align * align;
  int a = tid * per, b = a + per;
  *lo = a < n ? a : n;
  *hi = b < n ? b : n;
}

// ---------------------------------------------------------------------------
// The host's BLAS (optional). Where the pool loaded one (blas.ts), c->blas is
// set and the large products go to its sgemm, which uses the CPU's whole
// vector width (AVX2, AVX-512) where wasm SIMD has four lanes: C[M,N] =
// op(A)·op(B) + beta·C, row-major, op transposing where ta/tb. Pointers are
// offsets in this memory; the import adds the memory's address.
// ---------------------------------------------------------------------------
__attribute__((import_module("env"), import_name("sgemm")))
void host_sgemm(int ta, int tb, int M, int N, int K, const float* A, int lda, const float* B,
                int ldb, float beta, float* C, int ldc);

// Below this many multiply-adds a product stays here: a call out costs ~1 µs.
#define BLAS_MIN_WORK 16384

// C (+)= A·B as gemm_s; through the host's sgemm where c->blas and A is
// stored as rows (sk = 1) or as columns (sr = 1).
static void mm(Ctl* c, int M, int N, int K, const float* A, int sr, int sk, const float* B,
               int ldb, float* C, int ldc, int acc, float* pack) {
  if (c->blas && (long long)M * N * K >= BLAS_MIN_WORK && (sk == 1 || sr == 1)) {
    host_sgemm(sk != 1, 0, M, N, K, A, sk == 1 ? sr : sk, B, ldb, acc ? 1.0f : 0.0f, C, ldc);
  } else {
    gemm_s(M, N, K, A, sr, sk, B, ldb, C, ldc, acc, pack);
  }
}

// The host's C[M,n] (+)= A[M,K]·W[n,K]ᵀ (what gemm_p computes from W packed),
// every row starting from `bias` where given.
static void mm_wt(int M, int n, int K, const float* A, int lda, const float* W, float* C, int ldc,
                  int acc, const float* bias) {
  if (bias) {
    for (int i = 0; i < M; i++) copy(C + i * ldc, bias, n);
  }
  host_sgemm(0, 1, M, n, K, A, lda, W, K, acc || bias ? 1.0f : 0.0f, C, ldc);
}

// Columns [j0, j1) of C (+)= A · B (A as stored or transposed, as gemm_s).
static void gemm_cols(Ctl* c, int M, int j0, int j1, int K, const float* A, int sr, int sk,
                      const float* B, int ldb, float* C, int ldc, int acc, float* pack) {
  if (j1 > j0) mm(c, M, j1 - j0, K, A, sr, sk, B + j0, ldb, C + j0, ldc, acc, pack);
}

// This thread's panel-packing buffer (args[30]: its base, args[31]: floats per thread).
static float* pack_of(Ctl* c, int tid) {
  return c->args[30] ? (float*)c->args[30] + tid * c->args[31] : 0;
}

// ---------------------------------------------------------------------------
// LSTM layer, gates i, f, g, o (PyTorch order); G = 4H.
// ---------------------------------------------------------------------------

// One forward step's cell update on one row's 4 lanes at k (or fewer, via
// the caller's scalar tail).
static inline void cell_fwd(float* z, int H, const float* cprev, float* c, float* h, int k) {
  f4 i = vsigmoid(LD(z + k)), f = vsigmoid(LD(z + H + k));
  f4 g = vtanh(LD(z + 2 * H + k)), o = vsigmoid(LD(z + 3 * H + k));
  f4 cn = ADD(MUL(f, LD(cprev + k)), MUL(i, g));
  ST(z + k, i), ST(z + H + k, f), ST(z + 2 * H + k, g), ST(z + 3 * H + k, o);
  ST(c + k, cn);
  ST(h + k, MUL(o, vtanh(cn)));
}

static inline float lane0(f4 v) { return wasm_f32x4_extract_lane(v, 0); }

static void cell_fwd_scalar(float* z, int H, const float* cprev, float* c, float* h, int k) {
  float i = lane0(vsigmoid(SPLAT(z[k]))), f = lane0(vsigmoid(SPLAT(z[H + k])));
  float g = lane0(vtanh(SPLAT(z[2 * H + k]))), o = lane0(vsigmoid(SPLAT(z[3 * H + k])));
  float cn = f * cprev[k] + i * g;
  z[k] = i, z[H + k] = f, z[2 * H + k] = g, z[3 * H + k] = o;
  c[k] = cn;
  h[k] = o * lane0(vtanh(SPLAT(cn)));
}

// The time loops split the batch rows among the threads (no barrier inside
// the loop: rows are independent) when every thread gets 4 rows or more and
// W_hh is small enough (4 MB) for each thread to read all of it every step;
// otherwise they split the hidden units (one barrier a step).
static int by_rows(int nt, int B, int H) {
  return nt > 1 && B >= 4 * nt && 4 * H * H <= (1 << 20);
}

// x [T,B,nIn], wIh [G,nIn], wHh [G,H], bIh/bHh [G], h0/c0 [B,H]. Writes the
// activated gates [T,B,G], hidden states ys [T,B,H], cells cs [T,B,H] and
// the last state hT, cT [B,H]. scratch holds 4·H8·(nIn + H + 1) floats (H8:
// H rounded up to 8): the weights packed (pack_rows) once per call, each
// thread packing the columns it computes, and bIh + bHh (the projection's
// starting value: no separate pass over the gates adds the biases). Each thread owns a range of
// hidden units (all four gates of them; one barrier a step) or, with
// by_rows, a range of batch rows.
TASK_FN lstm_forward(Ctl* c, int tid, int nt, int T, int B, int nIn, int H, const float* x,
                         const float* wIh, const float* wHh, const float* bIh, const float* bHh,
                         const float* h0, const float* c0, float* scratch, float* gates,
                         float* ys, float* cs, float* hT, float* cT) {
  const int G = 4 * H, H8 = (H + 7) & ~7;
  float* wIhP = scratch;                // [G rounded up to 8 columns] x nIn, packed
  float* wHhP = scratch + 4 * H8 * nIn;  // by_rows: all G columns; else 4 gate segments
  float* bias = wHhP + 4 * H8 * H;       // bIh + bHh, G rounded up to 8
  const int rows = by_rows(nt, B, H);
  int j0, j1, k0, k1;
  // The input projection of all steps at once (this thread's columns), starting from both biases.
  share(G, tid, nt, 8, &j0, &j1);
  if (j1 > j0) {
    for (int q = j0; q < j0 + ((j1 - j0 + 7) & ~7); q++) bias[q] = q < j1 ? bIh[q] + bHh[q] : 0.0f;
    if (c->blas) {
      mm_wt(T * B, j1 - j0, nIn, x, nIn, wIh + j0 * nIn, gates + j0, G, 0, bias + j0);
    } else {
      pack_rows(j1 - j0, nIn, wIh + j0 * nIn, wIhP + j0 * nIn);
      gemm_p(T * B, j1 - j0, nIn, x, nIn, wIhP + j0 * nIn, gates + j0, G, 0, bias + j0);
    }
  }
  share(H, tid, nt, 8, &k0, &k1);
  if (c->blas) {
    // the host reads wHh as stored
  } else if (rows) {
    if (j1 > j0) pack_rows(j1 - j0, H, wHh + j0 * H, wHhP + j0 * H);  // every thread reads all
  } else if (B > 2 && k1 > k0) {  // the B <= 2 path reads wHh as stored
    for (int gate = 0; gate < 4; gate++) {
      pack_rows(k1 - k0, H, wHh + (gate * H + k0) * H, wHhP + (gate * H8 + k0) * H);
    }
  }
  barrier(c);  // the time loop reads columns the other threads projected
  if (rows) {
    // Each thread runs its own batch rows through all steps: no barriers.
    int b0, b1;
    share(B, tid, nt, 1, &b0, &b1);
    const int H4 = H & ~3;
    for (int t = 0; t < T && b1 > b0; t++) {
      float* z = gates + t * B * G;
      const float* hp = t ? ys + (t - 1) * B * H : h0;
      const float* cp = t ? cs + (t - 1) * B * H : c0;
      if (c->blas) mm_wt(b1 - b0, G, H, hp + b0 * H, H, wHh, z + b0 * G, G, 1, 0);
      else gemm_p(b1 - b0, G, H, hp + b0 * H, H, wHhP, z + b0 * G, G, 1, 0);
      for (int b = b0; b < b1; b++) {
        float* zb = z + b * G;
        const float* cpb = cp + b * H;
        float* cb = cs + (t * B + b) * H;
        float* hb = ys + (t * B + b) * H;
        for (int k = 0; k < H4; k += 4) cell_fwd(zb, H, cpb, cb, hb, k);
        for (int k = H4; k < H; k++) cell_fwd_scalar(zb, H, cpb, cb, hb, k);
      }
    }
    if (b1 > b0) {
      copy(hT + b0 * H, ys + ((T - 1) * B + b0) * H, (b1 - b0) * H);
      copy(cT + b0 * H, cs + ((T - 1) * B + b0) * H, (b1 - b0) * H);
    }
    return;
  }
  const int k4 = k0 + ((k1 - k0) & ~3);
  for (int t = 0; t < T; t++) {
    float* z = gates + t * B * G;
    const float* hp = t ? ys + (t - 1) * B * H : h0;
    const float* cp = t ? cs + (t - 1) * B * H : c0;
    if (B <= 2) {  // a matrix-vector product: bound by reading W_hh, row by row
      for (int gate = 0; gate < 4; gate++) {
        for (int g = gate * H + k0; g < gate * H + k1; g++) {
          for (int b = 0; b < B; b++) z[b * G + g] += dot(wHh + g * H, hp + b * H, H);
        }
      }
    } else if (k1 > k0) {
      for (int gate = 0; gate < 4; gate++) {
        if (c->blas) {
          mm_wt(B, k1 - k0, H, hp, H, wHh + (gate * H + k0) * H, z + gate * H + k0, G, 1, 0);
        } else {
          gemm_p(B, k1 - k0, H, hp, H, wHhP + (gate * H8 + k0) * H, z + gate * H + k0, G, 1, 0);
        }
      }
    }
    for (int b = 0; b < B; b++) {
      float* zb = z + b * G;
      const float* cpb = cp + b * H;
      float* cb = cs + (t * B + b) * H;
      float* hb = ys + (t * B + b) * H;
      for (int k = k0; k < k4; k += 4) cell_fwd(zb, H, cpb, cb, hb, k);
      for (int k = k4; k < k1; k++) cell_fwd_scalar(zb, H, cpb, cb, hb, k);
    }
    barrier(c);
  }
  if (tid == 0) {
    copy(hT, ys + (T - 1) * B * H, B * H);
    copy(cT, cs + (T - 1) * B * H, B * H);
  }
}

static inline void cell_bwd(const float* gz, float* d, int H, const float* c, const float* cprev,
                            const float* dy, float* dh, float* dc, int k) {
  f4 i = LD(gz + k), f = LD(gz + H + k), g = LD(gz + 2 * H + k), o = LD(gz + 3 * H + k);
  f4 one = SPLAT(1.0f);
  f4 dht = ADD(LD(dh + k), LD(dy + k));
  f4 tc = vtanh(LD(c + k));
  f4 dct = ADD(LD(dc + k), MUL(MUL(dht, o), SUB(one, MUL(tc, tc))));
  ST(d + k, MUL(MUL(dct, g), MUL(i, SUB(one, i))));
  ST(d + H + k, MUL(MUL(dct, LD(cprev + k)), MUL(f, SUB(one, f))));
  ST(d + 2 * H + k, MUL(MUL(dct, i), SUB(one, MUL(g, g))));
  ST(d + 3 * H + k, MUL(MUL(dht, tc), MUL(o, SUB(one, o))));
  ST(dc + k, MUL(dct, f));
}

static void cell_bwd_scalar(const float* gz, float* d, int H, const float* c, const float* cprev,
                            const float* dy, float* dh, float* dc, int k) {
  float i = gz[k], f = gz[H + k], g = gz[2 * H + k], o = gz[3 * H + k];
  float dht = dh[k] + dy[k];
  float tc = lane0(vtanh(SPLAT(c[k])));
  float dct = dc[k] + dht * o * (1.0f - tc * tc);
  d[k] = dct * g * i * (1.0f - i);
  d[H + k] = dct * cprev[k] * f * (1.0f - f);
  d[2 * H + k] = dct * i * (1.0f - g * g);
  d[3 * H + k] = dht * tc * o * (1.0f - o);
  dc[k] = dct * f;
}

// dy: gradient of ys [T,B,H] (the final state's gradients are ignored: the
// state is detached). x, wIh, wHh, h0, c0 as in lstm_forward; ys, gates, cs
// from it. Writes dx [T,B,nIn], dWih [G,nIn], dWhh [G,H] and dBias [G] (the
// gradient of both biases). dz [T,B,G] and dh, dc [B,H] are scratch. Each
// thread owns a range of hidden units in the time loop (one barrier a step)
// and a range of columns in the weight-gradient products.
TASK_FN lstm_backward(Ctl* c, int tid, int nt, int T, int B, int nIn, int H, const float* dy,
                          const float* x, const float* wIh, const float* wHh, const float* ys,
                          const float* gates, const float* cs, const float* h0, const float* c0,
                          float* dz, float* dh, float* dc, float* dx, float* dWih, float* dWhh,
                          float* dBias) {
  float* pk = pack_of(c, tid);
  const int G = 4 * H;
  int k0, k1, j0, j1;
  if (by_rows(nt, B, H)) {
    // Each thread runs its own batch rows back through all steps.
    int b0, b1;
    share(B, tid, nt, 1, &b0, &b1);
    const int H4 = H & ~3;
    for (int q = b0 * H; q < b1 * H; q++) dh[q] = 0.0f, dc[q] = 0.0f;
    for (int t = T - 1; t >= 0 && b1 > b0; t--) {
      const float* cp = t ? cs + (t - 1) * B * H : c0;
      for (int b = b0; b < b1; b++) {
        const float* gz = gates + (t * B + b) * G;
        float* d = dz + (t * B + b) * G;
        const float* cb = cs + (t * B + b) * H;
        const float* dyb = dy + (t * B + b) * H;
        for (int k = 0; k < H4; k += 4) cell_bwd(gz, d, H, cb, cp + b * H, dyb, dh + b * H, dc + b * H, k);
        for (int k = H4; k < H; k++) cell_bwd_scalar(gz, d, H, cb, cp + b * H, dyb, dh + b * H, dc + b * H, k);
      }
      if (t > 0) mm(c, b1 - b0, H, G, dz + (t * B + b0) * G, G, 1, wHh, H, dh + b0 * H, H, 0, pk);
    }
    barrier(c);  // the weight gradients read every row of dz
  } else {
    share(H, tid, nt, 8, &k0, &k1);
    const int k4 = k0 + ((k1 - k0) & ~3);
    for (int b = 0; b < B; b++) {
      for (int k = k0; k < k1; k++) dh[b * H + k] = 0.0f, dc[b * H + k] = 0.0f;
    }
    for (int t = T - 1; t >= 0; t--) {
      const float* cp = t ? cs + (t - 1) * B * H : c0;
      for (int b = 0; b < B; b++) {
        const float* gz = gates + (t * B + b) * G;
        float* d = dz + (t * B + b) * G;
        const float* cb = cs + (t * B + b) * H;
        const float* dyb = dy + (t * B + b) * H;
        for (int k = k0; k < k4; k += 4) cell_bwd(gz, d, H, cb, cp + b * H, dyb, dh + b * H, dc + b * H, k);
        for (int k = k4; k < k1; k++) cell_bwd_scalar(gz, d, H, cb, cp + b * H, dyb, dh + b * H, dc + b * H, k);
      }
      barrier(c);  // dz[t] complete: every unit's dh needs all of it
      if (t > 0) gemm_cols(c, B, k0, k1, G, dz + t * B * G, G, 1, wHh, H, dh, H, 0, pk);
    }
  }
  // The weight gradients as single products over the whole sequence.
  share(nIn, tid, nt, 8, &j0, &j1);
  gemm_cols(c, T * B, j0, j1, G, dz, G, 1, wIh, nIn, dx, nIn, 0, pk);
  gemm_cols(c, G, j0, j1, T * B, dz, 1, G, x, nIn, dWih, nIn, 0, pk);
  share(H, tid, nt, 8, &j0, &j1);
  gemm_cols(c, G, j0, j1, B, dz, 1, G, h0, H, dWhh, H, 0, pk);
  if (T > 1) gemm_cols(c, G, j0, j1, (T - 1) * B, dz + B * G, 1, G, ys, H, dWhh, H, 1, pk);
  share(G, tid, nt, 8, &j0, &j1);
  for (int q = j0; q < j1; q++) dBias[q] = 0.0f;
  for (int r = 0; r < T * B; r++) {
    const float* d = dz + r * G;
    for (int q = j0; q < j1; q++) dBias[q] += d[q];
  }
}

// ---------------------------------------------------------------------------
// Tied-decoder softmax cross-entropy: logits = h·Wᵀ + b, in chunks of rows
// so [N, V] never exists. Each thread takes a range of rows.
// ---------------------------------------------------------------------------

#define XENT_CHUNK 64
#define XENT_VBLOCK 256

// Logits of rows [r, r + n) into L [n, V], each row starting from the bias;
// wP is W packed by xent_pack.
static void xent_logits(Ctl* c, int n, int V, int E, const float* h, const float* w,
                        const float* wP, const float* bias, float* L) {
  if (c->blas) mm_wt(n, V, E, h, E, w, L, V, 0, bias);
  else gemm_p(n, V, E, h, E, wP, L, V, 0, bias);
}

// Packs W [V,E] into wP (pack_rows: the columns of Wᵀ in contiguous panels
// of 8; V rounded up to 8, times E floats), rows shared among the threads.
// Once per call: the logits' product then streams each panel in order, where
// packing Wᵀ's panels again for every 64-row chunk read it all at a V-float
// stride each time.
static void xent_pack(Ctl* c, int tid, int nt, int V, int E, const float* w, float* wP) {
  int r0, r1;
  share(V, tid, nt, 8, &r0, &r1);
  if (c->blas) return;  // the host reads W as stored
  if (r1 > r0) pack_rows(r1 - r0, E, w + r0 * E, wP + r0 * E);
  barrier(c);
}

// The largest of one row's V logits.
static float row_max(const float* l, int V) {
  const int V4 = V & ~3;
  f4 mv = SPLAT(-3.0e38f);
  int q = 0;
  for (; q < V4; q += 4) mv = wasm_f32x4_max(mv, LD(l + q));
  float m = lane0(mv);
  m = m > wasm_f32x4_extract_lane(mv, 1) ? m : wasm_f32x4_extract_lane(mv, 1);
  m = m > wasm_f32x4_extract_lane(mv, 2) ? m : wasm_f32x4_extract_lane(mv, 2);
  m = m > wasm_f32x4_extract_lane(mv, 3) ? m : wasm_f32x4_extract_lane(mv, 3);
  for (; q < V; q++) m = m > l[q] ? m : l[q];
  return m;
}

// Σ exp(l[q] - m) over one row; with `keep`, each exp(l[q] - m) replaces l[q].
static float row_exp_sum(float* l, int V, float m, int keep) {
  const int V4 = V & ~3;
  f4 sv = SPLAT(0.0f), mm = SPLAT(m);
  int q = 0;
  for (; q < V4; q += 4) {
    f4 e = vexp(SUB(LD(l + q), mm));
    if (keep) ST(l + q, e);
    sv = ADD(sv, e);
  }
  float sum = lane0(sv) + wasm_f32x4_extract_lane(sv, 1) + wasm_f32x4_extract_lane(sv, 2) +
              wasm_f32x4_extract_lane(sv, 3);
  for (; q < V; q++) {
    float e = lane0(vexp(SPLAT(l[q] - m)));
    if (keep) l[q] = e;
    sum += e;
  }
  return sum;
}

// partial[tid]: this thread's sum of lse - logit[target] over its rows
// (lse: the row's log-sum-exp). scratch: nt·XENT_CHUNK·V floats; wP: room for xent_pack.
TASK_FN xent_forward(Ctl* c, int tid, int nt, int N, int V, int E, const float* h,
                         const float* w, const float* bias, const int* targets, float* wP,
                         float* scratch, float* partial) {
  xent_pack(c, tid, nt, V, E, w, wP);
  float* L = scratch + tid * XENT_CHUNK * V;
  int r0, r1;
  share(N, tid, nt, 1, &r0, &r1);
  float total = 0.0f;
  for (int r = r0; r < r1; r += XENT_CHUNK) {
    int n = r1 - r < XENT_CHUNK ? r1 - r : XENT_CHUNK;
    xent_logits(c, n, V, E, h + r * E, w, wP, bias, L);
    for (int i = 0; i < n; i++) {
      float* l = L + i * V;
      float m = row_max(l, V);
      total += m + slog(row_exp_sum(l, V, m, 0)) - l[targets[r + i]];
    }
  }
  partial[tid] = total;
}

// The loss of xent_forward (partial) and the gradients of scale·Σ(lse -
// logit[target]): dh [N,E], dw [V,E], db [V], from one making of the
// logits. Each thread sums its rows' dW and db into its own buffer (thread
// 0's is dw/db itself; the others' are in acc), then the buffers are added
// up, rows shared among the threads.
TASK_FN xent_train(Ctl* c, int tid, int nt, int N, int V, int E, const float* h,
                       const float* w, const float* bias, const int* targets, float scale,
                       float* wP, float* scratch, float* acc, float* dh, float* dw, float* db,
                       float* partial) {
  float* pk = pack_of(c, tid);
  xent_pack(c, tid, nt, V, E, w, wP);
  float* L = scratch + tid * XENT_CHUNK * V;
  float* myW = tid ? acc + (tid - 1) * (V * E + V) : dw;
  float* myB = tid ? myW + V * E : db;
  for (int q = 0; q < V * E; q++) myW[q] = 0.0f;
  for (int q = 0; q < V; q++) myB[q] = 0.0f;
  int r0, r1;
  share(N, tid, nt, 1, &r0, &r1);
  const int V4 = V & ~3;
  float total = 0.0f;
  for (int r = r0; r < r1; r += XENT_CHUNK) {
    int n = r1 - r < XENT_CHUNK ? r1 - r : XENT_CHUNK;
    xent_logits(c, n, V, E, h + r * E, w, wP, bias, L);
    for (int i = 0; i < n; i++) {
      float* l = L + i * V;
      // softmax · scale from one exp a logit: exp(l - max) / Σ, its log-sum for the loss.
      float m = row_max(l, V), target = l[targets[r + i]];
      float sum = row_exp_sum(l, V, m, 1);
      total += m + slog(sum) - target;
      const float k = scale / sum;
      const f4 kv = SPLAT(k);
      int q = 0;
      for (; q < V4; q += 4) {
        f4 p = MUL(LD(l + q), kv);
        ST(l + q, p);
        ST(myB + q, ADD(LD(myB + q), p));
      }
      for (; q < V; q++) {
        float p = l[q] * k;
        l[q] = p;
        myB[q] += p;
      }
      l[targets[r + i]] -= scale;
      myB[targets[r + i]] -= scale;
    }
    mm(c, n, E, V, L, V, 1, w, E, dh + r * E, E, 0, pk);   // dh rows = P·W
    if (c->blas) {
      host_sgemm(1, 0, V, E, n, L, V, h + r * E, E, 1.0f, myW, E);  // dW += Pᵀ·h rows
      continue;
    }
    // dW += Pᵀ·h rows, in blocks of rows of dW: a block's columns of P stay in
    // cache while every panel of h passes over them.
    for (int v = 0; v < V; v += XENT_VBLOCK) {
      int m = V - v < XENT_VBLOCK ? V - v : XENT_VBLOCK;
      gemm_s(m, E, n, L + v, 1, V, h + r * E, E, myW + v * E, E, 1, pk);
    }
  }
  partial[tid] = total;
  barrier(c);
  int v0, v1;
  share(V, tid, nt, 1, &v0, &v1);
  for (int t = 1; t < nt; t++) {
    const float* oW = acc + (t - 1) * (V * E + V);
    const float* oB = oW + V * E;
    for (int q = v0 * E; q < v1 * E; q++) dw[q] += oW[q];
    for (int q = v0; q < v1; q++) db[q] += oB[q];
  }
}

#include "kernels_q8.c"

// ---------------------------------------------------------------------------
// Entry points. Arguments come in the control block: ints, and byte offsets
// of float arrays in this memory.
// ---------------------------------------------------------------------------

#define F(i) ((float*)(c->args[i]))

static void dispatch(Ctl* c, int tid) {
  const int nt = c->nthreads;
  switch (c->task) {
    case TASK_LSTM_FORWARD:
      lstm_forward(c, tid, nt, c->args[0], c->args[1], c->args[2], c->args[3], F(4), F(5), F(6),
                   F(7), F(8), F(9), F(10), F(11), F(12), F(13), F(14), F(15), F(16));
      break;
    case TASK_LSTM_BACKWARD:
      lstm_backward(c, tid, nt, c->args[0], c->args[1], c->args[2], c->args[3], F(4), F(5), F(6),
                    F(7), F(8), F(9), F(10), F(11), F(12), F(13), F(14), F(15), F(16), F(17),
                    F(18), F(19));
      break;
    case TASK_MATMUL: {  // C[M,N] (+)= A[M,K]·B[K,N], or Aᵀ·B with A [K,M] when args[3]
      int M = c->args[0], N = c->args[1], K = c->args[2], ta = c->args[3], acc = c->args[4];
      int j0, j1;
      share(N, tid, nt, 8, &j0, &j1);
      gemm_cols(c, M, j0, j1, K, F(5), ta ? 1 : K, ta ? M : 1, F(6), N, F(7), N, acc, pack_of(c, tid));
      break;
    }
    case TASK_XENT_FORWARD:
      xent_forward(c, tid, nt, c->args[0], c->args[1], c->args[2], F(3), F(4), F(5),
                   (const int*)c->args[6], F(7), F(8), F(9));
      break;
    case TASK_XENT_TRAIN: {
      union { int i; float f; } scale = {c->args[7]};
      xent_train(c, tid, nt, c->args[0], c->args[1], c->args[2], F(3), F(4), F(5),
                 (const int*)c->args[6], scale.f, F(8), F(9), F(10), F(11), F(12), F(13), F(14));
      break;
    }
    case TASK_LSTM_FORWARD_Q8:  // args[17], [18]: the weight rows' sums
      lstm_forward_q8(c, tid, nt, c->args[0], c->args[1], c->args[2], c->args[3], F(4),
                      (const i8*)c->args[5], F(6), (const int*)c->args[17], (const i8*)c->args[7],
                      F(8), (const int*)c->args[18], F(9), F(10), F(11), F(12), (void*)c->args[13],
                      F(14), F(15), F(16), F(19), F(20));
      break;
    default:
      break;
  }
}

// Thread 0: runs the task in the control block with the workers that are
// ready (c->nthreads is set by the caller), and returns when all are done.
__attribute__((export_name("run")))
void run(Ctl* c) {
  if (c->nthreads > 1) {
    __atomic_fetch_add(&c->gen, 1, SEQ);
    __builtin_wasm_memory_atomic_notify((int*)&c->gen, 0x7fffffff);
  }
  dispatch(c, 0);
  barrier(c);
}

// Threads 1..: wait for tasks until c->quit.
__attribute__((export_name("worker_loop")))
void worker_loop(Ctl* c, int tid) {
  int seen = __atomic_load_n(&c->gen, SEQ);
  __atomic_fetch_add(&c->ready, 1, SEQ);
  for (;;) {
    int spins = 0;
    while (__atomic_load_n(&c->gen, SEQ) == seen) {
      if (__atomic_load_n(&c->quit, SEQ)) return;
      if (++spins > 20000) __builtin_wasm_memory_atomic_wait32((int*)&c->gen, seen, 50000000LL);
    }
    seen = __atomic_load_n(&c->gen, SEQ);
    if (__atomic_load_n(&c->quit, SEQ)) return;
    if (tid < c->nthreads) {
      dispatch(c, tid);
      barrier(c);
    }
  }
}
