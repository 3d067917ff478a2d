package dev.elfmend.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --root DIR}: the filesystem tree the command works on (a container rootfs, an image layer,
 * a chroot). Paths written into or read from binaries are paths as seen inside that root.
 */
final class RootOption {

    @Option(names = "--root", paramLabel = "DIR", defaultValue = "/",
            description = "Operate on the tree mounted at DIR; paths in binaries are as seen inside it. Default: /.")
    Path root;

    /** Whether an absolute path as seen inside the root names an existing file, or null for no path. */
    Boolean resolveInside(String pathInRoot) {
        if (pathInRoot == null || !pathInRoot.startsWith("/")) {
            return null;
        }
        return Files.exists(root.resolve(pathInRoot.substring(1)));
    }
}
