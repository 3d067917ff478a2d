package dev.elfmend.resolve;

import dev.elfmend.elf.ElfFile;
import dev.elfmend.elf.LinkKind;
import dev.elfmend.elf.VersionNeed;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the resolver needs to know about one binary, and where it lives inside the root.
 *
 * @param pathInRoot the file's path as seen inside the root
 * @param versionNeeds library -> versions it needs from it
 * @param dlopenSonames libraries named by .note.dlopen metadata
 */
public record BinaryFacts(String pathInRoot, int elfClass, boolean bigEndian, int machine, int osAbi,
                          LinkKind linkKind, String interpreter, List<String> needed, String runPath,
                          String rPath, Map<String, List<String>> versionNeeds, List<String> dlopenSonames) {

    public static BinaryFacts of(String pathInRoot, ElfFile elf) {
        Map<String, List<String>> needs = new LinkedHashMap<>();
        for (VersionNeed n : elf.versionNeeds()) {
            needs.put(n.file(), n.versionNames());
        }
        return new BinaryFacts(pathInRoot, elf.header().elfClass().ordinal() + 1, elf.header().bigEndian(),
                elf.header().machine().code(), elf.header().osAbi(), elf.linkKind(), elf.interpreter().orElse(null),
                elf.needed(), elf.runPath().orElse(null), elf.rPath().orElse(null), needs,
                DlopenNotes.sonames(elf.dlopenMetadata()));
    }

    public boolean elf64() {
        return elfClass == 2;
    }

    public String directory() {
        int slash = pathInRoot.lastIndexOf('/');
        return slash <= 0 ? "/" : pathInRoot.substring(0, slash);
    }

    /** The effective search path entries as stored: RUNPATH if present (the loader then ignores RPATH). */
    public List<String> searchEntries() {
        String path = runPath != null ? runPath : rPath;
        List<String> out = new ArrayList<>();
        if (path != null) {
            for (String e : path.split(":")) {
                if (!e.isEmpty()) {
                    out.add(e);
                }
            }
        }
        return out;
    }
}
