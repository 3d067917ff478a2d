package dev.elfmend.testing;

import java.nio.file.Path;
import java.util.List;

/**
 * A mix of foreign x86-64 ELF files that all need patching in a {@link NixRoot}: gcc-built executables
 * (PIE, non-PIE, one with a glibc symbol version) and a library that needs libm, plus real binaries of
 * the kinds an editor server downloads (a Node addon and sharp's 18 MB libvips from npm, protoc from
 * Maven Central), from 15 KB to 18 MB. Each kind says how to run it and what it prints, when it runs alone.
 */
public final class ForeignBinaries {

    private static final Path C_SOURCES = Path.of("src", "test", "c").toAbsolutePath();

    private ForeignBinaries() {
    }

    /** One kind of file: its name in a tree, the file to copy, and (for executables) what it prints when run with {@code args}. */
    public record Kind(String fileName, Path source, List<String> args, String outputPrefix) {
        public boolean runnable() {
            return outputPrefix != null;
        }
    }

    /** Every kind; gcc output that needs building goes to {@code scratch}. */
    public static List<Kind> kinds(Path scratch) {
        Path libm = NixRoot.gcc(scratch.resolve("libgreetm.so.1"), List.of("-shared", "-fPIC",
                "-Wl,-soname,libgreetm.so.1", C_SOURCES.resolve("greet.c").toString(), "-Wl,--no-as-needed", "-lm"));
        Path vips = RegistryBinaries.sharpLibvips();
        return List.of(
                new Kind("hello", Fixtures.compile("hello", Fixtures.Variant.PIE), List.of(), Fixtures.HELLO_OUTPUT),
                new Kind("hello-nopie", Fixtures.compile("hello", Fixtures.Variant.NO_PIE), List.of(),
                        Fixtures.HELLO_OUTPUT),
                new Kind("sigmask", Fixtures.glibcVersioned(), List.of(), "sigmask ok"),
                new Kind("libgreetm.so.1", libm, null, null),
                new Kind("watcher.node", RegistryBinaries.parcelWatcher(), null, null),
                new Kind("protoc", RegistryBinaries.protoc("linux-x86_64"), List.of("--version"),
                        "libprotoc " + RegistryBinaries.PROTOC_DYNAMIC),
                new Kind(vips.getFileName().toString(), vips, null, null));
    }
}
