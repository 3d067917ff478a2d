/* Middle of the chain fixture: its answer is only right when libbar.so.1 was loaded too. */
int bar_value(void);

int foo_value(void) {
    return bar_value() + 2;
}
