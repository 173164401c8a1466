/* EC signature verification for the tests and fuzz targets only (never in
 * libhss.so.1), with public material alone: a public key as the library
 * derived it (04 || x || y), or a PEM public key. Return 1 when the DER
 * signature verifies. */
#ifndef CCRYPTOTESTSHIMS_H
#define CCRYPTOTESTSHIMS_H

#include <stddef.h>

/* Over SHA-256(data) (P-256) or SM3(Z_A || data) with the standard Z_A (SM2). */
int chss_test_ec_verify(int sm2, const unsigned char public_key[65], const void *data, size_t length,
                        const void *signature, size_t signature_length);
/* Over a digest the caller computed (SM2: e = SM3(Z_A || data), any Z_A). */
int chss_test_ec_verify_digest(int sm2, const unsigned char public_key[65], const unsigned char digest[32],
                               const void *signature, size_t signature_length);
int chss_test_ec_verify_pem(int sm2, const void *pem, size_t pem_length, const void *data, size_t length,
                            const void *signature, size_t signature_length);

#endif
