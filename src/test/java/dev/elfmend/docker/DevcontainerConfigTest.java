package dev.elfmend.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** devcontainer.json as VS Code reads it (JSONC), and the example's settings that make it work. */
class DevcontainerConfigTest {

    @TempDir
    Path work;

    @Test
    void commentsAndTrailingCommasAreJsoncButSlashesInStringsStay() throws IOException {
        Path file = Files.writeString(work.resolve("devcontainer.json"), """
                // leading comment
                {
                  /* block
                     comment */ "build": { "dockerfile": "Dockerfile", },
                  "containerEnv": { "URL": "http://example.org/*x*/", "Q": "say \\"//\\"", },
                  "runArgs": ["--label", "a=b", /* trailing */ ],
                }
                """);

        DevcontainerConfig config = DevcontainerConfig.read(file);

        assertEquals("Dockerfile", config.dockerfile());
        assertEquals(Map.of("URL", "http://example.org/*x*/", "Q", "say \"//\""), config.containerEnv());
        assertEquals(List.of("--label", "a=b"), config.runArgs());
        assertTrue(config.overrideCommand(), "the specification's default");
        assertEquals(work, config.contextDir());
    }

    @Test
    void theExampleKeepsTheImagesEntrypointSoTheWatcherRuns() {
        DevcontainerConfig example = DevcontainerConfig.read(
                ElfmendImage.containerDir().resolve("examples/devcontainer/.devcontainer/devcontainer.json"));

        assertFalse(example.overrideCommand(), "with overrideCommand the image's entrypoint (the watcher) never runs");
        assertTrue(Files.isRegularFile(example.dockerfilePath()), example.dockerfilePath().toString());
        assertTrue(String.join(" ", example.runArgs()).contains(OptIn.ENABLE_LABEL + "=true"), example.runArgs().toString());
    }
}
