package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random sequences of edits on randomly linked chain executables. A model says what the file must
 * say after each step; after every step readelf agrees with the model, our own layout check finds nothing,
 * and the program runs and proves both libraries loaded exactly when its search path names their directory
 * (and fails to find libfoo when it does not). Seeds: {@code -Delfmend.propertySeeds=N} (default 12), and
 * {@code -Delfmend.propertySeed=S} to replay one.
 */
class RewritePropertyTest {

    private static final int STEPS = 30;
    private static final List<String> LIBRARIES = List.of("libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1");

    static Stream<Long> seeds() {
        String one = System.getProperty("elfmend.propertySeed");
        if (one != null && !one.isBlank()) {
            return Stream.of(Long.parseLong(one));
        }
        int count = Integer.getInteger("elfmend.propertySeeds", 12);
        return IntStream.range(0, count).mapToObj(i -> 0x5eed0000L + i);
    }

    /** What the file must say: the expected readelf facts, and whether the search path finds the libraries. */
    private static final class Model {
        String interpreter;
        final List<String> needed = new ArrayList<>();
        String runpath;
        String rpath;
        String soname;

        boolean findsLibraries(Path libDir) {
            String path = runpath != null ? runpath : rpath;
            return path != null && List.of(path.split(":")).contains(libDir.toString());
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomEditSequencesKeepTheProgramRunning(long seed, @TempDir Path dir) throws IOException {
        Random random = new Random(seed);
        boolean m32 = random.nextInt(4) == 0;
        if (m32) {
            Requirements.require(Fixtures.gccM32Works(), "32-bit compiler (gcc -m32)", "apt-get install -y gcc-multilib");
        }
        List<String> flags = linkFlags(random, m32);
        Path libDir = Binaries.longDirectory(dir.resolve("libs"), 60 + random.nextInt(120));
        Path exe = buildChain(dir, libDir, flags, m32);
        List<Path> loaders = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int length = 20 + random.nextInt(240);
            loaders.add(Binaries.hostLoaderCopy(exe, Binaries.longDirectory(dir.resolve("loader" + i), length)));
        }
        Model model = new Model();
        ElfFacts start = ElfFacts.of(exe);
        model.interpreter = start.interpreter().orElseThrow();
        model.needed.addAll(start.needed());
        model.runpath = start.runpath().orElse(null);
        model.rpath = start.rpath().orElse(null);
        model.soname = start.soname().orElse(null);

        List<String> history = new ArrayList<>();
        for (int step = 0; step < STEPS; step++) {
            ElfEdits edits = randomEdits(random, model, loaders, libDir);
            history.add(describe(edits));
            String context = "seed " + seed + ", flags " + flags + ", step " + step + ", edits so far:\n  "
                    + String.join("\n  ", history);
            try {
                Binaries.patch(exe, edits);
            } catch (RuntimeException e) {
                throw new AssertionError("patch failed: " + context, e);
            }
            ElfFacts facts = ElfFacts.of(exe);
            assertEquals(Optional.of(model.interpreter), facts.interpreter(), context);
            assertEquals(model.needed, facts.needed(), context);
            assertEquals(Optional.ofNullable(model.runpath), facts.runpath(), context);
            assertEquals(Optional.ofNullable(model.rpath), facts.rpath(), context);
            assertEquals(Optional.ofNullable(model.soname), facts.soname(), context);
            assertEquals(start.versionNeeds(), facts.versionNeeds(), context);
            assertEquals(List.of(), LayoutCheck.check(LayoutCheckTest.read(exe), null), context);

            Processes.Result run = Binaries.run(exe);
            if (model.findsLibraries(libDir)) {
                assertEquals(0, run.exit(), context + "\n" + run.err());
                assertEquals(Fixtures.Chain.OUTPUT, run.out(), context);
            } else {
                assertEquals(127, run.exit(), context + "\n" + run);
                assertTrue(run.err().contains("libfoo.so.1"), context + "\n" + run.err());
            }
        }
    }

    /** One to three edits in one call, applied to the model in the order the engine applies them. */
    private static ElfEdits randomEdits(Random random, Model model, List<Path> loaders, Path libDir) {
        ElfEdits.Builder edits = ElfEdits.builder();
        Set<Integer> kinds = new LinkedHashSet<>();
        int count = 1 + random.nextInt(3);
        while (kinds.size() < count) {
            kinds.add(random.nextInt(7));
        }
        if (kinds.contains(1) && kinds.contains(2)) {
            kinds.remove(2); // setting and removing the run path in one call is not a thing
        }
        // Engine order: replace, remove, add needed; soname; remove or set the run path; interpreter.
        if (kinds.contains(5)) {
            List<String> present = LIBRARIES.stream().filter(model.needed::contains).toList();
            List<String> absent = LIBRARIES.stream().filter(l -> !model.needed.contains(l)).toList();
            if (!present.isEmpty() && !absent.isEmpty()) {
                String from = present.get(random.nextInt(present.size()));
                String to = absent.get(random.nextInt(absent.size()));
                edits.replaceNeeded(from, to);
                model.needed.set(model.needed.indexOf(from), to);
            }
        }
        if (kinds.contains(4)) {
            String library = random.nextBoolean() ? "libabsent.so.3" : LIBRARIES.get(random.nextInt(LIBRARIES.size()));
            edits.removeNeeded(library);
            model.needed.remove(library);
        }
        if (kinds.contains(3)) {
            String library = LIBRARIES.get(random.nextInt(LIBRARIES.size()));
            edits.addNeeded(library);
            if (!model.needed.contains(library)) {
                model.needed.add(0, library);
            }
        }
        if (kinds.contains(6)) {
            String soname = "libprop" + "s".repeat(random.nextInt(60)) + ".so." + random.nextInt(9);
            edits.soname(soname);
            model.soname = soname;
        }
        if (kinds.contains(2)) {
            edits.removeRunPath();
            model.runpath = null;
            model.rpath = null;
        }
        if (kinds.contains(1)) {
            String path = randomSearchPath(random, libDir);
            ElfEdits.RunPathTag tag = ElfEdits.RunPathTag.values()[random.nextInt(3)];
            edits.runPath(path).runPathTag(tag);
            boolean rpath = tag == ElfEdits.RunPathTag.RPATH
                    || (tag == ElfEdits.RunPathTag.KEEP_EXISTING && model.runpath == null && model.rpath != null);
            model.runpath = rpath ? null : path;
            model.rpath = rpath ? path : null;
        }
        if (kinds.contains(0)) {
            String loader = loaders.get(random.nextInt(loaders.size())).toString();
            edits.interpreter(loader);
            model.interpreter = loader;
        }
        return edits.build();
    }

