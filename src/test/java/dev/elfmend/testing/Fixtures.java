package dev.elfmend.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;

/**
 * Small ELF files with known properties, compiled from {@code src/test/c} with gcc into
 * {@code target/fixtures/<variant>/}, so tests can check elfmend against files whose every detail we chose.
 * Outputs are reused until their source, inputs or gcc command change; concurrent JVMs may build at once.
 */
public final class Fixtures {

    /** The search path that the RUNPATH and RPATH variants carry. */
    public static final String SEARCH_PATH = "$ORIGIN/../lib:/opt/elfmend-fixture/lib";

    /** What every plain fixture executable prints. */
    public static final String HELLO_OUTPUT = "hello from elfmend fixture\n";

    private static final Path SOURCES = Path.of("src", "test", "c").toAbsolutePath();
    private static final Path OUTPUT = Path.of("target", "fixtures").toAbsolutePath();

    private static Boolean m32Works;

    private Fixtures() {
    }

    /** How one source is compiled; the name is also the directory under {@code target/fixtures}. */
    public enum Variant {
        PIE("pie", "-fPIE", "-pie"),
        NO_PIE("no-pie", "-fno-pie", "-no-pie"),
        /** A shared library {@code lib<name>.so.1} with that soname. */
        SHARED("shared", "-shared", "-fPIC"),
        RUNPATH("runpath", "-Wl,--enable-new-dtags,-rpath," + SEARCH_PATH),
        RPATH("rpath", "-Wl,--disable-new-dtags,-rpath," + SEARCH_PATH),
        SEPARATE_CODE("separate-code", "-Wl,-z,separate-code"),
        NOSEPARATE_CODE("noseparate-code", "-Wl,-z,noseparate-code"),
        STATIC("static", "-static"),
        STATIC_PIE("static-pie", "-static-pie"),
        PIE_32("pie-32", "-m32", "-fPIE", "-pie"),
        NO_PIE_32("no-pie-32", "-m32", "-fno-pie", "-no-pie"),
        SHARED_32("shared-32", "-m32", "-shared", "-fPIC");

        private final String directory;
        private final List<String> flags;

        Variant(String directory, String... flags) {
            this.directory = directory;
            this.flags = List.of(flags);
        }

        public String directory() {
            return directory;
        }

        public boolean is32Bit() {
            return flags.contains("-m32");
        }

        public boolean isShared() {
            return flags.contains("-shared");
        }
    }

    /** A fixture file and a name that tells which one it is (its path under {@code target/fixtures}). */
    public record Fixture(String name, Path path) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** {@code chain} needs libfoo.so.1, which needs libbar.so.1; all three in {@code directory}, no RUNPATH. */
    public record Chain(Path directory, Path executable, Path libfoo, Path libbar) {
        /** What {@code chain} prints (and it exits 0) only when both libraries were loaded. */
        public static final String OUTPUT = "foo+bar=42\n";
    }

    /** Compiles {@code src/test/c/<name>.c}; shared variants produce {@code lib<name>.so.1}. */
    public static synchronized Path compile(String name, Variant variant) {
        if (variant.is32Bit()) {
            require32Bit();
        }
        Path source = source(name + ".c");
        Path dir = OUTPUT.resolve(variant.directory());
        List<String> args = new ArrayList<>(variant.flags);
        String file = name;
        if (variant.isShared()) {
            file = "lib" + name + ".so.1";
            args.add("-Wl,-soname," + file);
        }
        args.add(source.toString());
        return build(dir.resolve(file), List.of(source), args);
    }

    /** {@code libver.so.1}: defines LIBVER_1.0 (ver_one, hidden ver_both) and LIBVER_2.0 (ver_two, default ver_both). */
    public static synchronized Path versionedLibrary() {
        Path source = source("libver.c");
        Path script = source("libver.map");
        return build(OUTPUT.resolve("versioned").resolve("libver.so.1"), List.of(source, script), List.of(
                "-shared", "-fPIC", "-Wl,-soname,libver.so.1", "-Wl,--version-script," + script, source.toString()));
    }

    /** {@code usever}: needs LIBVER_1.0 and LIBVER_2.0 from libver.so.1; prints "ver=23" with it on the library path. */
    public static synchronized Path versionedUser() {
        Path library = versionedLibrary();
        Path source = source("usever.c");
        return build(library.resolveSibling("usever"), List.of(source, library), List.of(
                source.toString(), "-L" + library.getParent(), "-l:libver.so.1"));
    }

    /** {@code sigmask}: calls pthread_sigmask, so it needs GLIBC_2.32 for that symbol; prints "sigmask ok". */
    public static synchronized Path glibcVersioned() {
        Path source = source("sigmask.c");
        return build(OUTPUT.resolve("glibc-versioned").resolve("sigmask"), List.of(source),
                List.of(source.toString()));
    }

