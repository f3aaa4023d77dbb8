/*
 * Fused CPU kernels for the CycleGAN fast mode (gan_core.cyclegan.FastGenerator).
 *
 * PyTorch computes the generator layer by layer, and each layer is one or more passes over a
 * feature map in memory. With the residual convolutions done by Winograd F(4x4, 3x3), about
 * 40% of every convolution was such memory traffic (gather the tiles, transform rows, then
 * columns, fold back, add the bias), plus separate passes for InstanceNorm, ReLU and the
 * reflection padding. The functions here do that work in registers, 8 channels at a time,
 * right before and after the batched matrix products (which stay in PyTorch):
 *
 *   wg_input      reflection pad + (optional) normalise and ReLU + Winograd input transform
 *   wg_output     Winograd output transform + per-channel sum and sum of squares (the
 *                 statistics the next InstanceNorm needs), straight into the output map
 *   add_scaled    x += y * scale + shift (the block's last InstanceNorm and its skip connection)
 *   norm_relu_pad InstanceNorm + ReLU + reflection padding in one pass (rows y0 .. y1)
 *   head7         the last layer: 7x7 convolution from 64 channels to 3, bias, tanh
 *
 * All maps are float32, channels last (H x W x C, C a multiple of 8), one image. Threads:
 * OpenMP; the library is loaded after torch, so it shares torch's OpenMP runtime.
 * Built on first use by gan_core/native/__init__.py (cc -O3 -mavx2 -mfma -fopenmp).
 */
#include <immintrin.h>
#include <math.h>
#include <omp.h>

#define LD(p) _mm256_loadu_ps(p)
#define ST(p, v) _mm256_storeu_ps(p, v)

int fastconv_version(void) { return 1; }

/* r = B^T d for the six rows (or columns) of a 6x6 input tile, where
   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1] */
static inline void input_rows(const __m256 d[6], __m256 r[6]) {
    const __m256 four = _mm256_set1_ps(4.f), five = _mm256_set1_ps(5.f), two = _mm256_set1_ps(2.f);
    __m256 d4_d2 = _mm256_sub_ps(d[4], d[2]);
    __m256 d1p2 = _mm256_add_ps(d[1], d[2]), d1m2 = _mm256_sub_ps(d[1], d[2]);
    __m256 d3p4 = _mm256_add_ps(d[3], d[4]), d4m3 = _mm256_sub_ps(d[4], d[3]);
    __m256 twice13 = _mm256_mul_ps(two, _mm256_sub_ps(d[1], d[3]));
    r[0] = _mm256_fmadd_ps(four, d[0], _mm256_fnmadd_ps(five, d[2], d[4]));
    r[1] = _mm256_fnmadd_ps(four, d1p2, d3p4);
    r[2] = _mm256_fmadd_ps(four, d1m2, d4m3);
    r[3] = _mm256_sub_ps(d4_d2, twice13);
    r[4] = _mm256_add_ps(d4_d2, twice13);
    r[5] = _mm256_fmadd_ps(four, d[1], _mm256_fnmadd_ps(five, d[3], d[5]));
}

/* Index into 0 .. n-1 of coordinate p of the map padded by one pixel of reflection. Beyond
   the padded map (the last tiles when n is not a multiple of 4) any valid pixel will do: those
   values only reach outputs that are cut off, so the index is clamped. */
static inline int reflect1(int p, int n) {
    int q = p - 1;
    if (q < 0) q = -q;
    if (q >= n) q = 2 * n - 2 - q;
    if (q < 0) q = 0;
    if (q >= n) q = n - 1;
    return q;
}

/* Winograd input transform of tile rows [r0, r1) (tiles of 6x6 with stride 4, ntw across) of
   the H x W x C map x, padded by one on the fly. With scale (and shift) given, every value read
   is first replaced by max(0, x * scale + shift). v: 36 x tiles x C. */
