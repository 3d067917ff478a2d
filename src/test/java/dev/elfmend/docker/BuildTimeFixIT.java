package dev.elfmend.docker;

import dev.elfmend.testing.DockerEngines;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.RegistryBinaries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 3: {@code docker build} of container/examples/build-fix ({@code RUN elfmend fix --strict
 * /opt/app}) ships binaries that run in the Nix-based image, and fails naming a library that stays
 * unresolved.
 */
class BuildTimeFixIT {

    private static final Duration BUILD = Duration.ofMinutes(5);

    @TempDir
    static Path shared;

    @TempDir
    Path work;

    /** Per test, not per class, so that a missing engine shows as skipped tests with the reason. */
    @BeforeEach
    void image() {
        ElfmendImage.build(shared);
    }

    private Path context(Path app) throws IOException {
        Path ctx = Files.createDirectories(work.resolve("context"));
        Files.copy(ElfmendImage.containerDir().resolve("examples/build-fix/Dockerfile"), ctx.resolve("Dockerfile"));
        Processes.runOk("cp", "-a", app.toString(), ctx.resolve("app").toString());
        return ctx;
    }

    private static Processes.Result build(Path ctx, String tag) {
        // --force-rm: the build that fails on purpose leaves no stopped container in the shared engine.
        return DockerEngines.docker(BUILD, "build", "--force-rm", "--network", "none",
                "--build-arg", "BASE=" + ElfmendImage.BASE, "-t", tag, ctx.toString());
    }

    @Test
    void imageBuiltWithTheFixStepRunsNodeFromNpm() throws IOException {
        Path app = Files.createDirectories(work.resolve("app/bin"));
        Files.copy(RegistryBinaries.nodeLinux("x64"), app.resolve("node"));

        Processes.Result built = build(context(app.getParent()), ElfmendImage.APP_OK);

        assertEquals(0, built.exit(), "docker build:\n" + built.out() + built.err());
        assertTrue(built.out().contains("patched"), built.out());
        Processes.Result run = DockerEngines.dockerOk("run", "--rm", "--network", "none", "--entrypoint",
                "/opt/app/bin/node", ElfmendImage.APP_OK, "-e", "console.log(process.version)");
        assertTrue(run.out().startsWith("v22."), run.out());
    }

    @Test
    void buildFailsNamingTheLibraryThatStaysUnresolved() throws IOException {
        Path libSource = Files.writeString(work.resolve("gone.c"), "int gone(void) { return 0; }\n");
        Path lib = NixRoot.gcc(work.resolve("lib/libelfmendgone.so.1"), List.of("-shared", "-fPIC",
                "-Wl,-soname,libelfmendgone.so.1", libSource.toString()));
        Path app = Files.createDirectories(work.resolve("app/bin"));
        Path source = work.resolve("uses.c");
        Files.writeString(source, "int gone(void);\nint main(void) { return gone(); }\n");
        NixRoot.gcc(app.resolve("uses-gone"), List.of(source.toString(), "-L" + lib.getParent(), "-l:libelfmendgone.so.1"));

        Processes.Result built = build(context(app.getParent()), ElfmendImage.APP_UNRESOLVED);

        assertNotEquals(0, built.exit(), "the build should fail:\n" + built.out());
        String output = built.out() + built.err();
        assertTrue(output.contains("libelfmendgone.so.1"), "output names the library:\n" + output);
        assertTrue(output.contains("elfmend fix --strict"), output);
    }
}
