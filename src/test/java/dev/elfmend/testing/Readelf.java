package dev.elfmend.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What binutils' {@code readelf -W} says about a file, parsed into records: the reference our own ELF
 * reader and writer are compared against. The {@code parse*} methods take readelf's text, so they are
 * testable without running it.
 */
public final class Readelf {

    private static final Pattern SEGMENT = Pattern.compile(
            "^\\s*(\\S+)\\s+0x(\\p{XDigit}+)\\s+0x(\\p{XDigit}+)\\s+0x(\\p{XDigit}+)\\s+0x(\\p{XDigit}+)"
                    + "\\s+0x(\\p{XDigit}+)\\s(.*?)\\s+0x(\\p{XDigit}+)\\s*$");
    private static final Pattern INTERPRETER = Pattern.compile("\\[Requesting program interpreter: (.*)]");
    private static final Pattern DYNAMIC_ENTRY = Pattern.compile("^\\s*0x\\p{XDigit}+ \\((\\S+)\\)\\s+(.*?)\\s*$");
    private static final Pattern NEED_FILE = Pattern.compile("Version: \\d+\\s+File: (\\S+)\\s+Cnt: \\d+");
    private static final Pattern NEED_VERSION = Pattern.compile("Name: (\\S+)\\s+Flags: (.*?)\\s+Version: (\\d+)");
    private static final Pattern DEFINITION = Pattern.compile(
            "Rev: \\d+\\s+Flags: (.*?)\\s+Index: (\\d+)\\s+Cnt: \\d+\\s+Name: (\\S+)");
    private static final Pattern PARENT = Pattern.compile("Parent \\d+: (\\S+)");
    private static final Pattern SYMBOL = Pattern.compile(
            "^\\s*\\d+: (\\p{XDigit}+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+(?: \\[[^\\]]*])?)\\s+(\\S+)\\s?(.*)$");
    private static final Pattern VERSION_INDEX_SUFFIX = Pattern.compile(" \\(\\d+\\)$");

    private Readelf() {
    }

    /** The ELF header; {@code type} is the first word readelf prints (EXEC, DYN, REL, CORE). */
    public record Header(String elfClass, String data, String osAbi, String type, String machine, long entry,
                         long phoff, long shoff, int phnum, int shnum, int shstrndx) {
        public boolean littleEndian() {
            return data.contains("little endian");
        }
    }

    /** One program header; {@code flags} are the letters R, W, E without spaces ("RE", "RW", "R"). */
    public record Segment(String type, long offset, long vaddr, long paddr, long filesz, long memsz, String flags,
                          long align) {
    }

    public record ProgramHeaders(List<Segment> segments, Optional<String> interpreter) {
        public List<Segment> ofType(String type) {
            return segments.stream().filter(s -> s.type().equals(type)).toList();
        }
    }

    /** The dynamic section; {@code flags} and {@code flags1} are the text after the tag, e.g. "Flags: NOW PIE". */
    public record Dynamic(List<String> needed, Optional<String> soname, Optional<String> runpath,
                          Optional<String> rpath, Optional<String> flags, Optional<String> flags1,
                          Map<String, List<String>> entries) {
    }

    /** One {@code .gnu.version_r} entry: the versions needed from {@code file}, in the file's order. */
    public record VersionNeed(String file, List<NeededVersion> versions) {
        public List<String> names() {
            return versions.stream().map(NeededVersion::name).toList();
        }
    }

    /** One needed version: {@code other} is the version index symbols refer to (readelf's "Version:"). */
    public record NeededVersion(String name, String flags, int other) {
        /** vna_hash, which readelf does not print: the System V ELF hash of the name, as the linker wrote it. */
        public long hash() {
            long h = 0;
            for (byte b : name.getBytes(StandardCharsets.ISO_8859_1)) {
                h = (h << 4) + (b & 0xff);
                long g = h & 0xf0000000L;
                h ^= g >>> 24;
                h &= ~g;
            }
            return h;
        }
    }

