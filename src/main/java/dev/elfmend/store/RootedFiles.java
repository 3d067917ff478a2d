package dev.elfmend.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Resolves paths as seen inside a root (a container rootfs, a chroot) to host paths, following
 * symlinks the way the loader inside that root would: absolute link targets are taken relative to
 * the root, and no resolution ever leaves it.
 */
public final class RootedFiles {

    private static final int MAX_LINKS = 40;

    private RootedFiles() {}

    /** Host path for {@code pathInRoot} with every symlink resolved inside {@code root}; null if it does not exist. */
    public static Path resolve(Path root, String pathInRoot) {
        Deque<String> pending = new ArrayDeque<>();
        push(pending, pathInRoot);
        Deque<String> done = new ArrayDeque<>();
        int links = 0;
        while (!pending.isEmpty()) {
            String part = pending.pop();
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!done.isEmpty()) {
                    done.removeLast();
                }
                continue;
            }
            Path host = toHost(root, done, part);
            if (Files.isSymbolicLink(host)) {
                if (++links > MAX_LINKS) {
                    return null;
                }
                String target;
                try {
                    target = Files.readSymbolicLink(host).toString();
                } catch (IOException e) {
                    return null;
                }
                if (target.startsWith("/")) {
                    done.clear();
                }
                push(pending, target);
                continue;
            }
            if (!Files.exists(host, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            done.addLast(part);
        }
        return toHost(root, done, null);
    }

    /** The path as seen inside the root that {@code pathInRoot} resolves to, or null. */
    public static String resolveInRoot(Path root, String pathInRoot) {
        Path host = resolve(root, pathInRoot);
        if (host == null) {
            return null;
        }
        Path rel = root.toAbsolutePath().normalize().relativize(host.toAbsolutePath().normalize());
        return "/" + rel.toString();
    }

    /** The path inside the root of a host path under it, or null when it is not under the root. */
    public static String inRoot(Path root, Path host) {
        Path r = root.toAbsolutePath().normalize();
        Path h = host.toAbsolutePath().normalize();
        if (!h.startsWith(r)) {
            return null;
        }
        String rel = r.relativize(h).toString();
        return "/" + rel;
    }

    /** The host path of a path inside the root, without resolving links. */
    public static Path host(Path root, String pathInRoot) {
        String rel = pathInRoot.startsWith("/") ? pathInRoot.substring(1) : pathInRoot;
        return rel.isEmpty() ? root : root.resolve(rel);
    }

    private static void push(Deque<String> pending, String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            pending.push(parts[i]);
        }
    }

    private static Path toHost(Path root, Deque<String> done, String next) {
        Path p = root;
        for (String d : done) {
            p = p.resolve(d);
        }
        return next == null ? p : p.resolve(next);
    }
}
