/* Top of the chain fixture: "foo+bar=42" and exit 0 prove both libraries were found and loaded. */
#include <stdio.h>

int foo_value(void);

int main(void) {
    int value = foo_value();
    printf("foo+bar=%d\n", value);
    return value == 42 ? 0 : 1;
}
