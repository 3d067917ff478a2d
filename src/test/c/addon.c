/* A node-addon-like shared object: needs libbar.so.1, shipped beside it and found through $ORIGIN,
   and libc, which only the store provides on NixOS. */
#include <stdlib.h>

int bar_value(void);

int addon_value(void) {
    return bar_value() + (getenv("ELFMEND_ADDON") != NULL);
}
