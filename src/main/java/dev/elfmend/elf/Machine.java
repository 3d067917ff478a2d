package dev.elfmend.elf;

/**
 * An e_machine value with its short lower-case name. Any value is accepted; unknown ones are named
 * {@code em_<number>}. The name of machine 22 depends on the class (s390 / s390x).
 */
public record Machine(int code, String name) {

    public static final int EM_SPARC = 2;
    public static final int EM_386 = 3;
    public static final int EM_68K = 4;
    public static final int EM_MIPS = 8;
    public static final int EM_PARISC = 15;
    public static final int EM_PPC = 20;
    public static final int EM_PPC64 = 21;
    public static final int EM_S390 = 22;
    public static final int EM_ARM = 40;
    public static final int EM_SH = 42;
    public static final int EM_SPARCV9 = 43;
    public static final int EM_IA_64 = 50;
    public static final int EM_X86_64 = 62;
    public static final int EM_AARCH64 = 183;
    public static final int EM_TILEGX = 191;
    public static final int EM_RISCV = 243;
    public static final int EM_LOONGARCH = 258;
    public static final int EM_ALPHA = 0x9026;

    public static Machine of(int code, ElfClass elfClass) {
        String name = switch (code) {
            case EM_SPARC -> "sparc";
            case EM_386 -> "i386";
            case EM_68K -> "m68k";
            case EM_MIPS -> elfClass == ElfClass.ELF64 ? "mips64" : "mips";
            case EM_PARISC -> "parisc";
            case EM_PPC -> "ppc";
            case EM_PPC64 -> "ppc64";
            case EM_S390 -> elfClass == ElfClass.ELF64 ? "s390x" : "s390";
            case EM_ARM -> "arm";
            case EM_SH -> "sh";
            case EM_SPARCV9 -> "sparc64";
            case EM_IA_64 -> "ia64";
            case EM_X86_64 -> "x86_64";
            case EM_AARCH64 -> "aarch64";
            case EM_TILEGX -> "tilegx";
            case EM_RISCV -> "riscv";
            case EM_LOONGARCH -> "loongarch";
            case EM_ALPHA -> "alpha";
            default -> "em_" + code;
        };
        return new Machine(code, name);
    }

    /**
     * The largest page size the kernel may use on this machine; segments elfmend adds are aligned to
     * it so the file loads under any page-size configuration of that architecture.
     */
    public long maxPageSize() {
        return switch (code) {
            case EM_SPARC, EM_SPARCV9, EM_MIPS, EM_PPC, EM_PPC64, EM_AARCH64, EM_TILEGX, EM_LOONGARCH,
                 EM_IA_64, EM_ALPHA -> 0x10000L;
            default -> 0x1000L;
        };
    }
}
