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
import java.util.List;

/** Run-path arithmetic that needs the filesystem: which directories actually provide a needed library. */
public final class RunPaths {

    private RunPaths() {}

    /**
     * patchelf's --shrink-rpath: keeps the entries that hold at least one needed library of the same
     * class and machine (and that start with one of {@code allowedPrefixes}, when given). Entries with
     * {@code $ORIGIN} cannot be judged without knowing where the file will live and are kept.
     */
    public static String shrink(String runPath, ElfFile elf, Path file, List<String> allowedPrefixes) {
        if (runPath == null) {
            return "";
        }
        List<String> kept = new ArrayList<>();
        for (String dir : runPath.split(":")) {
            if (dir.isEmpty() || kept.contains(dir)) {
                continue;
            }
            if (!allowedPrefixes.isEmpty() && allowedPrefixes.stream().noneMatch(dir::startsWith)) {
                continue;
            }
            if (dir.contains("$ORIGIN") || providesAny(Path.of(dir), elf)) {
                kept.add(dir);
            }
        }
        return String.join(":", kept);
    }

    private static boolean providesAny(Path dir, ElfFile elf) {
        for (String lib : elf.needed()) {
            Path candidate = dir.resolve(lib);
            if (Files.isRegularFile(candidate) && compatible(candidate, elf.header())) {
                return true;
            }
        }
        return false;
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