    /** The three-level chain for runnability tests; see {@link Chain}. */
    public static synchronized Chain chain() {
        Path dir = OUTPUT.resolve("chain");
        Path bar = source("bar.c");
        Path libbar = build(dir.resolve("libbar.so.1"), List.of(bar),
                List.of("-shared", "-fPIC", "-Wl,-soname,libbar.so.1", bar.toString()));
        Path foo = source("foo.c");
        Path libfoo = build(dir.resolve("libfoo.so.1"), List.of(foo, libbar),
                List.of("-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", foo.toString(), "-L" + dir, "-l:libbar.so.1"));
        Path chain = source("chain.c");
        Path executable = build(dir.resolve("chain"), List.of(chain, libfoo, libbar), List.of(
                chain.toString(), "-L" + dir, "-l:libfoo.so.1", "-Wl,-rpath-link," + dir));
        return new Chain(dir, executable, libfoo, libbar);
    }

    /**
     * Every fixture, for corpus-style tests. The 32-bit ones are left out when {@code gcc -m32} does not
     * work, unless requireAll asks for everything.
     */
    public static List<Fixture> standard() {
        List<Path> paths = new ArrayList<>();
        for (Variant variant : Variant.values()) {
            if (variant.is32Bit() && !gccM32Works() && !Requirements.requireAll()) {
                continue;
            }
            paths.add(compile(variant.isShared() ? "greet" : "hello", variant));
        }
        paths.add(versionedLibrary());
        paths.add(versionedUser());
        paths.add(glibcVersioned());
        Chain chain = chain();
        paths.addAll(List.of(chain.libbar(), chain.libfoo(), chain.executable()));
        return paths.stream().map(p -> new Fixture(OUTPUT.relativize(p).toString(), p)).toList();
    }

    /** True when gcc can build and link 32-bit x86 programs here (gcc-multilib). */
    public static synchronized boolean gccM32Works() {
        if (m32Works == null) {
            Requirements.requireTool("gcc");
            try {
                Path dir = Files.createDirectories(OUTPUT.resolve(".probe"));
                Path probe = Files.createTempFile(dir, "m32-", ".out");
                try {
                    m32Works = Processes.run("gcc", "-m32", "-o", probe.toString(),
                            source("hello.c").toString()).exit() == 0;
                } finally {
                    Files.deleteIfExists(probe);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return m32Works;
    }

    private static void require32Bit() {
        Requirements.require(gccM32Works(), "32-bit compiler (gcc -m32)", "apt-get install -y gcc-multilib");
    }

    private static Path source(String file) {
        Path path = SOURCES.resolve(file);
        if (!Files.isRegularFile(path)) {
            Assertions.fail("fixture source " + path + " is missing; tests must run from the project directory");
        }
        return path;
    }

    /** Runs gcc with {@code args} unless {@code output} is newer than every input and was built by the same command. */
    private static Path build(Path output, List<Path> inputs, List<String> args) {
        Requirements.requireTool("gcc");
        Path stamp = output.resolveSibling("." + output.getFileName() + ".cmd");
        String command = String.join("\n", args);
        try {
            if (upToDate(output, stamp, command, inputs)) {
                return output;
            }
            Files.createDirectories(output.getParent());
            // Not createTempFile: its mode 0600 would carry over into the linked output.
            Path temp = output.resolveSibling("." + output.getFileName() + "." + ProcessHandle.current().pid()
                    + "." + UUID.randomUUID() + ".tmp");
            try {
                List<String> gcc = new ArrayList<>();
                gcc.add("gcc");
                gcc.addAll(args);
                gcc.addAll(List.of("-o", temp.toString()));
                Processes.command(gcc).runOk();
                // Same-directory rename: another JVM sees the old file or the new one, never half of one.
                Files.move(temp, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Path stampTemp = Files.createTempFile(output.getParent(), "." + output.getFileName() + ".", ".tmp");
                Files.writeString(stampTemp, command, StandardCharsets.UTF_8);
                Files.move(stampTemp, stamp, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException("could not build fixture " + output, e);
        }
    }

    private static boolean upToDate(Path output, Path stamp, String command, List<Path> inputs) throws IOException {
        if (!Files.isRegularFile(output) || !Files.isRegularFile(stamp)
                || !Files.readString(stamp, StandardCharsets.UTF_8).equals(command)) {
            return false;
        }
        FileTime built = Files.getLastModifiedTime(output);
        for (Path input : inputs) {
            if (Files.getLastModifiedTime(input).compareTo(built) > 0) {
                return false;
            }
        }
        return true;
    }
}
