/* Known answers: xoshiro256++ outputs from fixed states and mf_rng_seed's state words (the
 * splitmix64 seeding rule) with the stream's first outputs, against tests/reference/rng_ref.h,
 * which tests/reference/gen_rng.py computes from the published algorithms (and checks against
 * the published splitmix64 sequence). Bit-exact: any change to the generator changes every
 * result in the project. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "mflab/rng.h"

#include "../reference/rng_ref.h"

int main(void) {
    for (int c = 0; c < 2; c++) {
        mf_rng r;
        memcpy(r.s, ref_xoshiro_state[c], sizeof r.s);
        int bad = 0;
        for (int k = 0; k < REF_RNG_N; k++)
            bad += mf_rng_u64(&r) != ref_xoshiro[c][k];
        CHECK(bad == 0, "xoshiro256++ from state %d: %d of %d outputs differ", c, bad, REF_RNG_N);
    }
    for (int c = 0; c < 4; c++) {
        mf_rng r;
        mf_rng_seed(&r, ref_seed_pair[c][0], ref_seed_pair[c][1]);
        CHECK(memcmp(r.s, ref_seed_state[c], sizeof r.s) == 0,
              "mf_rng_seed(%llu, %llu): state words differ from splitmix64's",
              (unsigned long long)ref_seed_pair[c][0], (unsigned long long)ref_seed_pair[c][1]);
        int bad = 0;
        for (int k = 0; k < REF_RNG_N; k++)
            bad += mf_rng_u64(&r) != ref_seed_out[c][k];
        CHECK(bad == 0, "stream (%llu, %llu): %d of %d outputs differ",
              (unsigned long long)ref_seed_pair[c][0], (unsigned long long)ref_seed_pair[c][1], bad,
              REF_RNG_N);
    }
    return check_summary();
}
