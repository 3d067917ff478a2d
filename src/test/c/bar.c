/* Bottom of the chain fixture: chain -> libfoo.so.1 -> libbar.so.1. */
int bar_value(void) {
    return 40;
}
