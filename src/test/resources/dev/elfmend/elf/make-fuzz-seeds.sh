#!/usr/bin/env bash
# Remakes the seed inputs of ElfReaderFuzzTest and ElfRewriterFuzzTest: small valid ELF files of the
# shapes elfmend edits (PIE and non-PIE executables, 32-bit, a versioned shared library with $ORIGIN,
# DT_RPATH with SysV hash, no section headers, big-endian s390x, aarch64 with 64 KiB pages).
# Needs gcc, gcc-multilib, binutils-s390x-linux-gnu and binutils-aarch64-linux-gnu. The seeds are
# committed; run this only to change them. Crash inputs in the same directories are never touched.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
reader="$here/ElfReaderFuzzTestInputs/anyBytesAreAnsweredOrRefusedWithAReason"
editor="$here/ElfRewriterFuzzTestInputs/editsApplyAsRequestedOrAreRefused"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

small=(-Os -s -Wl,-z,noseparate-code -Wl,-z,max-page-size=0x1000 -Wl,--build-id=none)
printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' >hello.c
printf 'int answer(void) { return 42; }\n' >lib.c
printf 'VERS_1 { global: answer; local: *; };\n' >lib.map

gcc "${small[@]}" -fPIE -pie hello.c -o pie
gcc "${small[@]}" -fno-pie -no-pie hello.c -o nopie
gcc "${small[@]}" -m32 -fPIE -pie hello.c -o pie32
gcc "${small[@]}" -fno-pie -no-pie -Wl,--disable-new-dtags,-rpath,/opt/seed/lib -Wl,--hash-style=sysv \
    hello.c -o rpath-sysv
gcc "${small[@]}" -shared -fPIC -Wl,-soname,libseed.so.1 -Wl,--version-script=lib.map \
    -Wl,--enable-new-dtags,-rpath,'$ORIGIN' lib.c -o library
# As sstrip leaves a file: e_shoff, e_shnum and e_shstrndx zero, so everything comes through segments.
cp pie nosections
printf '\0\0\0\0\0\0\0\0' | dd of=nosections bs=1 seek=40 conv=notrunc status=none
printf '\0\0\0\0' | dd of=nosections bs=1 seek=60 conv=notrunc status=none

# Cross targets without a cross libc: a stub libc.so.6 with one versioned symbol to link against.
printf 'GLIBC_2.2 { global: puts; local: *; };\n' >libc.map
cross() { # prefix, loader, call instruction, return instruction, output
    printf '.text\n.globl puts\n.type puts,@function\nputs:\n%s\n' "$4" >libc.s
    printf '.text\n.globl _start\n_start:\n%s\n%s\n' "$3" "$4" >start.s
    "$1-as" libc.s -o libc.o
    "$1-as" start.s -o start.o
    "$1-ld" -shared -soname libc.so.6 --version-script=libc.map libc.o -o libc.so.6
    # -z norelro: without it the aarch64 file pads to its 64 KiB page.
    "$1-ld" -s -pie -z norelro -dynamic-linker "$2" --enable-new-dtags -rpath /opt/seed/lib start.o libc.so.6 \
        -o "$5"
}
cross s390x-linux-gnu /lib/ld64.so.1 'brasl %r14, puts@PLT' 'br %r14' s390x
cross aarch64-linux-gnu /lib/ld-linux-aarch64.so.1 'bl puts' 'ret' aarch64

# The editor's inputs are the file followed by 40 bytes (EditChoice.BYTES) that choose the edits (read from the end).
mkdir -p "$reader" "$editor"
choices=0
for seed in pie nopie pie32 rpath-sysv library nosections s390x aarch64; do
    cp "$seed" "$reader/seed-$seed"
    for variant in a b; do
        cp "$seed" "$editor/seed-$seed-$variant"
        choices=$((choices + 1))
        # A fixed, varied choice of edits per seed: bytes from a counter, different for every file.
        for i in $(seq 1 40); do printf "\\$(printf '%03o' $(((choices * 37 + i * 101) % 256)))"; done \
            >>"$editor/seed-$seed-$variant"
    done
done
ls -l "$reader" "$editor"
