package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Fixtures.Variant;
import dev.elfmend.testing.RegistryBinaries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code elfmend inspect}: what it prints, in JSON and for people, and how it exits. */
class InspectCommandTest {

    @TempDir
    Path temp;

    @Test
    void jsonHasEveryRequiredKeyWithItsType() {
        Path pie = Fixtures.compile("hello", Variant.PIE);
        Path library = Fixtures.compile("greet", Variant.SHARED);
        Path statik = Fixtures.compile("hello", Variant.STATIC);
        Path runpath = Fixtures.compile("hello", Variant.RUNPATH);
        CliRun run = CliRun.of("inspect", "--json", pie.toString(), library.toString(), statik.toString(),
                runpath.toString());
        assertEquals(0, run.exit(), run.toString());
        List<Map<String, Object>> reports = run.jsonReports();
        assertEquals(4, reports.size());
        for (Map<String, Object> r : reports) {
            assertInstanceOf(String.class, r.get("path"));
            assertTrue(List.of("ELF32", "ELF64").contains(r.get("class")), r.toString());
            assertTrue(List.of("little", "big").contains(r.get("endian")), r.toString());
            assertInstanceOf(String.class, r.get("machine"));
            assertTrue(List.of("EXEC", "DYN", "REL", "CORE").contains(r.get("type")), r.toString());
            assertTrue(r.containsKey("interpreter")
                    && (r.get("interpreter") == null || r.get("interpreter") instanceof String));
            assertStrings(r.get("needed"));
            assertTrue(r.containsKey("runpath") && (r.get("runpath") == null || isStrings(r.get("runpath"))));
            assertTrue(r.containsKey("rpath") && (r.get("rpath") == null || isStrings(r.get("rpath"))));
            assertTrue(r.containsKey("soname") && (r.get("soname") == null || r.get("soname") instanceof String));
            Map<?, ?> needs = assertInstanceOf(Map.class, r.get("versionNeeds"));
            needs.values().forEach(InspectCommandTest::assertStrings);
            assertInstanceOf(Boolean.class, r.get("staticLinking"));
            assertFalse(r.containsKey("error"));
        }
        assertEquals(List.of(pie.toString(), library.toString(), statik.toString(), runpath.toString()),
                reports.stream().map(r -> r.get("path")).toList(), "one object per file, in argument order");
        assertEquals("x86_64", reports.get(0).get("machine"));
        assertEquals("libgreet.so.1", reports.get(1).get("soname"));
        assertNull(reports.get(1).get("interpreter"));
        assertEquals(Boolean.TRUE, reports.get(2).get("staticLinking"));
        assertEquals(List.of(), reports.get(2).get("needed"));
        assertEquals(Arrays.asList(Fixtures.SEARCH_PATH.split(":")), reports.get(3).get("runpath"));
        assertNull(reports.get(3).get("rpath"));
    }

    @Test
    void aFileThatIsNotElfGetsAnErrorObjectAndTheOthersAreStillReported() throws IOException {
        Path pie = Fixtures.compile("hello", Variant.PIE);
        Path script = Files.writeString(temp.resolve("script.sh"), "#!/bin/sh\necho hi\n");
        Path missing = temp.resolve("missing");
        Path library = Fixtures.compile("greet", Variant.SHARED);
        CliRun run = CliRun.of("inspect", "--json", pie.toString(), script.toString(), missing.toString(),
                library.toString());
        assertEquals(1, run.exit(), run.toString());
        assertEquals("", run.err());
        List<Map<String, Object>> reports = run.jsonReports();
        assertEquals(4, reports.size());
        assertEquals("DYN", reports.get(0).get("type"));
        assertEquals(Map.of("path", script.toString(), "error", "not an ELF file (no ELF magic)"), reports.get(1));
        assertEquals(Map.of("path", missing.toString(), "error", "no such file"), reports.get(2));
        assertEquals("libgreet.so.1", reports.get(3).get("soname"));
    }

