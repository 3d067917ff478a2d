/* Calls pthread_sigmask, which glibc 2.32+ versions as GLIBC_2.32: a version need that carries a symbol. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
        return 1;
    }
    puts("sigmask ok");
    return 0;
}
