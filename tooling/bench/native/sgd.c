/*
 * The native yardstick of `pnpm bench` (contender "native-c"): the chapter's minibatch SGD as a
 * plain C loop in float32, one thread, compiled by the bench with the machine's C compiler
 * (-O3 -march=native -ffast-math). It runs the same arithmetic as the hand-written float64 loop
 * (tooling/bench/src/contenders/hand-written.ts) on the same data, initial weights and row
 * orders, so its ‖w‖ agrees with the reference to float32 rounding, and its time is what a
 * compiled program takes: the bound the wasm backend is measured against.
 *
 * Protocol: `sgd DATA_FILE`, then one line per request on stdin: `run` trains once and answers
 * `MS NORM` (milliseconds of the training alone, by the monotonic clock; ‖w‖₂, or the norm over
 * all λ of a grid); `quit` ends. DATA_FILE (little-endian, written by contenders/native-c.ts):
 *   int32  mode (0: train with evaluations, 1: steps only), nTrain, nTest, d, epochs, batch,
 *          evalEvery, L (number of λ)
 *   float64 lr, lambda[L]
 *   float32 Xtrain[nTrain·d], ytrain[nTrain], Xtest[nTest·d], ytest[nTest], w0[d]
 *   int32  order[epochs][nTrain]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *read_exact(FILE *f, size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p || fread(p, 1, bytes, f) != bytes) {
    fprintf(stderr, "sgd: the data file is shorter than its header says\n");
    exit(2);
  }
  return p;
}

/* Mean ½(xᵀw + b − y)² over the n rows (no penalty); accumulated in double like the loss
   reductions of the backends. */
static double mean_loss(const float *X, const float *y, int n, int d, const float *w, float b) {
  double sum = 0;
  for (int i = 0; i < n; i++) {
    const float *x = X + (size_t)i * d;
    float z = b;
    for (int j = 0; j < d; j++) z += x[j] * w[j];
    float r = z - y[i];
    sum += (double)r * r;
  }
  return 0.5 * sum / n;
}

/* One epoch of SGD over the rows in `order`, batch by batch (the last one smaller). */
static float sgd_epoch(const float *X, const float *y, const int32_t *order, int n, int d,
                       int batch, float lr, float lambda, float *w, float *g, float b) {
  for (int offset = 0; offset < n; offset += batch) {
    int count = n - offset < batch ? n - offset : batch;
    memset(g, 0, sizeof(float) * d);
    float rsum = 0;
    for (int t = 0; t < count; t++) {
      const float *x = X + (size_t)order[offset + t] * d;
      float z = b;
      for (int j = 0; j < d; j++) z += x[j] * w[j];
      float r = z - y[order[offset + t]];
      rsum += r;
      for (int j = 0; j < d; j++) g[j] += x[j] * r;
    }
    float inv = 1.0f / count;
    for (int j = 0; j < d; j++) w[j] -= lr * (g[j] * inv + lambda * w[j]);
    b -= lr * rsum * inv;
  }
  return b;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: sgd DATA_FILE\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    fprintf(stderr, "sgd: cannot open %s\n", argv[1]);
    return 2;
  }
  int32_t *h = read_exact(f, 8 * sizeof(int32_t));
  int mode = h[0], n = h[1], nt = h[2], d = h[3], epochs = h[4], batch = h[5], every = h[6], L = h[7];
  double *lr = read_exact(f, sizeof(double));
  double *lambdas = read_exact(f, sizeof(double) * L);
  float *X = read_exact(f, sizeof(float) * (size_t)n * d);
  float *y = read_exact(f, sizeof(float) * n);
  float *Xt = read_exact(f, sizeof(float) * (size_t)nt * d);
  float *yt = read_exact(f, sizeof(float) * nt);
  float *w0 = read_exact(f, sizeof(float) * d);
  int32_t *orders = read_exact(f, sizeof(int32_t) * (size_t)epochs * n);
  fclose(f);

  float *w = malloc(sizeof(float) * d), *g = malloc(sizeof(float) * d);
  /* The evaluations are kept, so the compiler cannot drop them. */
  double *history = malloc(sizeof(double) * 2 * (epochs + 1));
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "quit", 4) == 0) break;
    if (strncmp(line, "run", 3) != 0) {
      fprintf(stderr, "sgd: unknown request %s", line);
      return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double norm2 = 0, check = 0;
    for (int l = 0; l < L; l++) {
      memcpy(w, w0, sizeof(float) * d);
      float b = 0;
      int evals = 0;
      for (int e = 1; e <= epochs; e++) {
        b = sgd_epoch(X, y, orders + (size_t)(e - 1) * n, n, d, batch, (float)*lr,
                      (float)lambdas[l], w, g, b);
        if (mode == 0 && (e % every == 0 || e == epochs)) {
          history[evals++] = mean_loss(X, y, n, d, w, b);
          history[evals++] = mean_loss(Xt, yt, nt, d, w, b);
        }
      }
      for (int k = 0; k < evals; k++) check += history[k];
      for (int j = 0; j < d; j++) norm2 += (double)w[j] * w[j];
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    if (!isfinite(check)) {
      fprintf(stderr, "sgd: a loss is not finite\n");
      return 1;
    }
    printf("%.6f %.17g\n", ms, sqrt(norm2));
    fflush(stdout);
  }
  return 0;
}