void wg_input(const float *x, int h, int w, int c, int r0, int r1, int ntw,
              const float *scale, const float *shift, float *v, int nt) {
    long ntiles = (long)(r1 - r0) * ntw;
    long plane = ntiles * c;
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (long t = 0; t < ntiles; t++) {
        int ty = r0 + (int)(t / ntw), tx = (int)(t % ntw);
        long at[6][6];
        for (int i = 0; i < 6; i++) {
            long row = (long)reflect1(4 * ty + i, h) * w;
            for (int j = 0; j < 6; j++) at[i][j] = (row + reflect1(4 * tx + j, w)) * c;
        }
        float *vt = v + t * c;
        const __m256 zero = _mm256_setzero_ps();
        for (int cc = 0; cc < c; cc += 8) {
            __m256 cols[6][6];
            __m256 sc = scale ? LD(scale + cc) : zero, sh = scale ? LD(shift + cc) : zero;
            for (int j = 0; j < 6; j++) {
                __m256 d[6], o[6];
                for (int i = 0; i < 6; i++) {
                    __m256 a = LD(x + at[i][j] + cc);
                    d[i] = scale ? _mm256_max_ps(_mm256_fmadd_ps(a, sc, sh), zero) : a;
                }
                input_rows(d, o);
                for (int a = 0; a < 6; a++) cols[a][j] = o[a];
            }
            for (int a = 0; a < 6; a++) {
                __m256 o[6];
                input_rows(cols[a], o);
                float *dst = vt + (long)(a * 6) * plane + cc;
                for (int b = 0; b < 6; b++) ST(dst + b * plane, o[b]);
            }
        }
    }
}

/* Winograd output transform A^T m A, A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0;
   0 1 -1 8 -8 1], of m (36 x tiles x K) into rows 4 r0 .. of out (H x W x K). With stats
   (nt x 2 x K doubles, zeroed by the caller once per map) thread t adds the per-channel sum
   and sum of squares of the values it writes to stats[t]. */
void wg_output(const float *m, int h, int w, int k, int r0, int r1, int ntw,
               float *out, double *stats, int nt) {
    long ntiles = (long)(r1 - r0) * ntw;
    long plane = ntiles * k;
    #pragma omp parallel num_threads(nt)
    {
        double *acc = stats ? stats + (long)omp_get_thread_num() * 2 * k : 0;
        const __m256 two = _mm256_set1_ps(2.f), four = _mm256_set1_ps(4.f), eight = _mm256_set1_ps(8.f);
        #pragma omp for schedule(static)
        for (long t = 0; t < ntiles; t++) {
            int ty = r0 + (int)(t / ntw), tx = (int)(t % ntw);
            const float *src = m + t * k;
            for (int kk = 0; kk < k; kk += 8) {
                __m256 s[4][6];
                for (int b = 0; b < 6; b++) {
                    const float *p = src + (long)b * plane + kk;
                    __m256 m0 = LD(p), m1 = LD(p + 6 * plane), m2 = LD(p + 12 * plane),
                           m3 = LD(p + 18 * plane), m4 = LD(p + 24 * plane), m5 = LD(p + 30 * plane);
                    __m256 p12 = _mm256_add_ps(m1, m2), n12 = _mm256_sub_ps(m1, m2);
                    __m256 p34 = _mm256_add_ps(m3, m4), n34 = _mm256_sub_ps(m3, m4);
                    s[0][b] = _mm256_add_ps(_mm256_add_ps(m0, p12), p34);
                    s[1][b] = _mm256_fmadd_ps(two, n34, n12);
                    s[2][b] = _mm256_fmadd_ps(four, p34, p12);
                    s[3][b] = _mm256_add_ps(_mm256_fmadd_ps(eight, n34, n12), m5);
                }
                __m256 sum = _mm256_setzero_ps(), sq = _mm256_setzero_ps();
                for (int p = 0; p < 4 && 4 * ty + p < h; p++) {
                    float *row = out + ((long)(4 * ty + p) * w + 4 * tx) * k + kk;
                    const __m256 *q = s[p];
                    __m256 p12 = _mm256_add_ps(q[1], q[2]), n12 = _mm256_sub_ps(q[1], q[2]);
                    __m256 p34 = _mm256_add_ps(q[3], q[4]), n34 = _mm256_sub_ps(q[3], q[4]);
                    __m256 o[4];
                    o[0] = _mm256_add_ps(_mm256_add_ps(q[0], p12), p34);
                    o[1] = _mm256_fmadd_ps(two, n34, n12);
                    o[2] = _mm256_fmadd_ps(four, p34, p12);
                    o[3] = _mm256_add_ps(_mm256_fmadd_ps(eight, n34, n12), q[5]);
                    for (int e = 0; e < 4 && 4 * tx + e < w; e++) {
                        ST(row + e * k, o[e]);
                        sum = _mm256_add_ps(sum, o[e]);
                        sq = _mm256_fmadd_ps(o[e], o[e], sq);
                    }
                }
                if (acc) {
                    float a[8], b[8];
                    ST(a, sum);
                    ST(b, sq);
                    for (int l = 0; l < 8; l++) {
                        acc[kk + l] += a[l];
                        acc[k + kk + l] += b[l];
                    }
                }
            }
        }
    }
}

