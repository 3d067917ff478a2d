/* A libstdc++-like library: cxx_<n> carries version GLIBCXX_3.4.<n> from a version script the test
   writes; LEVEL (30..32) says up to which version this build goes, like successive libstdc++ releases. */
#ifndef LEVEL
#define LEVEL 30
#endif

int cxx_30(void) {
    return 30;
}

#if LEVEL >= 31
int cxx_31(void) {
    return 31;
}
#endif

#if LEVEL >= 32
int cxx_32(void) {
    return 32;
}
#endif
