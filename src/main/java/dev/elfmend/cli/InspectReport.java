package dev.elfmend.cli;

import dev.elfmend.elf.ElfFile;
import dev.elfmend.elf.ElfHeader;
import dev.elfmend.elf.LinkKind;
import dev.elfmend.elf.VersionDefinition;
import dev.elfmend.elf.VersionNeed;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The facts `inspect` shows for one file, as JSON or as a compact text block. */
final class InspectReport {

    private static final int SYMBOLS_SHOWN = 6;

    private final Path path;
    private final ElfFile elf;
    private final Boolean interpreterExists;

    InspectReport(Path path, ElfFile elf, Boolean interpreterExists) {
        this.path = path;
        this.elf = elf;
        this.interpreterExists = interpreterExists;
    }

    Map<String, Object> toJson() throws IOException {
        ElfHeader h = elf.header();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", path.toString());
        m.put("class", h.elfClass().name());
        m.put("endian", h.bigEndian() ? "big" : "little");
        m.put("machine", h.machine().name());
        m.put("osabi", h.osAbiName());
        m.put("type", h.type().name());
        m.put("linkKind", elf.linkKind().name());
        m.put("staticLinking", elf.linkKind().isStatic());
        m.put("interpreter", elf.interpreter().orElse(null));
        m.put("interpreterExists", interpreterExists);
        m.put("needed", elf.needed());
        m.put("runpath", split(elf.runPath().orElse(null)));
        m.put("rpath", split(elf.rPath().orElse(null)));
        m.put("soname", elf.soname().orElse(null));
        Map<String, Object> needs = new LinkedHashMap<>();
        for (VersionNeed need : elf.versionNeeds()) {
            needs.put(need.file(), need.versionNames());
        }
        m.put("versionNeeds", needs);
        m.put("versionSymbols", elf.symbolsByNeededVersion());
        m.put("versionDefinitions", elf.versionDefinitions().stream()
                .filter(d -> !d.isBase()).map(VersionDefinition::name).toList());
        m.put("buildId", elf.buildId().orElse(null));
        m.put("dlopen", elf.dlopenMetadata());
        m.put("trailingPayload", elf.trailingPayloadSize());
        m.put("elfmendPatched", elf.hasElfmendSegment());
        return m;
    }

    void print(PrintWriter out, boolean allSymbols) throws IOException {
        ElfHeader h = elf.header();
        out.println(dev.elfmend.fixup.FileNames.shown(path) + ":");
        out.printf("  type:         %s, %s %s-endian %s, OS/ABI %s%n", describe(elf.linkKind()),
                h.elfClass(), h.bigEndian() ? "big" : "little", h.machine().name(), h.osAbiName());
        elf.interpreter().ifPresent(i -> out.println("  interpreter:  " + shown(i)
                + (Boolean.FALSE.equals(interpreterExists)
                        ? "  (does not exist here: the kernel reports \"No such file or directory\")" : "")));
        elf.soname().ifPresent(s -> out.println("  soname:       " + shown(s)));
        if (!elf.needed().isEmpty()) {
            out.println("  needed:       " + shown(String.join(", ", elf.needed())));
        }
        elf.runPath().ifPresent(r -> out.println("  runpath:      " + shown(r)));
        elf.rPath().ifPresent(r -> out.println("  rpath:        " + shown(r)));
        Map<String, Map<String, List<String>>> bySymbol = elf.symbolsByNeededVersion();
        if (!bySymbol.isEmpty()) {
            out.println("  versions needed:");
            bySymbol.forEach((lib, versions) -> {
                out.println("    " + shown(lib) + ":");
                versions.forEach((version, symbols) -> out.println("      " + shown(version)
                        + shown(symbolList(symbols, allSymbols))));
            });
        }
        List<String> defined = elf.versionDefinitions().stream()
                .filter(d -> !d.isBase()).map(VersionDefinition::name).toList();
        if (!defined.isEmpty()) {
            out.println("  versions defined: " + String.join(", ", defined));
        }
        elf.buildId().ifPresent(b -> out.println("  build id:     " + b));
        for (String dlopen : elf.dlopenMetadata()) {
            out.println("  dlopen:       " + shown(dlopen));
        }
        if (elf.trailingPayloadSize() > 0) {
            out.println("  payload:      " + elf.trailingPayloadSize() + " bytes after the last section and segment");
        }
        if (elf.hasElfmendSegment()) {
            out.println("  patched by elfmend (carries its added segment)");
        }
    }

    /** Strings from the file are shown with control characters escaped, so a hostile file cannot drive the terminal. */
    static String shown(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String symbolList(List<String> symbols, boolean all) {
        if (symbols.isEmpty()) {
            return "";
        }
        if (all || symbols.size() <= SYMBOLS_SHOWN) {
            return ": " + String.join(", ", symbols);
        }
        List<String> shown = new ArrayList<>(symbols.subList(0, SYMBOLS_SHOWN));
        return ": " + String.join(", ", shown) + " and " + (symbols.size() - SYMBOLS_SHOWN) + " more";
    }

    private static String describe(LinkKind kind) {
        return switch (kind) {
            case STATIC_EXECUTABLE -> "static executable";
            case STATIC_PIE -> "static-pie executable";
            case DYNAMIC_EXECUTABLE -> "dynamic executable";
            case SHARED_OBJECT -> "shared object";
            case RELOCATABLE -> "relocatable object";
            case CORE -> "core dump";
            case OTHER -> "unknown type";
        };
    }

    private static List<String> split(String path) {
        return path == null ? null : path.isEmpty() ? List.of() : Arrays.asList(path.split(":", -1));
    }
}
