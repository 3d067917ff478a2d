package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.cli.CliRun;
import dev.elfmend.elf.Corpus.Sample;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Everything the reader and {@code inspect --json} report agrees with binutils' readelf, for every
 * fixture and for real node, protoc and npm addon binaries of five architectures.
 */
class ReadelfAgreementTest {

    private static final Map<String, String> MACHINES = Map.of(
            "Advanced Micro Devices X86-64", "x86_64",
            "Intel 80386", "i386",
            "AArch64", "aarch64",
            "IBM S/390", "s390x",
            "PowerPC64", "ppc64");
    private static final Map<String, String> OS_ABIS = Map.of(
            "UNIX - System V", "SYSV",
            "UNIX - GNU", "GNU");

    /** readelf runs once per file and option, however many tests ask. */
    private static final Map<String, Object> READELF = new ConcurrentHashMap<>();

    static Stream<Named<Sample>> corpus() {
        return Corpus.all();
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void headerAgrees(Sample sample) throws IOException {
        Path file = sample.path();
        Readelf.Header expected = header(file);
        try (Parsed parsed = Parsed.of(file)) {
            ElfHeader h = parsed.elf.header();
            assertEquals(expected.elfClass(), h.elfClass().name());
            assertEquals(expected.littleEndian(), !h.bigEndian());
            assertEquals(machine(expected), h.machine().name());
            assertEquals(osAbi(expected), h.osAbiName());
            assertEquals(expected.type(), h.type().name());
            assertEquals(expected.entry(), h.entry());
            assertEquals(expected.phoff(), h.phoff());
            assertEquals(expected.shoff(), h.shoff());
            assertEquals(expected.phnum(), h.phnum());
            assertEquals(expected.shnum(), h.shnum());
            assertEquals(expected.shstrndx(), h.shstrndx());
            assertEquals(Files.size(file), parsed.elf.fileSize());
        }
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void programHeadersAgree(Sample sample) throws IOException {
        Path file = sample.path();
        List<Readelf.Segment> expected = programHeaders(file).segments();
        try (Parsed parsed = Parsed.of(file)) {
            List<ProgramHeader> actual = parsed.elf.programHeaders();
            assertEquals(expected.size(), actual.size(), "number of program headers");
            assertFalse(actual.isEmpty());
            for (int i = 0; i < actual.size(); i++) {
                Readelf.Segment e = expected.get(i);
                ProgramHeader p = actual.get(i);
                String where = "program header " + i + " " + e;
                assertEquals(i, p.index(), where);
                if (!p.typeName().startsWith("0x")) {
                    assertEquals(e.type(), p.typeName(), where);
                }
                assertEquals(e.offset(), p.offset(), where);
                assertEquals(e.vaddr(), p.vaddr(), where);
                assertEquals(e.paddr(), p.paddr(), where);
                assertEquals(e.filesz(), p.filesz(), where);
                assertEquals(e.memsz(), p.memsz(), where);
                assertEquals(e.flags(), flagLetters(p.flags()), where);
                assertEquals(e.align(), p.align(), where);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void interpreterAndDynamicSectionAgree(Sample sample) throws IOException {
        Path file = sample.path();
        Readelf.Dynamic expected = dynamic(file);
        try (Parsed parsed = Parsed.of(file)) {
            ElfFile elf = parsed.elf;
            assertEquals(programHeaders(file).interpreter(), elf.interpreter(), "interpreter");
            assertEquals(expected.needed(), elf.needed(), "NEEDED");
            assertEquals(expected.soname(), elf.soname(), "SONAME");
            assertEquals(expected.runpath(), elf.runPath(), "RUNPATH");
            assertEquals(expected.rpath(), elf.rPath(), "RPATH");
            int entries = expected.entries().values().stream().mapToInt(List::size).sum();
            // readelf lists DT_NULL too (once), we stop before it.
            assertEquals(Math.max(0, entries - 1), elf.dynamicEntries().size(), "dynamic entries");
        }
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void versionNeedsAgree(Sample sample) throws IOException {
        Path file = sample.path();
        List<Readelf.VersionNeed> expected = versionNeeds(file);
        try (Parsed parsed = Parsed.of(file)) {
            List<VersionNeed> actual = parsed.elf.versionNeeds();
            assertEquals(expected.stream().map(Readelf.VersionNeed::file).toList(),
                    actual.stream().map(VersionNeed::file).toList(), "libraries versions are needed from");
            for (int i = 0; i < actual.size(); i++) {
                List<Readelf.NeededVersion> e = expected.get(i).versions();
                List<NeededVersion> a = actual.get(i).versions();
                assertEquals(e.stream().map(Readelf.NeededVersion::name).toList(),
                        a.stream().map(NeededVersion::name).toList(), actual.get(i).file());
                for (int k = 0; k < a.size(); k++) {
                    String where = actual.get(i).file() + " " + a.get(k).name();
                    assertEquals(e.get(k).flags(), flagsText(a.get(k).flags()), where + " flags");
                    assertEquals(e.get(k).other(), a.get(k).other(), where + " vna_other");
                    assertEquals(e.get(k).hash(), a.get(k).hash(), where + " vna_hash");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void versionDefinitionsAgree(Sample sample) throws IOException {
        Path file = sample.path();
        List<Readelf.VersionDefinition> expected = versionDefinitions(file);
        try (Parsed parsed = Parsed.of(file)) {
            List<Readelf.VersionDefinition> actual = parsed.elf.versionDefinitions().stream()
                    .map(d -> new Readelf.VersionDefinition(d.index(), flagsText(d.flags()), d.name(),
                            d.names().subList(1, d.names().size())))
                    .toList();
            assertEquals(expected, actual);
            for (VersionDefinition d : parsed.elf.versionDefinitions()) {
                assertEquals(elfHash(d.name()), d.hash(), "vd_hash of " + d.name());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void dynamicSymbolVersionsAgree(Sample sample) throws IOException {
        Path file = sample.path();
        List<Readelf.DynamicSymbol> expected = dynamicSymbols(file);
        try (Parsed parsed = Parsed.of(file)) {
            List<DynamicSymbol> actual = parsed.elf.dynamicSymbols();
            assertEquals(expected.size(), actual.size(), "number of dynamic symbols");
            Map<String, Set<String>> versionsByLibrary = new LinkedHashMap<>();
            for (Readelf.VersionNeed need : versionNeeds(file)) {
                versionsByLibrary.put(need.file(), Set.copyOf(need.names()));
            }
            for (int i = 0; i < actual.size(); i++) {
                Readelf.DynamicSymbol e = expected.get(i);
                DynamicSymbol a = actual.get(i);
                String where = "symbol " + i + " " + e.versioned();
                assertEquals(i, a.index(), where);
                assertEquals(e.name(), a.name(), where);
                assertEquals(e.defined(), a.isDefined(), where + " defined");
                String version = a.version() == null ? "" : a.version();
                if (e.version().isEmpty() && a.isDefined() && a.versionFile() == null && a.name().equals(version)) {
                    // The symbol that defines a version (ABS, named like it): readelf leaves its version out.
                    continue;
                }
                assertEquals(e.version(), version, where + " version");
                if (a.versionFile() != null) {
                    // Needed from a library: undefined, or defined here by a copy relocation; readelf prints one @.
                    assertFalse(e.defaultVersion(), where);
                    assertTrue(versionsByLibrary.getOrDefault(a.versionFile(), Set.of()).contains(version),
                            where + " bound to " + a.versionFile() + ", which readelf says does not provide it");
                } else if (!version.isEmpty()) {
                    assertTrue(a.isDefined(), where + ": undefined versioned symbol without its library");
                    assertEquals(e.defaultVersion(), !a.hidden(), where + " default (@@) or hidden (@)");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void linkKindIsWhatTheFileIsAndWhatReadelfImplies(Sample sample) throws IOException {
        Path file = sample.path();
        boolean hasInterpreter = programHeaders(file).interpreter().isPresent();
        boolean needsLibraries = !dynamic(file).needed().isEmpty();
        boolean pieFlag = dynamic(file).flags1().map(f -> f.contains("PIE")).orElse(false);
        String type = header(file).type();
        try (Parsed parsed = Parsed.of(file)) {
            LinkKind kind = parsed.elf.linkKind();
            assertEquals(sample.kind(), kind);
            switch (kind) {
                case STATIC_EXECUTABLE -> assertTrue(type.equals("EXEC") && !hasInterpreter && !needsLibraries);
                case STATIC_PIE -> assertTrue(type.equals("DYN") && !hasInterpreter && pieFlag && !needsLibraries);
                case DYNAMIC_EXECUTABLE -> assertTrue(hasInterpreter);
                case SHARED_OBJECT -> assertTrue(type.equals("DYN") && !pieFlag);
                default -> throw new AssertionError("unexpected " + kind);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("corpus")
    @SuppressWarnings("unchecked")
    void inspectJsonAgrees(Sample sample) throws IOException {
        Path file = sample.path();
        CliRun run = CliRun.of("inspect", "--json", file.toString());
        assertEquals(0, run.exit(), run.toString());
        assertEquals("", run.err());
        List<Map<String, Object>> reports = run.jsonReports();
        assertEquals(1, reports.size());
        Map<String, Object> json = reports.getFirst();
        Readelf.Header header = header(file);
        Readelf.Dynamic dynamic = dynamic(file);
        assertEquals(file.toString(), json.get("path"));
        assertEquals(header.elfClass(), json.get("class"));
        assertEquals(header.littleEndian() ? "little" : "big", json.get("endian"));
        assertEquals(machine(header), json.get("machine"));
        assertEquals(osAbi(header), json.get("osabi"));
        assertEquals(header.type(), json.get("type"));
        assertEquals(sample.kind().name(), json.get("linkKind"));
        assertEquals(sample.kind().isStatic(), json.get("staticLinking"));
        assertEquals(programHeaders(file).interpreter().orElse(null), json.get("interpreter"));
        assertEquals(dynamic.needed(), json.get("needed"));
        assertEquals(dynamic.runpath().map(ReadelfAgreementTest::split).orElse(null), json.get("runpath"));
        assertEquals(dynamic.rpath().map(ReadelfAgreementTest::split).orElse(null), json.get("rpath"));
        assertEquals(dynamic.soname().orElse(null), json.get("soname"));

        Map<String, Object> needs = new LinkedHashMap<>();
        versionNeeds(file).forEach(n -> needs.put(n.file(), n.names()));
        assertEquals(needs, json.get("versionNeeds"));
        assertEquals(List.copyOf(needs.keySet()),
                List.copyOf(((Map<String, Object>) json.get("versionNeeds")).keySet()), "order of .gnu.version_r");

        assertEquals(versionDefinitions(file).stream().filter(d -> !d.flags().contains("BASE"))
                .map(Readelf.VersionDefinition::name).toList(), json.get("versionDefinitions"));

        // Every symbol readelf shows bound to a needed version appears under it, and nothing else does.
        Set<String> neededNames = versionNeeds(file).stream().flatMap(n -> n.names().stream()).collect(Collectors.toSet());
        Set<String> definedNames = versionDefinitions(file).stream().map(Readelf.VersionDefinition::name)
                .collect(Collectors.toSet());
        Set<String> expectedBindings = dynamicSymbols(file).stream()
                .filter(s -> !s.defaultVersion() && neededNames.contains(s.version())
                        && (!s.defined() || !definedNames.contains(s.version())))
                .map(s -> s.name() + "@" + s.version())
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> actualBindings = new TreeSet<>();
        Map<String, Map<String, List<String>>> bySymbol = (Map<String, Map<String, List<String>>>) json.get("versionSymbols");
        assertEquals(needs.keySet(), bySymbol.keySet());
        bySymbol.forEach((library, versions) -> {
            assertEquals(needs.get(library), List.copyOf(versions.keySet()), library);
            versions.forEach((version, symbols) -> {
                assertEquals(symbols.stream().sorted().distinct().toList(), symbols, "sorted, once each");
                symbols.forEach(s -> actualBindings.add(s + "@" + version));
            });
        });
        assertSameSet(expectedBindings, actualBindings, "symbol bindings to needed versions");

        assertEquals(buildId(file).orElse(null), json.get("buildId"));
        long wordSize = header.elfClass().equals("ELF64") ? 64 : 40;
        long contentEnd = Math.max(header.shoff() + header.shnum() * wordSize, programHeaders(file).segments()
                .stream().mapToLong(s -> s.offset() + s.filesz()).max().orElse(0));
        assertEquals(Math.max(0, Files.size(file) - contentEnd), ((Number) json.get("trailingPayload")).longValue());
        assertEquals(Boolean.FALSE, json.get("elfmendPatched"));
        assertNotNull(json.get("dlopen"));
    }

    private static void assertSameSet(Set<String> expected, Set<String> actual, String what) {
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(actual);
        Set<String> extra = new TreeSet<>(actual);
        extra.removeAll(expected);
        assertTrue(missing.isEmpty() && extra.isEmpty(), what + ": missing " + missing + ", unexpected " + extra);
    }

    private static List<String> split(String path) {
        return List.of(path.split(":", -1));
    }

    private static String machine(Readelf.Header header) {
        String name = MACHINES.get(header.machine());
        if (name == null) {
            throw new AssertionError("test does not know readelf's machine name '" + header.machine() + "'");
        }
        return name;
    }

    private static String osAbi(Readelf.Header header) {
        String name = OS_ABIS.get(header.osAbi());
        if (name == null) {
            throw new AssertionError("test does not know readelf's OS/ABI name '" + header.osAbi() + "'");
        }
        return name;
    }

    /** Segment flags as readelf -W prints them, without spaces. */
    private static String flagLetters(int flags) {
        return ((flags & ProgramHeader.PF_R) != 0 ? "R" : "") + ((flags & ProgramHeader.PF_W) != 0 ? "W" : "")
                + ((flags & ProgramHeader.PF_X) != 0 ? "E" : "");
    }

    /** Version flags as binutils' get_ver_flags prints them. */
    private static String flagsText(int flags) {
        if (flags == 0) {
            return "none";
        }
        List<String> names = new ArrayList<>();
        if ((flags & 1) != 0) {
            names.add("BASE");
        }
        if ((flags & 2) != 0) {
            names.add("WEAK");
        }
        if ((flags & 4) != 0) {
            names.add("INFO");
        }
        if ((flags & ~7) != 0) {
            names.add("<unknown>");
        }
        return String.join(" | ", names);
    }

    private static long elfHash(String name) {
        return new Readelf.NeededVersion(name, "", 0).hash();
    }

    private static Optional<String> buildId(Path file) {
        return memo("n", file, f -> {
            Requirements.requireTool("readelf");
            return Processes.command("readelf", "-W", "-n", f.toString()).env("LC_ALL", "C").runOk().out()
                    .lines().filter(l -> l.contains("Build ID: "))
                    .map(l -> l.substring(l.indexOf("Build ID: ") + "Build ID: ".length()).trim()).findFirst();
        });
    }

    private static Readelf.Header header(Path file) {
        return memo("h", file, Readelf::header);
    }

    private static Readelf.ProgramHeaders programHeaders(Path file) {
        return memo("l", file, Readelf::programHeaders);
    }

    private static Readelf.Dynamic dynamic(Path file) {
        return memo("d", file, Readelf::dynamic);
    }

    private static List<Readelf.VersionNeed> versionNeeds(Path file) {
        return memo("vn", file, Readelf::versionNeeds);
    }

    private static List<Readelf.VersionDefinition> versionDefinitions(Path file) {
        return memo("vd", file, Readelf::versionDefinitions);
    }

    private static List<Readelf.DynamicSymbol> dynamicSymbols(Path file) {
        return memo("s", file, Readelf::dynamicSymbols);
    }

    @SuppressWarnings("unchecked")
    private static <T> T memo(String what, Path file, Function<Path, T> run) {
        return (T) READELF.computeIfAbsent(what + ":" + file, k -> run.apply(file));
    }

    /** A file parsed from an open channel (dynamic symbols are read lazily from it). */
    private record Parsed(FileChannel channel, ElfFile elf) implements AutoCloseable {
        static Parsed of(Path file) throws IOException {
            FileChannel channel = FileChannel.open(file);
            try {
                return new Parsed(channel, ElfReader.read(ByteSources.of(channel)));
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
