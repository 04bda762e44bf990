/* The version of the library as built, for programs to compare with the headers they used. */
#include "mflab/version.h"

const char *mf_version(void) {
    return MFLAB_VERSION_STRING;
}

int mf_version_number(void) {
    return MFLAB_VERSION_NUMBER;
}
