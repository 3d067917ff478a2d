package dev.elfmend.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which trees the agent watches in a container, worked out from the container's root as it is now. */
class ContainerTreesTest {

    @TempDir
    Path root;

    private static ContainerInfo container(Map<String, String> labels) {
        return new ContainerInfo("id", "name", 1, true, labels);
    }

    @Test
    void everyHomeCountsAndAHomeCreatedLaterCountsFromThenOn() throws IOException {
        Files.createDirectories(root.resolve("home/alice"));
        List<Path> before = ContainerTrees.of(container(Map.of()), root, List.of("~/.vscode-server"));
        assertEquals(List.of(root.resolve("root/.vscode-server"), root.resolve("home/alice/.vscode-server")), before);

        Files.createDirectories(root.resolve("home/bob"));
        List<Path> after = ContainerTrees.of(container(Map.of()), root, List.of("~/.vscode-server"));
        assertTrue(after.contains(root.resolve("home/bob/.vscode-server")), after.toString());
    }

    @Test
    void theContainersLabelWinsOverTheConfiguredTrees() {
        ContainerInfo labelled = container(Map.of(OptIn.TREES_LABEL, "/opt/tools:relative:/srv/x"));
        assertEquals(List.of(root.resolve("opt/tools"), root.resolve("srv/x")),
                ContainerTrees.of(labelled, root, List.of("~/.vscode-server")));
    }
}
