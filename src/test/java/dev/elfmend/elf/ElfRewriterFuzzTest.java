package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The editor on mutated files with fuzzer-chosen edits, the way the patcher runs it: read, plan, apply,
 * re-read, check. Acceptable: the input refused with an {@link ElfFormatException}, or the copy not
 * reading back or failing the check (the patcher then refuses to write), or a file that re-reads with
 * exactly what was asked. Every operation must stay inside the planned size, and asking again for the
 * same interpreter, run path or soname must change nothing.
 * Inputs are an ELF file followed by {@value EditChoice#BYTES} bytes that choose the edits (the fuzzer
 * mutates both); the seeds under {@code ElfRewriterFuzzTestInputs} come from {@code make-fuzz-seeds.sh}.
 */
class ElfRewriterFuzzTest {

    @FuzzTest(maxDuration = "2m30s")
    void editsApplyAsRequestedOrAreRefused(FuzzedDataProvider data) throws IOException {
        EditChoice choice = EditChoice.from(data);
        byte[] original = data.consumeRemainingAsBytes();
        ByteSource source = ByteSources.of(original);
        ElfFile before;
        ElfEdits edits;
        Rewrite rewrite;
        try {
            before = ElfReader.read(source);
            edits = choice.edits(before);
            rewrite = ElfRewriter.plan(before, source, edits);
        } catch (ElfFormatException refused) {
            assertFalse(refused.reason() == null || refused.reason().isBlank(), "refused without a reason");
            return;
        }
        Wanted wanted = Wanted.after(before, edits);
        if (rewrite.isNoop()) {
            assertEquals(wanted, Wanted.of(before), "planned nothing, but the file does not say what was asked");
            return;
        }
        byte[] edited = applyInBounds(original, rewrite);
        ElfFile after;
        try {
            after = ElfReader.read(ByteSources.of(edited));
        } catch (ElfFormatException unreadable) {
            // The patcher re-reads its copy before the rename and refuses this one; the original stays. Only
            // inputs whose headers contradict each other get here (see EditPreconditions for those refused
            // up front).
            return;
        }
        List<String> problems = new ArrayList<>(LayoutCheck.check(after, rewrite.expected()));
        problems.removeAll(LayoutCheck.check(before, null));
        if (!problems.isEmpty()) {
            return; // the patcher refuses to write this; the original stays
        }
        assertEquals(wanted, Wanted.of(after), "the rewritten file says something else than was asked for "
                + rewrite.changes());
        if (edits.addNeeded().isEmpty() && edits.removeNeeded().isEmpty() && edits.replaceNeeded().isEmpty()
                && edits.versionRenames().isEmpty() && singleSoname(before)) {
            // Asking again for what the file now says changes nothing (no growth with every run).
            assertTrue(ElfRewriter.plan(after, ByteSources.of(edited), edits).isNoop(), "same edits again changed "
                    + "the file: " + ElfRewriter.plan(after, ByteSources.of(edited), edits).changes());
        }
    }

    /** What the patcher does on disk, in memory: every operation must land inside the planned size. */
    private static byte[] applyInBounds(byte[] original, Rewrite rewrite) {
        // An added segment may need padding up to the largest alignment elfmend accepts (64 MiB), no more.
        assertTrue(rewrite.newSize() >= 0 && rewrite.newSize() < original.length + (130L << 20),
                "implausible new size " + rewrite.newSize());
        for (Rewrite.Op op : rewrite.ops()) {
            assertTrue(op.targetOffset() >= 0 && op.length() >= 0
                    && op.targetOffset() + op.length() <= rewrite.newSize(), "operation outside the new file: " + op);
            if (op instanceof Rewrite.Copy c) {
                assertTrue(c.sourceOffset() >= 0 && c.sourceOffset() + c.length() <= original.length,
                        "copy from outside the original: " + op);
            }
        }
        byte[] edited = Rewrites.applyTo(original, rewrite);
        assertEquals(rewrite.newSize(), edited.length);
        if (rewrite.newSize() == original.length && rewrite.ops().isEmpty()) {
            assertArrayEquals(original, edited);
        }
        return edited;
    }

    /** Of repeated DT_SONAME entries the reader reports the first, and an edit changes only that one. */
    private static boolean singleSoname(ElfFile elf) {
        return elf.dynamicEntries().stream().filter(e -> e.tag() == DynamicEntry.DT_SONAME).count() <= 1;
    }

    /** What a file says about the things elfmend edits. */
    record Wanted(Optional<String> interpreter, List<String> needed, Optional<String> runPath,
                  Optional<String> rPath, Optional<String> soname, Map<String, List<String>> versionNeeds) {

        static Wanted of(ElfFile elf) {
            Map<String, List<String>> needs = new LinkedHashMap<>();
            elf.versionNeeds().forEach(n -> needs.put(n.file(), n.versionNames()));
            return new Wanted(elf.interpreter(), elf.needed(), elf.runPath(), elf.rPath(), elf.soname(), needs);
        }

        /** What {@code elf} must say after {@code edits}, worked out from the request alone. */
        static Wanted after(ElfFile elf, ElfEdits edits) {
            Wanted now = of(elf);
            List<String> needed = new ArrayList<>();
            for (String n : now.needed) {
                needed.add(edits.replaceNeeded().getOrDefault(n, n));
            }
            needed.removeIf(edits.removeNeeded()::contains);
            int at = 0;
            for (String lib : edits.addNeeded()) {
                if (!needed.contains(lib)) {
                    needed.add(at++, lib);
                }
            }
            Optional<String> runPath = now.runPath;
            Optional<String> rPath = now.rPath;
            if (edits.removeRunPath()) {
                runPath = Optional.empty();
                rPath = Optional.empty();
            }
            if (edits.runPath().isPresent()) {
                boolean asRPath = switch (edits.runPathTag()) {
                    case RPATH -> true;
                    case RUNPATH -> false;
                    case KEEP_EXISTING -> now.runPath.isEmpty() && now.rPath.isPresent();
                };
                runPath = asRPath ? Optional.empty() : edits.runPath();
                rPath = asRPath ? edits.runPath() : Optional.empty();
            }
            return new Wanted(edits.interpreter().isPresent() ? edits.interpreter() : now.interpreter,
                    List.copyOf(needed), runPath, rPath, edits.soname().isPresent() ? edits.soname() : now.soname,
                    versionNeeds(elf, edits));
        }

        /** Replaced libraries renamed in the version needs; a renamed version is the last one that matches. */
        private static Map<String, List<String>> versionNeeds(ElfFile elf, ElfEdits edits) {
            List<VersionNeed> needs = elf.versionNeeds();
            List<List<String>> names = new ArrayList<>();
            needs.forEach(n -> names.add(new ArrayList<>(n.versionNames())));
            for (ElfEdits.VersionRename r : edits.versionRenames()) {
                int need = -1;
                int version = -1;
                for (int i = 0; i < needs.size(); i++) {
                    String file = needs.get(i).file();
                    if (file.equals(r.library()) || r.library().equals(edits.replaceNeeded().get(file))) {
                        for (int j = 0; j < names.get(i).size(); j++) {
                            if (needs.get(i).versionNames().get(j).equals(r.from())) {
                                need = i;
                                version = j;
                            }
                        }
                    }
                }
                if (need >= 0) {
                    names.get(need).set(version, r.to());
                }
            }
            Map<String, List<String>> out = new LinkedHashMap<>();
            for (int i = 0; i < needs.size(); i++) {
                String file = needs.get(i).file();
                out.put(edits.replaceNeeded().getOrDefault(file, file), List.copyOf(names.get(i)));
            }
            return out;
        }
    }
}
