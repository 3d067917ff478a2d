package dev.elfmend.elf;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * The edits a fuzz input asks for, from a fixed number of bytes taken off the end of the input (so the
 * rest stays a whole ELF file, and mutating a choice never shifts the file). New strings are made in the
 * shapes that decide the layout: shorter or longer than the old one, equal to or a suffix of a string the
 * file already has (linkers merge suffixes), multi-byte UTF-8, colon lists.
 */
record EditChoice(byte[] bytes) {

    /** Never change this: the committed inputs would then ask for other edits. */
    static final int BYTES = 40;
    private static final int TEXT = 4;
    private static final long[] PAGE_SIZES = {0, 0x1000, 0x10000, 0x200000};
    private static final String STORE_CHARS = "0123456789abcdfghijklmnpqrsvwxyz";

    static EditChoice from(FuzzedDataProvider data) {
        byte[] bytes = new byte[BYTES];
        for (int i = 0; i < BYTES; i++) {
            bytes[i] = data.consumeByte();
        }
        return new EditChoice(bytes);
    }

    private int u8(int i) {
        return bytes[i] & 0xff;
    }

    private boolean wants(int kind) {
        return (u8(0) & (1 << kind)) != 0;
    }

    /** The edits for {@code elf}; strings the file holds are picked by index, so the choice fits any file. */
    ElfEdits edits(ElfFile elf) {
        List<String> all = strings(elf);
        List<String> needed = elf.needed().stream().filter(n -> !n.isEmpty()).toList();
        ElfEdits.Builder b = ElfEdits.builder().pageSize(PAGE_SIZES[u8(2) % PAGE_SIZES.length])
                .runPathTag(ElfEdits.RunPathTag.values()[u8(1) % 3]);
        if (wants(0)) {
            b.interpreter(text(4, all));
        }
        if (wants(1)) {
            b.runPath(text(4 + TEXT, all));
        } else if (wants(2)) {
            b.removeRunPath();
        }
        if (wants(3)) {
            b.addNeeded(text(4 + 2 * TEXT, all));
        }
        if (wants(4)) {
            b.removeNeeded(text(4 + 3 * TEXT, needed.isEmpty() ? all : needed));
        }
        if (wants(5)) {
            b.replaceNeeded(text(4 + 4 * TEXT, needed.isEmpty() ? all : needed), text(4 + 5 * TEXT, all));
        }
        if (wants(6)) {
            b.soname(text(4 + 6 * TEXT, all));
        }
        if (wants(7) && !elf.versionNeeds().isEmpty()) {
            VersionNeed need = elf.versionNeeds().get(u8(3) % elf.versionNeeds().size());
            List<String> names = need.versionNames();
            String from = names.isEmpty() ? "GLIBC_2.2.5" : names.get(u8(36) % names.size());
            if (!need.file().isEmpty() && !from.isEmpty()) {
                b.renameVersionNeed(need.file(), from, text(4 + 7 * TEXT, all));
            }
        }
        return b.build();
    }

    /** One string from the four bytes at {@code at}: a shape, a pick from {@code pool}, a length. */
    private String text(int at, List<String> pool) {
        int raw = (u8(at + 2) << 8) | u8(at + 3);
        // Short strings (edited in place) as often as long ones (moved into the added segment).
        int length = 1 + ((raw & 0x8000) != 0 ? raw % 2500 : raw % 48);
        String picked = pool.isEmpty() ? "libc.so.6" : pool.get(u8(at + 1) % pool.size());
        return switch (u8(at) % 6) {
            case 0 -> fresh(length);
            case 1 -> picked;
            case 2 -> picked.substring(length % picked.length());
            case 3 -> picked + fresh(length);
            case 4 -> "/nix/store/" + "é".repeat(length);
            default -> picked + ":" + fresh(length);
        };
    }

    /** A store-path-like string of exactly {@code length} characters. */
    private static String fresh(int length) {
        StringBuilder s = new StringBuilder("/nix/store/");
        for (int i = 0; s.length() < length; i++) {
            s.append(STORE_CHARS.charAt(i % STORE_CHARS.length()));
        }
        s.setLength(length);
        return s.toString();
    }

    private static List<String> strings(ElfFile elf) {
        List<String> out = new ArrayList<>();
        elf.interpreter().ifPresent(out::add);
        out.addAll(elf.needed());
        elf.runPath().ifPresent(out::add);
        elf.rPath().ifPresent(out::add);
        elf.soname().ifPresent(out::add);
        for (VersionNeed need : elf.versionNeeds()) {
            out.add(need.file());
            out.addAll(need.versionNames());
        }
        elf.versionDefinitions().forEach(d -> out.addAll(d.names()));
        out.removeIf(String::isEmpty);
        return out;
    }
}
