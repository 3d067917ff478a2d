/* A shared library with nothing special but its soname. */
int greet_answer(void) {
    return 42;
}