/* x += y * scale + shift over n pixels of c channels. */
void add_scaled(float *x, const float *y, long n, int c, const float *scale, const float *shift, int nt) {
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (long i = 0; i < n; i++) {
        float *xp = x + i * c;
        const float *yp = y + i * c;
        for (int cc = 0; cc < c; cc += 8)
            ST(xp + cc, _mm256_add_ps(LD(xp + cc), _mm256_fmadd_ps(LD(yp + cc), LD(scale + cc), LD(shift + cc))));
    }
}

/* Rows y0 .. y1 - 1 of max(0, x * scale + shift) padded by p pixels of reflection on every side
   ((H + 2p) x (W + 2p) x C), written to out from its first row. */
void norm_relu_pad(const float *x, int h, int w, int c, int p, const float *scale, const float *shift,
                   int y0, int y1, float *out, int nt) {
    int wp = w + 2 * p;
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int yy = y0; yy < y1; yy++) {
        int sy = yy - p;
        if (sy < 0) sy = -sy;
        if (sy >= h) sy = 2 * h - 2 - sy;
        const __m256 zero = _mm256_setzero_ps();
        for (int xx = 0; xx < wp; xx++) {
            int sx = xx - p;
            if (sx < 0) sx = -sx;
            if (sx >= w) sx = 2 * w - 2 - sx;
            const float *src = x + ((long)sy * w + sx) * c;
            float *dst = out + ((long)(yy - y0) * wp + xx) * c;
            for (int cc = 0; cc < c; cc += 8)
                ST(dst + cc, _mm256_max_ps(_mm256_fmadd_ps(LD(src + cc), LD(scale + cc), LD(shift + cc)), zero));
        }
    }
}

static inline float lanes_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* tanh(7x7 convolution + bias) of x ((H + 6) x (W + 6) x 64, already padded) to 3 channels,
   written planar: channel o of output row y, column x at out[o * plane + y * w + x].
   wt: 7 x 7 x 3 x 64 (row, column, output, input). Four neighbouring pixels share each load
   of the weights (12 accumulators). */
void head7(const float *x, int h, int w, const float *wt, const float *bias, float *out, long plane, int nt) {
    const int c = 64;
    const int wp = w + 6;
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int y = 0; y < h; y++) {
        for (int x0 = 0; x0 < w; x0 += 4) {
            int np = w - x0 < 4 ? w - x0 : 4;
            __m256 acc[4][3];
            for (int p = 0; p < 4; p++)
                for (int o = 0; o < 3; o++) acc[p][o] = _mm256_setzero_ps();
            for (int dy = 0; dy < 7; dy++) {
                const float *row = x + ((long)(y + dy) * wp + x0) * c;
                for (int dx = 0; dx < 7; dx++) {
                    const float *wk = wt + (dy * 7 + dx) * 3 * c;
                    const float *px = row + dx * c;
                    for (int cc = 0; cc < c; cc += 8) {
                        __m256 w0 = LD(wk + cc), w1 = LD(wk + c + cc), w2 = LD(wk + 2 * c + cc);
                        if (np == 4) {
                            for (int p = 0; p < 4; p++) {
                                __m256 a = LD(px + p * c + cc);
                                acc[p][0] = _mm256_fmadd_ps(a, w0, acc[p][0]);
                                acc[p][1] = _mm256_fmadd_ps(a, w1, acc[p][1]);
                                acc[p][2] = _mm256_fmadd_ps(a, w2, acc[p][2]);
                            }
                        } else {
                            for (int p = 0; p < np; p++) {
                                __m256 a = LD(px + p * c + cc);
                                acc[p][0] = _mm256_fmadd_ps(a, w0, acc[p][0]);
                                acc[p][1] = _mm256_fmadd_ps(a, w1, acc[p][1]);
                                acc[p][2] = _mm256_fmadd_ps(a, w2, acc[p][2]);
                            }
                        }
                    }
                }
            }
            for (int p = 0; p < np; p++)
                for (int o = 0; o < 3; o++)
                    out[(long)o * plane + (long)y * w + x0 + p] = tanhf(lanes_sum(acc[p][o]) + bias[o]);
        }
    }
}
