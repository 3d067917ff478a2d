/* Says, with systemd's .note.dlopen metadata (owner "FDO", type 0x407c0c0a, a JSON payload), that it
   loads libbar.so.1 with dlopen: elfmend must put that library's directory on its run path too. */
#include <stdio.h>

#define DLOPEN_JSON "[{\"feature\":\"bar\",\"description\":\"answers\",\"priority\":\"recommended\"," \
                    "\"soname\":[\"libbar.so.1\"]}]"

struct dlopen_note {
    unsigned int namesz;
    unsigned int descsz;
    unsigned int type;
    char name[4];
    char desc[(sizeof(DLOPEN_JSON) + 3) & ~3];
};

__attribute__((used, section(".note.dlopen"), aligned(4)))
static const struct dlopen_note note = {4, sizeof(DLOPEN_JSON), 0x407c0c0a, "FDO", DLOPEN_JSON};

int main(void) {
    puts("dlopener");
    return 0;
}
