// The LSTM layer forward with int8 weights (one fp32 scale per output row),
// for inference. Included by kernels.c (same rules: no static data, no
// shadow stack; uses its share, barrier, cell_fwd and copy).
//
// Products are integer, 16 multiply-adds an instruction: relaxed SIMD's
// i32x4.relaxed_dot_i8x16_i7x16_add_s multiplies the int8 weights with
// activations coded in 7 bits without sign (x86 without VNNI: pmaddubsw, whose
// pairs of products stay within int16 only so). Each activation row is coded
// as round(x / s) + 64 in [1, 127], s = max|row| / 63; the offset comes back
// out as 64 · Σ_k W[g, k], each weight row's sum computed once at load. The
// matrices are never widened to fp32: at batch 1 the time loop streams a
// quarter of the bytes the fp32 kernel does. Rows of weights and of codes are
// padded to a multiple of 16 (weights with zeros, so the padding adds nothing).

typedef signed char i8;
typedef unsigned char u8;

#define CODE_ZERO 64
#define CODE_MAX 63.0f

// This row's codes q[0..nP) (CODE_ZERO past n) and its scale (0 for a zero row).
static float quant_row(const float* x, int n, int nP, u8* q) {
  f4 m = SPLAT(0.0f);
  int k = 0;
  for (; k + 4 <= n; k += 4) m = wasm_f32x4_pmax(m, wasm_f32x4_abs(LD(x + k)));
  float amax = lane0(m);
  for (int l = 1; l < 4; l++) {
    float v = l == 1 ? wasm_f32x4_extract_lane(m, 1) : l == 2 ? wasm_f32x4_extract_lane(m, 2)
                                                              : wasm_f32x4_extract_lane(m, 3);
    amax = v > amax ? v : amax;
  }
  for (; k < n; k++) amax = (x[k] > amax ? x[k] : -x[k] > amax ? -x[k] : amax);
  float inv = amax > 0.0f ? CODE_MAX / amax : 0.0f;
  f4 iv = SPLAT(inv);
  v128_t zero = wasm_i16x8_splat(CODE_ZERO);
  k = 0;
  for (; k + 16 <= n; k += 16) {
    v128_t v[4];
    _Pragma("unroll") for (int j = 0; j < 4; j++) {
      v[j] = wasm_i32x4_relaxed_trunc_f32x4(wasm_f32x4_nearest(MUL(LD(x + k + 4 * j), iv)));
    }
    v128_t lo = wasm_i16x8_add(wasm_i16x8_narrow_i32x4(v[0], v[1]), zero);
    v128_t hi = wasm_i16x8_add(wasm_i16x8_narrow_i32x4(v[2], v[3]), zero);
    ST(q + k, wasm_u8x16_narrow_i16x8(lo, hi));
  }
  for (; k < n; k++) q[k] = (u8)((int)lane0(wasm_f32x4_nearest(SPLAT(x[k] * inv))) + CODE_ZERO);
  for (; k < nP; k++) q[k] = CODE_ZERO;
  return amax > 0.0f ? amax / CODE_MAX : 0.0f;
}

#define DOT(acc, w, a) acc = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w, a, acc)

