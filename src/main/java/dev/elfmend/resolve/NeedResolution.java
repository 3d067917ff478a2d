package dev.elfmend.resolve;

import java.util.List;

/**
 * How one needed library is found: already by the binary's own search path (kept), from the store,
 * or not at all, with the reason and the candidates that were turned down.
 */
public record NeedResolution(String name, Kind kind, String path, String reason, List<String> rejected,
                             boolean dlopen) {

    public enum Kind { KEPT, STORE, UNRESOLVED }

    public NeedResolution {
        rejected = List.copyOf(rejected);
    }

    public boolean resolved() {
        return kind != Kind.UNRESOLVED;
    }

    /** The directory the library is found in, or null. */
    public String directory() {
        if (path == null) {
            return null;
        }
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }
}