    /** One {@code .gnu.version_d} entry; the BASE entry's name is the soname. */
    public record VersionDefinition(int index, String flags, String name, List<String> parents) {
    }

    /**
     * One {@code .dynsym} entry (the list keeps entry 0, so list index = symbol index). {@code version} is empty when unversioned; {@code defaultVersion} is true
     * for {@code name@@VERSION} (a defined default). A defined {@code name@VERSION} is hidden; undefined
     * references always print a single {@code @}.
     */
    public record DynamicSymbol(String name, String version, boolean defaultVersion, String type, String bind,
                                String visibility, String section) {
        public boolean defined() {
            return !section.equals("UND");
        }

        /** As readelf prints it: {@code name}, {@code name@VERSION} or {@code name@@VERSION}. */
        public String versioned() {
            return version.isEmpty() ? name : name + (defaultVersion ? "@@" : "@") + version;
        }
    }

    public static Header header(Path file) {
        return parseHeader(run("-h", file));
    }

    public static ProgramHeaders programHeaders(Path file) {
        return parseProgramHeaders(run("-l", file));
    }

    public static Dynamic dynamic(Path file) {
        return parseDynamic(run("-d", file));
    }

    public static List<VersionNeed> versionNeeds(Path file) {
        return parseVersionNeeds(run("-V", file));
    }

    public static List<VersionDefinition> versionDefinitions(Path file) {
        return parseVersionDefinitions(run("-V", file));
    }

    public static List<DynamicSymbol> dynamicSymbols(Path file) {
        return parseDynamicSymbols(run("--dyn-syms", file));
    }

    public static Header parseHeader(String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : text.lines().toList()) {
            int colon = line.indexOf(':');
            if (line.startsWith("  ") && colon > 0) {
                fields.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
        }
        return new Header(field(fields, "Class"), field(fields, "Data"), field(fields, "OS/ABI"),
                field(fields, "Type").split(" ")[0], field(fields, "Machine"),
                number(field(fields, "Entry point address")), number(field(fields, "Start of program headers")),
                number(field(fields, "Start of section headers")),
                (int) number(field(fields, "Number of program headers")),
                (int) number(field(fields, "Number of section headers")),
                (int) number(field(fields, "Section header string table index")));
    }

    public static ProgramHeaders parseProgramHeaders(String text) {
        List<Segment> segments = new ArrayList<>();
        String interpreter = null;
        for (String line : text.lines().toList()) {
            Matcher m = SEGMENT.matcher(line);
            Matcher interp = INTERPRETER.matcher(line);
            if (m.matches()) {
                segments.add(new Segment(m.group(1), hex(m.group(2)), hex(m.group(3)), hex(m.group(4)),
                        hex(m.group(5)), hex(m.group(6)), m.group(7).replace(" ", ""), hex(m.group(8))));
            } else if (interp.find()) {
                interpreter = interp.group(1);
            }
        }
        return new ProgramHeaders(List.copyOf(segments), Optional.ofNullable(interpreter));
    }

    public static Dynamic parseDynamic(String text) {
        Map<String, List<String>> entries = new LinkedHashMap<>();
        for (String line : text.lines().toList()) {
            Matcher m = DYNAMIC_ENTRY.matcher(line);
            if (m.matches()) {
                entries.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(m.group(2));
            }
        }
        List<String> needed = entries.getOrDefault("NEEDED", List.of()).stream().map(Readelf::bracketed).toList();
        return new Dynamic(needed, first(entries, "SONAME").map(Readelf::bracketed),
                first(entries, "RUNPATH").map(Readelf::bracketed), first(entries, "RPATH").map(Readelf::bracketed),
                first(entries, "FLAGS"), first(entries, "FLAGS_1"), entries);
    }

