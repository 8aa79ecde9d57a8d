#!/usr/bin/env bash
# Microbenchmark of Core's SHA-256 kernel (src/CernVM.Preserve.Core/Hashing/sha256_lanes.c): one stream, two
# streams interleaved, the same on both cores at once, against OpenSSL's SHA-256 (which .NET's calls). It also
# checks the kernel's digests against OpenSSL's. Needs gcc and libssl-dev.
#   bench/sha256-lanes.sh
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qw sha_ni /proc/cpuinfo || { echo "this processor has no SHA extensions: the lanes fall back to .NET's SHA-256" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/main.c" <<'EOF'
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
void cvmp_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);
void cvmp_sha256_blocks2(uint32_t a[8], const uint8_t *da, uint32_t b[8], const uint8_t *db, size_t blocks);
static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int same(const uint32_t s[8], const uint8_t d[32]) {
  for (int i = 0; i < 8; i++) if (s[i] != ((uint32_t)d[4*i] << 24 | (uint32_t)d[4*i+1] << 16 | (uint32_t)d[4*i+2] << 8 | d[4*i+3])) return 0;
  return 1;
}
int main(void) {
  size_t n = 64u << 20;
  uint8_t *buf = malloc(n + 128);
  for (size_t i = 0; i < n + 128; i++) buf[i] = (uint8_t)((i * 2654435761u) >> 13);
  /* the digest of buf[0, n) and of buf[13, 13 + n), padded by hand, against OpenSSL's */
  uint8_t pad[64] = {0x80}, ref[32];
  for (int i = 0; i < 8; i++) pad[63 - i] = (uint8_t)(((uint64_t)n * 8) >> (8 * i));
  uint32_t a[8], b[8];
  memcpy(a, H0, 32); memcpy(b, H0, 32);
  cvmp_sha256_blocks2(a, buf, b, buf + 13, n / 64);
  cvmp_sha256_blocks(a, pad, 1); cvmp_sha256_blocks(b, pad, 1);
  SHA256(buf, n, ref); int ok = same(a, ref);
  SHA256(buf + 13, n, ref); ok &= same(b, ref);
  if (!ok) { puts("digests differ from OpenSSL's"); return 1; }
  double best1 = 1e9, best2 = 1e9, bestssl = 1e9;
  for (int r = 0; r < 5; r++) {
    double t = now(); cvmp_sha256_blocks(a, buf, n / 64); double t1 = now() - t;
    t = now(); cvmp_sha256_blocks2(a, buf, b, buf + 13, n / 64); double t2 = now() - t;
    t = now(); SHA256(buf, n, ref); double t3 = now() - t;
    if (t1 < best1) best1 = t1;
    if (t2 < best2) best2 = t2;
    if (t3 < bestssl) bestssl = t3;
  }
  printf("one stream %.0f MB/s; two streams %.0f MB/s together (%.0f each); OpenSSL %.0f MB/s\n",
         n / best1 / 1e6, 2 * n / best2 / 1e6, n / best2 / 1e6, n / bestssl / 1e6);
  return 0;
}
EOF
gcc -O2 -o "$work/lanes" "$work/main.c" src/CernVM.Preserve.Core/Hashing/sha256_lanes.c -lcrypto
echo "one core:"
"$work/lanes"
echo "both cores at once:"
"$work/lanes" & "$work/lanes"; wait
