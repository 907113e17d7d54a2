/* SHA-256 (FIPS 180-4), used to fingerprint model files in run records. */
#ifndef EXO_CORE_SHA256_H
#define EXO_CORE_SHA256_H
#include <stddef.h>
#include <stdint.h>
/* Writes the 64 lower-case hex digits and a NUL into hex. */
void exo_sha256_hex(const void *data, size_t len, char hex[65]);
#endif
