/* Links against libver.so.1, so it carries version needs LIBVER_1.0 and LIBVER_2.0 on it. */
#include <stdio.h>

int ver_one(void);
int ver_two(void);
int ver_both(void);

int main(void) {
    int sum = ver_one() + ver_two() + ver_both();
    printf("ver=%d\n", sum);
    return sum == 23 ? 0 : 1;
}
