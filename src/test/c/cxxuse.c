/* Uses the libstdc++-like library: needs GLIBCXX_3.4.30, and GLIBCXX_3.4.32 when built with USE_32. */
#include <stdio.h>

int cxx_30(void);
#ifdef USE_32
int cxx_32(void);
#endif

int main(void) {
    int sum = cxx_30();
#ifdef USE_32
    sum += cxx_32();
#endif
    printf("cxx=%d\n", sum);
    return 0;
}
