/* Counter-based random numbers (Random123's Philox4x32-10). A draw is a pure function of
 * (seed, stream id, step, purpose): no generator state is carried from one draw to the next, so
 * the numbers a cell sees do not depend on how many threads run, on the order cells are visited
 * in, or on whether it runs on a CPU or a GPU. Each call gives four 32-bit words; the helpers
 * below turn them into two uniform doubles in (0, 1) or two standard normals. */
#ifndef EXO_CORE_RNG_H
#define EXO_CORE_RNG_H

#include <Random123/philox.h>
#include <math.h>
#include <stdint.h>

/* What a draw is for: two draws with different purposes at the same step are independent. */
typedef enum exo_rng_purpose {
  EXO_RNG_PLACE = 1,     /* initial placement */
  EXO_RNG_VARIABLE,      /* custom variables at birth */
  EXO_RNG_MOTILITY,      /* persistence and direction */
  EXO_RNG_CYCLE,         /* division */
  EXO_RNG_DEATH,         /* apoptosis, necrosis */
  EXO_RNG_DIVIDE_DIR,    /* where the daughter goes */
  EXO_RNG_CONTACT,       /* attach, kill, detach */
  EXO_RNG_TRANSFORM,     /* change of type */
  EXO_RNG_RECRUIT,       /* how many cells enter, and where */
  EXO_RNG_PURPOSE_COUNT
} exo_rng_purpose;

typedef struct exo_rng4 {
  uint32_t v[4];
} exo_rng4;

static inline exo_rng4 exo_rng_draw(uint64_t seed, uint64_t stream, uint64_t step, uint32_t purpose, uint32_t sub) {
  philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
  /* the step's high word shares a counter word with the purpose and a sub-draw index: steps
   * beyond 2^40 would wrap, far past any run (2^40 mechanics steps of 0.1 min = 2e8 years) */
  philox4x32_ctr_t c = {{(uint32_t)stream, (uint32_t)(stream >> 32), (uint32_t)step,
                         (uint32_t)((step >> 32) & 0xffu) | (purpose << 8) | (sub << 16)}};
  philox4x32_ctr_t r = philox4x32(c, k);
  return (exo_rng4){{r.v[0], r.v[1], r.v[2], r.v[3]}};
}

/* A uniform double in the open interval (0, 1) from two 32-bit words (53 bits). */
static inline double exo_rng_u01(uint32_t hi, uint32_t lo) {
  uint64_t x = ((uint64_t)hi << 21) ^ (uint64_t)lo; /* 53 bits */
  x &= (1ull << 53) - 1;
  return ((double)x + 0.5) * (1.0 / 9007199254740992.0);
}

/* Two uniforms in (0, 1). */
static inline void exo_rng_uniform2(exo_rng4 r, double *a, double *b) {
  *a = exo_rng_u01(r.v[0], r.v[1]);
  *b = exo_rng_u01(r.v[2], r.v[3]);
}

/* Two independent standard normals (Box–Muller). */
static inline void exo_rng_normal2(exo_rng4 r, double *a, double *b) {
  double u1, u2;
  exo_rng_uniform2(r, &u1, &u2);
  double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
  *a = rad * cos(th);
  *b = rad * sin(th);
}

#endif