    @Test
    void aTruncatedElfGetsAnErrorNamingTheReasonAndTheOffset() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.compile("hello", Variant.PIE));
        Path truncated = Files.write(temp.resolve("truncated"), Arrays.copyOf(bytes, bytes.length / 2));
        CliRun run = CliRun.of("inspect", "--json", truncated.toString());
        assertEquals(1, run.exit(), run.toString());
        String error = (String) run.jsonReports().getFirst().get("error");
        assertTrue(error.contains("section header table") && error.contains("does not fit")
                && error.contains("at offset 0x"), error);
    }

    @Test
    void humanOutputGivesOneLinePerBadFileNamingItAndWhy() throws IOException {
        Path pie = Fixtures.compile("hello", Variant.PIE);
        Path script = Files.writeString(temp.resolve("script.sh"), "#!/bin/sh\necho hi\n");
        CliRun run = CliRun.of("inspect", script.toString(), pie.toString(), temp.toString());
        assertEquals(1, run.exit(), run.toString());
        List<String> lines = run.err().lines().toList();
        assertEquals(2, lines.size(), run.err());
        assertEquals("elfmend: " + script + ": not an ELF file (no ELF magic)", lines.get(0));
        assertTrue(lines.get(1).startsWith("elfmend: " + temp + ": "), lines.get(1));
        assertFalse(run.err().contains("Exception") || run.err().contains("\tat "), run.err());
        assertTrue(run.out().startsWith(pie + ":"), run.out());
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        CliRun run = CliRun.of("inspect", "--frobnicate", Fixtures.compile("hello", Variant.PIE).toString());
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.err().contains("--frobnicate"), run.err());
        assertEquals("", run.out());
    }

    @Test
    void noFileIsAUsageError() {
        CliRun run = CliRun.of("inspect", "--json");
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.err().contains("FILE"), run.err());
    }

    @Test
    void anInterpreterMissingUnderTheRootGetsTheNoSuchFileHint() throws IOException {
        Path pie = Fixtures.compile("hello", Variant.PIE);
        Path nixosRoot = temp.resolve("nixos-root");
        Files.createDirectories(nixosRoot.resolve("nix/store"));
        CliRun missing = CliRun.of("inspect", "--root", nixosRoot.toString(), pie.toString());
        assertEquals(0, missing.exit(), missing.toString());
        assertTrue(missing.out().contains("(does not exist here: the kernel reports \"No such file or directory\")"),
                missing.out());
        CliRun missingJson = CliRun.of("inspect", "--json", "--root", nixosRoot.toString(), pie.toString());
        assertEquals(Boolean.FALSE, missingJson.jsonReports().getFirst().get("interpreterExists"));

        String interpreter = (String) CliRun.of("inspect", "--json", pie.toString()).jsonReports().getFirst()
                .get("interpreter");
        Path fhsLike = temp.resolve("fhs-root");
        Path loader = fhsLike.resolve(interpreter.substring(1));
        Files.createDirectories(loader.getParent());
        Files.writeString(loader, "");
        CliRun present = CliRun.of("inspect", "--root", fhsLike.toString(), pie.toString());
        assertTrue(present.out().contains("interpreter:  " + interpreter + "\n"), present.out());
        assertFalse(present.out().contains("does not exist here"), present.out());
        assertEquals(Boolean.TRUE, CliRun.of("inspect", "--json", "--root", fhsLike.toString(), pie.toString())
                .jsonReports().getFirst().get("interpreterExists"));
    }

    @ParameterizedTest
    @EnumSource(value = Variant.class, names = {"PIE_32", "NO_PIE_32", "SHARED_32"})
    void thirtyTwoBitFilesAreElf32ForI386(Variant variant) {
        Path file = Fixtures.compile(variant.isShared() ? "greet" : "hello", variant);
        CliRun run = CliRun.of("inspect", "--json", file.toString());
        assertEquals(0, run.exit(), run.toString());
        Map<String, Object> report = run.jsonReports().getFirst();
        assertEquals("ELF32", report.get("class"));
        assertEquals("i386", report.get("machine"));
        assertEquals("little", report.get("endian"));
        assertEquals(variant.isShared() ? null : "/lib/ld-linux.so.2", report.get("interpreter"));
        if (!variant.isShared()) {
            assertTrue(((List<?>) report.get("needed")).contains("libc.so.6"), report.toString());
        }
        CliRun human = CliRun.of("inspect", file.toString());
        assertTrue(human.out().contains("ELF32 little-endian i386"), human.out());
    }

    @Test
    void humanOutputShowsTheFactsAtAGlance() {
        Path sigmask = Fixtures.glibcVersioned();
        CliRun run = CliRun.of("inspect", sigmask.toString());
        assertEquals(0, run.exit(), run.toString());
        String out = run.out();
        assertTrue(out.startsWith(sigmask + ":\n"), out);
        assertTrue(out.contains("  type:         dynamic executable, ELF64 little-endian x86_64, OS/ABI SYSV\n"), out);
        assertTrue(out.contains("  interpreter:  /lib64/ld-linux-x86-64.so.2\n"), out);
        assertTrue(out.contains("  needed:       libc.so.6\n"), out);
        assertTrue(out.contains("  versions needed:\n    libc.so.6:\n"), out);
        assertTrue(out.contains("      GLIBC_2.32: pthread_sigmask\n"), out);
        assertTrue(out.matches("(?s).*  build id:     \\p{XDigit}{40}\n.*"), out);
        assertFalse(out.contains("payload"), out);
    }

    @Test
    void humanOutputShowsSearchPathsSonameAndDefinedVersions() {
        assertTrue(CliRun.of("inspect", Fixtures.compile("hello", Variant.RUNPATH).toString()).out()
                .contains("  runpath:      " + Fixtures.SEARCH_PATH + "\n"));
        assertTrue(CliRun.of("inspect", Fixtures.compile("hello", Variant.RPATH).toString()).out()
                .contains("  rpath:        " + Fixtures.SEARCH_PATH + "\n"));
        String library = CliRun.of("inspect", Fixtures.versionedLibrary().toString()).out();
        assertTrue(library.contains("  type:         shared object, "), library);
        assertTrue(library.contains("  soname:       libver.so.1\n"), library);
        assertTrue(library.contains("  versions defined: LIBVER_1.0, LIBVER_2.0\n"), library);
        assertTrue(CliRun.of("inspect", Fixtures.compile("hello", Variant.STATIC).toString()).out()
                .contains("  type:         static executable, "));
        assertTrue(CliRun.of("inspect", Fixtures.compile("hello", Variant.STATIC_PIE).toString()).out()
                .contains("  type:         static-pie executable, "));
    }

    @Test
    void bytesAfterTheLastStructureAreShownAsPayload() throws IOException {
        Path withPayload = temp.resolve("hello-sea");
        Files.copy(Fixtures.compile("hello", Variant.PIE), withPayload);
        Files.write(withPayload, new byte[12345], StandardOpenOption.APPEND);
        assertTrue(CliRun.of("inspect", withPayload.toString()).out()
                .contains("  payload:      12345 bytes after the last section and segment\n"));
        assertEquals(12345L, CliRun.of("inspect", "--json", withPayload.toString()).jsonReports().getFirst()
                .get("trailingPayload"));
    }

    @Test
    void longSymbolListsAreShortenedUnlessAllSymbolsAreAsked() {
        String node = RegistryBinaries.nodeLinux("x64").toString();
        String shortened = CliRun.of("inspect", node).out();
        assertTrue(shortened.matches("(?s).*      GLIBC_2\\.2\\.5: (\\S+, ){5}\\S+ and \\d+ more\n.*"), shortened);
        String all = CliRun.of("inspect", "--all-symbols", node).out();
        assertFalse(all.contains(" more\n"), all);
        assertTrue(all.length() > shortened.length() + 1000);
    }

    private static void assertStrings(Object value) {
        assertTrue(isStrings(value), "expected an array of strings: " + value);
    }

    private static boolean isStrings(Object value) {
        return value instanceof List<?> list && list.stream().allMatch(String.class::isInstance);
    }
}
