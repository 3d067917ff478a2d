package dev.elfmend.resolve;

import dev.elfmend.elf.Machine;
import java.util.Set;

/** The glibc dynamic loader per machine: its file name, and where an ordinary distribution keeps it. */
public final class Loaders {

    /** Libraries that ship with glibc and must come from the same glibc as the loader. */
    public static final Set<String> GLIBC_FAMILY = Set.of("libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2",
            "librt.so.1", "libresolv.so.2", "libutil.so.1", "libanl.so.1", "libnsl.so.1", "libcrypt.so.1",
            "libmvec.so.1", "libBrokenLocale.so.1", "libthread_db.so.1", "libc_malloc_debug.so.0",
            "libnss_files.so.2", "libnss_dns.so.2", "libnss_compat.so.2", "libnss_db.so.2", "libnss_hesiod.so.2",
            "libmemusage.so", "libpcprofile.so", "libSegFault.so");

    private Loaders() {}

    /** The loader's file name for this machine, class and byte order, or null when elfmend does not know it. */
    public static String fileName(int machine, boolean elf64, boolean bigEndian) {
        return switch (machine) {
            case Machine.EM_X86_64 -> elf64 ? "ld-linux-x86-64.so.2" : "ld-linux-x32.so.2";
            case Machine.EM_386 -> "ld-linux.so.2";
            case Machine.EM_AARCH64 -> bigEndian ? "ld-linux-aarch64_be.so.1" : "ld-linux-aarch64.so.1";
            case Machine.EM_ARM -> "ld-linux-armhf.so.3";
            case Machine.EM_PPC64 -> bigEndian ? "ld64.so.1" : "ld64.so.2";
            case Machine.EM_PPC -> "ld.so.1";
            case Machine.EM_S390 -> elf64 ? "ld64.so.1" : "ld.so.1";
            case Machine.EM_RISCV -> elf64 ? "ld-linux-riscv64-lp64d.so.1" : "ld-linux-riscv32-ilp32d.so.1";
            case Machine.EM_LOONGARCH -> "ld-linux-loongarch-lp64d.so.1";
            case Machine.EM_MIPS -> elf64 ? "ld.so.1" : "ld.so.1";
            case Machine.EM_SPARCV9 -> "ld-linux.so.2";
            default -> null;
        };
    }

    /** The path an ordinary (FHS) distribution uses for the loader. */
    public static String fhsPath(int machine, boolean elf64, boolean bigEndian) {
        String name = fileName(machine, elf64, bigEndian);
        if (name == null) {
            return null;
        }
        return switch (machine) {
            case Machine.EM_X86_64, Machine.EM_PPC64, Machine.EM_LOONGARCH -> "/lib64/" + name;
            default -> "/lib/" + name;
        };
    }

    public static boolean isLoaderName(String name) {
        return name.startsWith("ld-linux") || name.startsWith("ld64.so") || name.equals("ld.so.1");
    }

    public static boolean isGlibcFamily(String name) {
        return GLIBC_FAMILY.contains(name) || isLoaderName(name);
    }
}