    /** Up to four Nix-store-shaped directories, and (four times in five) the libraries' directory among them. */
    private static String randomSearchPath(Random random, Path libDir) {
        List<String> dirs = new ArrayList<>();
        int junk = random.nextInt(5);
        for (int i = 0; i < junk; i++) {
            StringBuilder hash = new StringBuilder();
            for (int k = 0; k < 32; k++) {
                hash.append("0123456789abcdfghijklmnpqrsvwxyz".charAt(random.nextInt(32)));
            }
            dirs.add("/nix/store/" + hash + "-package-" + "x".repeat(random.nextInt(40)) + "/lib");
        }
        if (random.nextInt(5) != 0) {
            dirs.add(random.nextInt(dirs.size() + 1), libDir.toString());
        }
        return String.join(":", dirs);
    }

    private static List<String> linkFlags(Random random, boolean m32) {
        List<String> flags = new ArrayList<>();
        if (m32) {
            flags.add("-m32");
        }
        flags.addAll(random.nextBoolean() ? List.of("-fPIE", "-pie") : List.of("-fno-pie", "-no-pie"));
        flags.add(pick(random, "-Wl,-z,separate-code", "-Wl,-z,noseparate-code"));
        flags.add(pick(random, "-Wl,-z,relro", "-Wl,-z,norelro"));
        flags.add(pick(random, "-Wl,-z,now", "-Wl,-z,lazy"));
        flags.add(pick(random, "-Wl,--hash-style=gnu", "-Wl,--hash-style=sysv", "-Wl,--hash-style=both"));
        flags.add(pick(random, "-Wl,--build-id", "-Wl,--build-id=none"));
        if (random.nextInt(4) == 0) {
            flags.add("-Wl,-z,max-page-size=0x10000");
        }
        switch (random.nextInt(3)) {
            case 0 -> flags.add("-Wl,--enable-new-dtags,-rpath,/opt/initial/run/path");
            case 1 -> flags.add("-Wl,--disable-new-dtags,-rpath,/opt/initial/rpath");
            default -> { }
        }
        return flags;
    }

    /** libbar and libfoo (RUNPATH $ORIGIN, so it finds libbar beside it) in {@code libDir}; the executable in dir/bin. */
    private static Path buildChain(Path dir, Path libDir, List<String> flags, boolean m32) {
        Requirements.requireTool("gcc");
        Path sources = Path.of("src", "test", "c").toAbsolutePath();
        List<String> arch = m32 ? List.of("-m32") : List.of();
        Path libbar = libDir.resolve("libbar.so.1");
        Path libfoo = libDir.resolve("libfoo.so.1");
        gcc(arch, List.of("-shared", "-fPIC", "-Wl,-soname,libbar.so.1", sources.resolve("bar.c").toString(),
                "-o", libbar.toString()));
        gcc(arch, List.of("-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", "-Wl,--enable-new-dtags,-rpath,$ORIGIN",
                sources.resolve("foo.c").toString(), "-L" + libDir, "-l:libbar.so.1", "-o", libfoo.toString()));
        Path exe = Binaries.longDirectory(dir.resolve("bin"), 0).resolve("chain");
        List<String> args = new ArrayList<>(flags);
        args.addAll(List.of(sources.resolve("chain.c").toString(), "-L" + libDir, "-l:libfoo.so.1",
                "-Wl,-rpath-link," + libDir, "-o", exe.toString()));
        gcc(List.of(), args);
        return exe;
    }

    private static void gcc(List<String> first, List<String> rest) {
        List<String> command = new ArrayList<>();
        command.add("gcc");
        command.addAll(first);
        command.addAll(rest);
        Processes.Result r = Processes.command(command).run();
        if (r.exit() != 0) {
            fail("gcc failed: " + command + "\n" + r.err());
        }
    }

    private static String pick(Random random, String... options) {
        return options[random.nextInt(options.length)];
    }

    private static String describe(ElfEdits e) {
        List<String> parts = new ArrayList<>();
        e.interpreter().ifPresent(i -> parts.add("interpreter " + i.length() + " chars"));
        e.runPath().ifPresent(p -> parts.add(e.runPathTag() + " " + p));
        if (e.removeRunPath()) {
            parts.add("remove run path");
        }
        e.addNeeded().forEach(l -> parts.add("+" + l));
        e.removeNeeded().forEach(l -> parts.add("-" + l));
        e.replaceNeeded().forEach((a, b) -> parts.add(a + "->" + b));
        e.soname().ifPresent(s -> parts.add("soname " + s));
        return String.join(", ", parts);
    }
}