// [Σa, Σb, Σc, Σd]: four horizontal sums in one vector (a 4×4 transpose-add).
static inline v128_t hsum4(v128_t a, v128_t b, v128_t c, v128_t d) {
  v128_t ab = wasm_i32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
  v128_t cd = wasm_i32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
  return wasm_i32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

// Writes out[r·ldo] = (acc ? out[r·ldo] : bias) + sw·sa[r]·(Σc[r] − 64·rs) for the 4 rows
// r, rs the weight row's sum.
static inline void put4(float* out, int ldo, v128_t sums, int rs, float sw, const float* sa,
                        float bias, int acc) {
  sums = wasm_i32x4_sub(sums, wasm_i32x4_splat(CODE_ZERO * rs));
  f4 v = MUL(wasm_f32x4_convert_i32x4(sums), MUL(SPLAT(sw), LD(sa)));
  out[0] = (acc ? out[0] : bias) + wasm_f32x4_extract_lane(v, 0);
  out[ldo] = (acc ? out[ldo] : bias) + wasm_f32x4_extract_lane(v, 1);
  out[2 * ldo] = (acc ? out[2 * ldo] : bias) + wasm_f32x4_extract_lane(v, 2);
  out[3 * ldo] = (acc ? out[3 * ldo] : bias) + wasm_f32x4_extract_lane(v, 3);
}

// Writes rows 0, 1 of columns 0 and (if rows is 2) 1 from sums [w0·a0, w0·a1, w1·a0, w1·a1],
// as put4 does for 4 rows of one column.
static inline void put2x2(float* out, int ldo, v128_t sums, int rows, const int* rs,
                          const float* sw, const float* sa, float b0, float b1, int acc) {
  sums = wasm_i32x4_sub(sums, wasm_i32x4_make(CODE_ZERO * rs[0], CODE_ZERO * rs[0],
                                              CODE_ZERO * rs[1], CODE_ZERO * rs[1]));
  f4 v = MUL(wasm_f32x4_convert_i32x4(sums),
             MUL(wasm_f32x4_make(sw[0], sw[0], sw[1], sw[1]), wasm_f32x4_make(sa[0], sa[1], sa[0], sa[1])));
  out[0] = (acc ? out[0] : b0) + wasm_f32x4_extract_lane(v, 0);
  out[ldo] = (acc ? out[ldo] : b0) + wasm_f32x4_extract_lane(v, 1);
  if (rows < 2) return;
  out[1] = (acc ? out[1] : b1) + wasm_f32x4_extract_lane(v, 2);
  out[ldo + 1] = (acc ? out[ldo + 1] : b1) + wasm_f32x4_extract_lane(v, 3);
}

// Rows g, g+1 of W (w0, w1; w1 ignored when rows is 1) against R (4 or 6) rows of codes:
// 2R accumulators, each weight load reused R times, each code load twice. At R = 6 enough
// independent dot products are in flight to cover the instruction's latency (13 vector
// registers; 8 rows spill and ran slower). R is a constant at each call, so the loops unroll.
static inline __attribute__((always_inline)) void qblock(const int R, int K, const i8* w0,
                                                         const i8* w1, const u8* a, int lda,
                                                         int rows, float* out0, int ldo,
                                                         const int* rs, const float* sw,
                                                         const float* sa, float b0, float b1,
                                                         int acc) {
  v128_t c0[6], c1[6];
  _Pragma("unroll") for (int r = 0; r < R; r++) c0[r] = c1[r] = wasm_i32x4_splat(0);
  _Pragma("clang loop unroll_count(1)") for (int k = 0; k < K; k += 16) {
    v128_t x0 = LD(w0 + k);
    v128_t x1 = rows > 1 ? LD(w1 + k) : x0;
    _Pragma("unroll") for (int r = 0; r < R; r++) {
      v128_t av = LD(a + r * lda + k);
      DOT(c0[r], x0, av);
      DOT(c1[r], x1, av);
    }
  }
  put4(out0, ldo, hsum4(c0[0], c0[1], c0[2], c0[3]), rs[0], sw[0], sa, b0, acc);
  if (rows > 1) put4(out0 + 1, ldo, hsum4(c1[0], c1[1], c1[2], c1[3]), rs[1], sw[1], sa, b1, acc);
  if (R == 6) put2x2(out0 + 4 * ldo, ldo, hsum4(c0[4], c0[5], c1[4], c1[5]), rows, rs, sw, sa + 4,
                     b0, b1, acc);
}

// Rows g, g+1 of W against one row of codes.
static void qblock1(int K, const i8* w0, const i8* w1, const u8* a, int rows, float* out0,
                    const int* rs, const float* sw, float sa, float b0, float b1, int acc) {
  v128_t c0 = wasm_i32x4_splat(0), c1 = c0;
  _Pragma("clang loop unroll_count(2)") for (int k = 0; k < K; k += 16) {
    v128_t av = LD(a + k);
    DOT(c0, LD(w0 + k), av);
    if (rows > 1) DOT(c1, LD(w1 + k), av);
  }
  v128_t sums = hsum4(c0, c1, c0, c1);
  float d0 = (float)(wasm_i32x4_extract_lane(sums, 0) - CODE_ZERO * rs[0]);
  out0[0] = (acc ? out0[0] : b0) + sw[0] * sa * d0;
  if (rows > 1) {
    float d1 = (float)(wasm_i32x4_extract_lane(sums, 1) - CODE_ZERO * rs[1]);
    out0[1] = (acc ? out0[1] : b1) + sw[1] * sa * d1;
  }
}

// Rows of codes per pass of gemm_q8 over its weight rows: the block (MB·K bytes, 16 KB at
// K = 256) stays in L1 while the weight rows go by, rather than all M rows of codes streaming
// past each pair of weight rows (measured 8% faster at batch 32, small preset).
#define MB 64

// z[m·ldz + g] (+)= sw[g]·sa[m]·Σ_k W[g, k]·(A[m·K + k] − 64) for g in [g0, g1), m < M,
// starting from bias[g] unless accumulating (bias 0). W: int8 rows of K (padded, a multiple
// of 16) with scales sw and sums rs.
static void gemm_q8(int M, int g0, int g1, int K, const i8* W, const float* sw, const int* rs,
                    const u8* A, const float* sa, float* z, int ldz, const float* bias) {
  const int acc = bias == 0;
  for (int m0 = 0; m0 < M; m0 += MB) {
    const int m1 = m0 + MB < M ? m0 + MB : M;
    for (int g = g0; g < g1; g += 2) {
      const int rows = g + 1 < g1 ? 2 : 1;
      const i8* w0 = W + g * K;
      const i8* w1 = w0 + K;
      const float b0 = acc ? 0.0f : bias[g], b1 = acc || rows < 2 ? 0.0f : bias[g + 1];
      int m = m0;
      // Blocks of 6 rows, but 8 or 9 rows left go as 4 + 4 (+ 1), not 6 + 1 + 1 (+ 1).
      for (; m1 - m >= 6 && m1 - m != 8 && m1 - m != 9; m += 6) {
        qblock(6, K, w0, w1, A + m * K, K, rows, z + m * ldz + g, ldz, rs + g, sw + g, sa + m,
               b0, b1, acc);
      }
      for (; m + 4 <= m1; m += 4) {
        qblock(4, K, w0, w1, A + m * K, K, rows, z + m * ldz + g, ldz, rs + g, sw + g, sa + m,
               b0, b1, acc);
      }
      for (; m < m1; m++) {
        qblock1(K, w0, w1, A + m * K, rows, z + m * ldz + g, rs + g, sw + g, sa[m], b0, b1,
                acc);
      }
    }
  }
}

// The time loop of lstm_forward_q8 for this thread's batch rows only.
static void q8_rows_loop(int tid, int nt, int T, int B, int H, const i8* wHh, const float* sHh,
                         const int* rsHh, const float* h0, const float* c0, u8* hq, float* hs,
                         float* gates, float* ys, float* cs, float* hT, float* cT) {
  const int G = 4 * H, HP = (H + 15) & ~15, H4 = H & ~3;
  int b0, b1;
  share(B, tid, nt, 1, &b0, &b1);
  for (int t = 0; t < T && b1 > b0; t++) {
    float* z = gates + t * B * G;
    const float* hp = t ? ys + (t - 1) * B * H : h0;
    const float* cp = t ? cs + (t - 1) * B * H : c0;
    for (int b = b0; b < b1; b++) hs[b - b0] = quant_row(hp + b * H, H, HP, hq + (b - b0) * HP);
    gemm_q8(b1 - b0, 0, G, HP, wHh, sHh, rsHh, hq, hs, z + b0 * G, G, 0);
    for (int b = b0; b < b1; b++) {
      float* zb = z + b * G;
      float* cb = cs + (t * B + b) * H;
      float* hb = ys + (t * B + b) * H;
      for (int k = 0; k < H4; k += 4) cell_fwd(zb, H, cp + b * H, cb, hb, k);
      for (int k = H4; k < H; k++) cell_fwd_scalar(zb, H, cp + b * H, cb, hb, k);
    }
  }
  if (b1 > b0) {
    copy(hT + b0 * H, ys + ((T - 1) * B + b0) * H, (b1 - b0) * H);
    copy(cT + b0 * H, cs + ((T - 1) * B + b0) * H, (b1 - b0) * H);
  }
}

// As lstm_forward, with wIh [G, nInP] and wHh [G, HP] int8 (rows padded to
// multiples of 16) with their row scales sIh, sHh and row sums rsIh, rsHh.
// scratch: T·B·nInP + nt·B·HP bytes of codes, then T·B + nt·B + G (+ 8)
// floats, 16-byte aligned parts. Each thread owns a
// range of hidden units (all four gates of them; one barrier a step) or,
// for large batches of a small enough W_hh, a range of batch rows.
TASK_FN lstm_forward_q8(Ctl* c, int tid, int nt, int T, int B, int nIn, int H, const float* x,
                            const i8* wIh, const float* sIh, const int* rsIh, const i8* wHh,
                            const float* sHh, const int* rsHh, const float* bIh, const float* bHh,
                            const float* h0, const float* c0, void* scratch, float* gates,
                            float* ys, float* cs, float* hT, float* cT) {
  const int G = 4 * H, nInP = (nIn + 15) & ~15, HP = (H + 15) & ~15;
  u8* xq = (u8*)scratch;
  u8* hq = xq + T * B * nInP + tid * B * HP;
  float* xs = (float*)(xq + T * B * nInP + nt * B * HP);
  float* hs = xs + ((T * B + 3) & ~3) + tid * ((B + 3) & ~3);
  float* bias = xs + ((T * B + 3) & ~3) + nt * ((B + 3) & ~3);
  int r0, r1, k0, k1;
  share(T * B, tid, nt, 1, &r0, &r1);
  for (int r = r0; r < r1; r++) xs[r] = quant_row(x + r * nIn, nIn, nInP, xq + r * nInP);
  share(G, tid, nt, 8, &r0, &r1);
  for (int q = r0; q < r1; q++) bias[q] = bIh[q] + bHh[q];
  barrier(c);  // every thread projects all rows of x, and reads every bias of its units
  share(H, tid, nt, 8, &k0, &k1);
  const int k4 = k0 + ((k1 - k0) & ~3);
  for (int gate = 0; gate < 4 && k1 > k0; gate++) {
    gemm_q8(T * B, gate * H + k0, gate * H + k1, nInP, wIh, sIh, rsIh, xq, xs, gates, G, bias);
  }
  // Batch rows split (no barrier in the loop) where each thread can read all
  // of W_hh every step: the int8 matrix is a quarter of the fp32 one, and
  // even `paper`'s (5.3 MB, beyond L2) measured faster so than split by units.
  if (nt > 1 && B >= 4 * nt && G * HP <= (1 << 24)) {
    barrier(c);  // a row's gates come from every thread's projected columns
    q8_rows_loop(tid, nt, T, B, H, wHh, sHh, rsHh, h0, c0, hq, hs, gates, ys, cs, hT, cT);
    return;
  }
  for (int t = 0; t < T; t++) {
    float* z = gates + t * B * G;
    const float* hp = t ? ys + (t - 1) * B * H : h0;
    const float* cp = t ? cs + (t - 1) * B * H : c0;
    if (k1 > k0) {
      for (int b = 0; b < B; b++) hs[b] = quant_row(hp + b * H, H, HP, hq + b * HP);
      for (int gate = 0; gate < 4; gate++) {
        gemm_q8(B, gate * H + k0, gate * H + k1, HP, wHh, sHh, rsHh, hq, hs, z, G, 0);
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