    public static List<VersionNeed> parseVersionNeeds(String text) {
        List<VersionNeed> needs = new ArrayList<>();
        String file = null;
        List<NeededVersion> versions = null;
        for (String line : section(text, "Version needs section")) {
            Matcher need = NEED_FILE.matcher(line);
            Matcher version = NEED_VERSION.matcher(line);
            if (need.find()) {
                if (file != null) {
                    needs.add(new VersionNeed(file, List.copyOf(versions)));
                }
                file = need.group(1);
                versions = new ArrayList<>();
            } else if (version.find() && versions != null) {
                versions.add(new NeededVersion(version.group(1), version.group(2),
                        Integer.parseInt(version.group(3))));
            }
        }
        if (file != null) {
            needs.add(new VersionNeed(file, List.copyOf(versions)));
        }
        return List.copyOf(needs);
    }

    public static List<VersionDefinition> parseVersionDefinitions(String text) {
        List<VersionDefinition> definitions = new ArrayList<>();
        for (String line : section(text, "Version definition section")) {
            Matcher definition = DEFINITION.matcher(line);
            Matcher parent = PARENT.matcher(line);
            if (definition.find()) {
                definitions.add(new VersionDefinition(Integer.parseInt(definition.group(2)), definition.group(1),
                        definition.group(3), new ArrayList<>()));
            } else if (parent.find() && !definitions.isEmpty()) {
                definitions.getLast().parents().add(parent.group(1));
            }
        }
        return definitions.stream()
                .map(d -> new VersionDefinition(d.index(), d.flags(), d.name(), List.copyOf(d.parents())))
                .toList();
    }

    public static List<DynamicSymbol> parseDynamicSymbols(String text) {
        List<DynamicSymbol> symbols = new ArrayList<>();
        for (String line : section(text, "Symbol table '.dynsym'")) {
            Matcher m = SYMBOL.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String name = VERSION_INDEX_SUFFIX.matcher(m.group(7)).replaceFirst("");
            String version = "";
            boolean defaultVersion = false;
            int at = name.indexOf('@');
            if (at >= 0) {
                defaultVersion = name.startsWith("@@", at);
                version = name.substring(at + (defaultVersion ? 2 : 1));
                name = name.substring(0, at);
            }
            symbols.add(new DynamicSymbol(name, version, defaultVersion, m.group(3), m.group(4), m.group(5),
                    m.group(6)));
        }
        return List.copyOf(symbols);
    }

    private static String run(String option, Path file) {
        Requirements.requireTool("readelf");
        return Processes.command("readelf", "-W", option, file.toString()).env("LC_ALL", "C").runOk().out();
    }

    /** The lines of the section whose heading starts with {@code heading}, up to the next heading. */
    private static List<String> section(String text, String heading) {
        List<String> lines = new ArrayList<>();
        boolean inside = false;
        for (String line : text.lines().toList()) {
            boolean isHeading = !line.startsWith(" ") && !line.isBlank();
            if (isHeading) {
                inside = line.startsWith(heading);
            } else if (inside) {
                lines.add(line);
            }
        }
        return lines;
    }

    private static String field(Map<String, String> fields, String name) {
        String value = fields.get(name);
        if (value == null) {
            throw new IllegalArgumentException("readelf output has no '" + name + "' line");
        }
        return value;
    }

    private static Optional<String> first(Map<String, List<String>> entries, String tag) {
        return Optional.ofNullable(entries.get(tag)).map(List::getFirst);
    }

    private static String bracketed(String value) {
        int open = value.indexOf('[');
        int close = value.lastIndexOf(']');
        return open >= 0 && close > open ? value.substring(open + 1, close) : value;
    }

    /** The leading number of a header value: "0x1060", "52 (bytes into file)", "0 (65555)". */
    private static long number(String value) {
        String token = value.split("[\\s,]")[0];
        return token.startsWith("0x") ? hex(token.substring(2)) : Long.parseLong(token);
    }

    private static long hex(String digits) {
        return Long.parseUnsignedLong(digits, 16);
    }
}
