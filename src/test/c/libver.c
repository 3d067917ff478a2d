/* A library that defines its own symbol versions (see libver.map), like glibc does. */

int ver_one(void) {
    return 1;
}

int ver_two(void) {
    return 2;
}

/* ver_both has an old hidden version and a new default one. */
int ver_both_v1(void) {
    return 10;
}

int ver_both_v2(void) {
    return 20;
}

__asm__(".symver ver_both_v1, ver_both@LIBVER_1.0");
__asm__(".symver ver_both_v2, ver_both@@LIBVER_2.0");
