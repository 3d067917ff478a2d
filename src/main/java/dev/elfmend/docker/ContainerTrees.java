package dev.elfmend.docker;

import dev.elfmend.config.ElfmendConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Which trees to watch inside a container, as host paths under {@code /proc/<pid>/root}: the
 * container's {@code dev.elfmend.trees} label, else the configured trees, else the editor server
 * directories; {@code ~/} means every home in the container ({@code /root} and {@code /home/*}).
 */
public final class ContainerTrees {

    private ContainerTrees() {
    }

    /** Host paths of the trees to watch in {@code container}, whose root is at {@code root} on the host. */
    public static List<Path> of(ContainerInfo container, Path root, List<String> configured) {
        List<String> wanted = OptIn.labelledTrees(container);
        if (wanted.isEmpty()) {
            wanted = configured.isEmpty() ? ElfmendConfig.DEFAULT_TREES : configured;
        }
        Set<Path> out = new LinkedHashSet<>();
        List<String> homes = homes(root);
        for (String tree : wanted) {
            if (tree.startsWith("~/")) {
                for (String home : homes) {
                    out.add(onHost(root, home + "/" + tree.substring(2)));
                }
            } else if (tree.startsWith("/")) {
                out.add(onHost(root, tree));
            }
        }
        return List.copyOf(out);
    }

    /** The host path of a path as seen inside the container. */
    public static Path onHost(Path root, String pathInContainer) {
        String relative = pathInContainer.replaceFirst("^/+", "");
        return relative.isEmpty() ? root : root.resolve(relative).normalize();
    }

    private static List<String> homes(Path root) {
        List<String> homes = new ArrayList<>(List.of("/root"));
        Path home = root.resolve("home");
        if (Files.isDirectory(home, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> s = Files.list(home)) {
                s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted()
                        .forEach(p -> homes.add("/home/" + p.getFileName()));
            } catch (IOException e) {
                // An unreadable /home: the other homes still count.
            }
        }
        return homes;
    }
}
