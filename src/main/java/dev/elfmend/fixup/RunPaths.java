package dev.elfmend.fixup;

import dev.elfmend.elf.ElfFile;
import dev.elfmend.elf.ElfHeader;
import dev.elfmend.elf.ElfReader;
import dev.elfmend.elf.ByteSources;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Run-path arithmetic that needs the filesystem: which directories actually provide a needed library. */
public final class RunPaths {

    private RunPaths() {}

    /**
     * patchelf's --shrink-rpath: keeps the absolute entries that provide a needed library of the same
     * class and machine that no earlier entry provided (and that start with one of {@code allowedPrefixes},
     * when given). Relative entries ({@code $ORIGIN/...}, {@code lib}) cannot be judged without knowing
     * where the file will live and where it will run from, and are kept, as patchelf keeps them.
     */
    public static String shrink(String runPath, ElfFile elf, Path file, List<String> allowedPrefixes) {
        if (runPath == null) {
            return "";
        }
        List<String> kept = new ArrayList<>();
        Set<String> found = new HashSet<>();
        for (String dir : runPath.split(":")) {
            if (!dir.isEmpty() && !dir.startsWith("/")) {
                kept.add(dir);
                continue;
            }
            if (!allowedPrefixes.isEmpty() && allowedPrefixes.stream().noneMatch(dir::startsWith)) {
                continue;
            }
            if (providesNew(Path.of(dir.isEmpty() ? "/" : dir), elf, found)) {
                kept.add(dir);
            }
        }
        return String.join(":", kept);
    }

    /** True when {@code dir} holds a needed library not in {@code found}; adds what it holds to {@code found}. */
    private static boolean providesNew(Path dir, ElfFile elf, Set<String> found) {
        boolean any = false;
        for (String lib : elf.needed()) {
            if (found.contains(lib)) {
                continue;
            }
            Path candidate = dir.resolve(lib);
            if (Files.isRegularFile(candidate) && compatible(candidate, elf.header())) {
                found.add(lib);
                any = true;
            }
        }
        return any;
    }

    private static boolean compatible(Path candidate, ElfHeader want) {
        try (FileChannel ch = FileChannel.open(candidate, StandardOpenOption.READ)) {
            ElfHeader h = ElfReader.read(ByteSources.of(ch)).header();
            return h.elfClass() == want.elfClass() && h.machine().code() == want.machine().code()
                    && h.byteOrder() == want.byteOrder();
        } catch (IOException e) {
            return false;
        }
    }
}
