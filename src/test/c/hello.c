/* The plain program behind most fixture variants: prints one line, exits 0. */
#include <stdio.h>

int main(void) {
    puts("hello from elfmend fixture");
    return 0;
}
