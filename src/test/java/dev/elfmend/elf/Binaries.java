package dev.elfmend.elf;

import dev.elfmend.fixup.ElfPatcher;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Scratch copies of test binaries, patched through the real engine and run for real. */
public final class Binaries {

    private Binaries() {
    }

    /** Copies {@code file} into {@code dir} (created), keeping its name and mode. */
    public static Path copy(Path file, Path dir) {
        try {
            Files.createDirectories(dir);
            return Files.copy(file, dir.resolve(file.getFileName()), StandardCopyOption.COPY_ATTRIBUTES,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Patches {@code file} in place with elfmend's engine (read, plan, atomic replace, verify). */
    public static ElfPatcher.Result patch(Path file, ElfEdits edits) {
        try {
            return new ElfPatcher(null).patch(file, edits);
        } catch (IOException e) {
            throw new UncheckedIOException("patching " + file + " failed", e);
        }
    }

    /** Runs {@code file} without LD_LIBRARY_PATH; a failed exec (missing interpreter) is exit 127. */
    public static Processes.Result run(Path file, String... args) {
        String[] command = new String[args.length + 1];
        command[0] = file.toString();
        System.arraycopy(args, 0, command, 1, args.length);
        try {
            return Processes.command(command).env("LD_LIBRARY_PATH", "").run();
        } catch (UncheckedIOException e) {
            return new Processes.Result(127, "", String.valueOf(e.getCause()));
        }
    }

    /** A directory under {@code base} whose path is at least {@code length} characters long, created. */
    public static Path longDirectory(Path base, int length) {
        Path dir = base;
        for (int i = 0; dir.toString().length() < length; i++) {
            dir = dir.resolve("a-rather-long-directory-name-" + i);
        }
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A copy, in {@code dir}, of the loader the fixture names (the host's ld.so of its class). */
    public static Path hostLoaderCopy(Path fixture, Path dir) {
        String interpreter = Readelf.programHeaders(fixture).interpreter()
                .orElseThrow(() -> new AssertionError(fixture + " has no interpreter"));
        try {
            Path real = Path.of(interpreter).toRealPath();
            Files.createDirectories(dir);
            return Files.copy(real, dir.resolve(Path.of(interpreter).getFileName()),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the host loader " + interpreter, e);
        }
    }

    /**
     * A program, built into {@code dir}, that dlopens the libvips given as its argument, initialises it and
     * prints "vips MAJOR.MINOR.MICRO" (for sharp's libvips-cpp from npm).
     */
    public static Path vipsProgram(Path dir) {
        Requirements.requireTool("gcc");
        try {
            Path source = Files.writeString(dir.resolve("vips.c"), """
                    #include <dlfcn.h>
                    #include <stdio.h>
                    int main(int argc, char **argv) {
                        void *h = dlopen(argv[1], RTLD_NOW);
                        if (!h) { fprintf(stderr, "%s\\n", dlerror()); return 2; }
                        int (*init)(const char *) = (int (*)(const char *)) dlsym(h, "vips_init");
                        int (*version)(int) = (int (*)(int)) dlsym(h, "vips_version");
                        if (!init || !version || init(argv[0]) != 0) { fprintf(stderr, "no vips\\n"); return 3; }
                        printf("vips %d.%d.%d\\n", version(0), version(1), version(2));
                        return 0;
                    }
                    """);
            Path program = dir.resolve("vips");
            Processes.runOk("gcc", source.toString(), "-o", program.toString(), "-ldl");
            return program;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The chain executable linked without PIE (ET_EXEC at a fixed address), against the chain fixture's
     * libraries; built into {@code dir}.
     */
    public static Path chainNoPie(Path dir) {
        Requirements.requireTool("gcc");
        Fixtures.Chain chain = Fixtures.chain();
        Path source = Path.of("src", "test", "c", "chain.c").toAbsolutePath();
        Path out = dir.resolve("chain-no-pie");
        Processes.runOk("gcc", "-fno-pie", "-no-pie", source.toString(), "-L" + chain.directory(),
                "-l:libfoo.so.1", "-Wl,-rpath-link," + chain.directory(), "-o", out.toString());
        return out;
    }
}
