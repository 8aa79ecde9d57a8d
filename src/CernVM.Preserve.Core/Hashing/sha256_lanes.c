/*
 * SHA-256 block functions on the SHA extensions of x86-64 processors (SHA-NI), one stream or two at once.
 *
 * One SHA-256 stream is bound by the latency of SHA256RNDS2: each pair of rounds waits for the one before. Two
 * independent streams interleaved keep the unit busy; on a Xeon (family 6, model 207) one stream hashes
 * 1.44 GB/s and two interleaved 1.93 GB/s together. The archive hashes the same bytes twice where a file is held
 * in pieces or bundled (a blob's id and a file's content id, FORMAT.md §4, §6.2), which is where the pair is used.
 *
 * State words are kept as FIPS 180-4 names them (a..h in uint32 order); the caller pads the message and writes
 * the digest. cvmp_sha256_accelerated() says whether this processor has the instructions; everywhere else the
 * caller hashes with .NET's SHA-256 and these functions are not called.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE at the repository's root).
 */
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* The instructions keep the state as two vectors: ABEF (a, b, e, f) and CDGH (c, d, g, h), highest lane first. */
#define LOAD_STATE(st, abef, cdgh)                                                  \
    do {                                                                            \
        __m128i dcba_ = _mm_loadu_si128((const __m128i *)&(st)[0]);                 \
        __m128i hgfe_ = _mm_loadu_si128((const __m128i *)&(st)[4]);                 \
        __m128i cdab_ = _mm_shuffle_epi32(dcba_, 0xB1);                             \
        __m128i efgh_ = _mm_shuffle_epi32(hgfe_, 0x1B);                             \
        (abef) = _mm_alignr_epi8(cdab_, efgh_, 8);                                  \
        (cdgh) = _mm_blend_epi16(efgh_, cdab_, 0xF0);                               \
    } while (0)

#define STORE_STATE(st, abef, cdgh)                                                 \
    do {                                                                            \
        __m128i feba_ = _mm_shuffle_epi32((abef), 0x1B);                            \
        __m128i dchg_ = _mm_shuffle_epi32((cdgh), 0xB1);                            \
        _mm_storeu_si128((__m128i *)&(st)[0], _mm_blend_epi16(feba_, dchg_, 0xF0)); \
        _mm_storeu_si128((__m128i *)&(st)[4], _mm_alignr_epi8(dchg_, feba_, 8));    \
    } while (0)

/* The sixteen message words of a block, each read big-endian. */
#define LOAD_MESSAGE(w, p)                                                                          \
    do {                                                                                            \
        const __m128i be_ = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);           \
        for (int i_ = 0; i_ < 4; i_++)                                                              \
            (w)[i_] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 16 * i_)), be_);     \
    } while (0)

/*
 * Rounds 4g .. 4g+3 (g = 0..15). w[g % 4] holds the message words W[4g .. 4g+3]; while these rounds run, the
 * schedule finishes W[4g+4 .. 4g+7] in w[(g+1) % 4] (sigma1 part, from group 3 on) and starts W[4g+12 .. 4g+15]
 * in w[(g+3) % 4] (sigma0 part, from group 1 on). g is a constant at every use: the conditions fold away.
 */
#define ROUNDS(abef, cdgh, w, g)                                                                   \
    do {                                                                                           \
        __m128i wk_ = _mm_add_epi32((w)[(g) & 3], _mm_loadu_si128((const __m128i *)&K[4 * (g)]));  \
        (cdgh) = _mm_sha256rnds2_epu32((cdgh), (abef), wk_);                                       \
        if ((g) >= 3 && (g) < 15) {                                                                \
            __m128i t_ = _mm_alignr_epi8((w)[(g) & 3], (w)[((g) + 3) & 3], 4);                     \
            (w)[((g) + 1) & 3] = _mm_add_epi32((w)[((g) + 1) & 3], t_);                            \
            (w)[((g) + 1) & 3] = _mm_sha256msg2_epu32((w)[((g) + 1) & 3], (w)[(g) & 3]);           \
        }                                                                                          \
        wk_ = _mm_shuffle_epi32(wk_, 0x0E);                                                        \
        (abef) = _mm_sha256rnds2_epu32((abef), (cdgh), wk_);                                       \
        if ((g) >= 1 && (g) < 13)                                                                  \
            (w)[((g) + 3) & 3] = _mm_sha256msg1_epu32((w)[((g) + 3) & 3], (w)[(g) & 3]);           \
    } while (0)

#define SIXTEEN(R) \
    R(0); R(1); R(2); R(3); R(4); R(5); R(6); R(7); R(8); R(9); R(10); R(11); R(12); R(13); R(14); R(15)

TARGET void cvmp_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks)
{
    __m128i abef, cdgh;
    LOAD_STATE(state, abef, cdgh);
    for (; blocks > 0; blocks--, data += 64) {
        __m128i abef0 = abef, cdgh0 = cdgh, w[4];
        LOAD_MESSAGE(w, data);
#define ONE(g) ROUNDS(abef, cdgh, w, g)
        SIXTEEN(ONE);
#undef ONE
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    STORE_STATE(state, abef, cdgh);
}

/* Two independent streams of the same number of blocks, their rounds interleaved. */
TARGET void cvmp_sha256_blocks2(uint32_t state_a[8], const uint8_t *a, uint32_t state_b[8], const uint8_t *b, size_t blocks)
{
    __m128i abef_a, cdgh_a, abef_b, cdgh_b;
    LOAD_STATE(state_a, abef_a, cdgh_a);
    LOAD_STATE(state_b, abef_b, cdgh_b);
    for (; blocks > 0; blocks--, a += 64, b += 64) {
        __m128i abef_a0 = abef_a, cdgh_a0 = cdgh_a, abef_b0 = abef_b, cdgh_b0 = cdgh_b, wa[4], wb[4];
        LOAD_MESSAGE(wa, a);
        LOAD_MESSAGE(wb, b);
#define TWO(g) do { ROUNDS(abef_a, cdgh_a, wa, g); ROUNDS(abef_b, cdgh_b, wb, g); } while (0)
        SIXTEEN(TWO);
#undef TWO
        abef_a = _mm_add_epi32(abef_a, abef_a0);
        cdgh_a = _mm_add_epi32(cdgh_a, cdgh_a0);
        abef_b = _mm_add_epi32(abef_b, abef_b0);
        cdgh_b = _mm_add_epi32(cdgh_b, cdgh_b0);
    }
    STORE_STATE(state_a, abef_a, cdgh_a);
    STORE_STATE(state_b, abef_b, cdgh_b);
}

int cvmp_sha256_accelerated(void)
{
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return 0;
    int ssse3 = (ecx >> 9) & 1, sse41 = (ecx >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
        return 0;
    int sha = (ebx >> 29) & 1;
    return ssse3 && sse41 && sha;
}

#else /* no SHA extensions to use: the caller hashes with .NET's SHA-256 */

int cvmp_sha256_accelerated(void) { return 0; }
void cvmp_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) { (void)state; (void)data; (void)blocks; }
void cvmp_sha256_blocks2(uint32_t state_a[8], const uint8_t *a, uint32_t state_b[8], const uint8_t *b, size_t blocks)
{
    (void)state_a; (void)a; (void)state_b; (void)b; (void)blocks;
}

#endif
