package dev.elfmend.fixup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Which files elfmend leaves alone although it could patch them. Privileged files (set-user-ID,
 * set-group-ID, file capabilities) run with rights their caller lacks, so a changed loader or run path
 * there is a changed privilege: only with {@code allowPrivileged}, and then the bits and the capability
 * are kept. A file with other hard links would be split from them by the rename: only with
 * {@code allowHardLinks}, and then with a warning. Running as root over a tree a user owns, only that
 * user's files are touched: another user's file there is not the tree owner's to have changed.
 */
public record FilePolicy(boolean allowPrivileged, boolean allowHardLinks) {

    /** Nothing privileged, nothing hard-linked. */
    public static final FilePolicy DEFAULT = new FilePolicy(false, false);

    /** A file the policy leaves alone; the message says why and how to allow it. */
    public static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;

        RefusedException(String why) {
            super(why);
        }
    }

    /** The uid that must own every file under {@code tree}, or -1 when any owner will do. */
    static int requiredOwner(Path tree) throws IOException {
        if (!LinuxFiles.runningAsRoot()) {
            return -1; // a user cannot replace another user's file under its own owner anyway
        }
        int owner = (Integer) Files.getAttribute(tree, "unix:uid");
        return owner == 0 ? -1 : owner;
    }

    /** A guard that refuses what this policy leaves alone, decided on the file actually opened. */
    ElfPatcher.Guard guard(Path tree, int requiredOwner) {
        return (file, state, capability) -> {
            String why = refusal(tree, requiredOwner, file, state, capability);
            if (why != null) {
                throw new RefusedException(why);
            }
        };
    }

    /** Why {@code file} is left alone, or null when it may be patched. */
    String refusal(Path tree, int requiredOwner, Path file, FileState state, ElfPatcher.Capability capability)
            throws IOException {
        if (requiredOwner >= 0 && state.uid() != requiredOwner) {
            return "owned by " + user(file, state.uid()) + ", not by " + user(tree, requiredOwner)
                    + " who owns " + FileNames.shown(tree) + "; elfmend running as root patches only the tree "
                    + "owner's files there (chown it to " + user(tree, requiredOwner) + " to have it patched)";
        }
        if (!allowPrivileged) {
            String kind = state.setUid() ? "set-user-ID " + user(file, state.uid()) + " executable"
                    : state.setGid() ? "set-group-ID executable"
                    : capability.read() != null ? "executable with file capabilities (security.capability)" : null;
            if (kind != null) {
                return kind + "; not patched unless privileged files are allowed (--allow-privileged, or "
                        + "\"allowPrivileged\": true in the configuration)";
            }
        }
        if (state.links() > 1 && !allowHardLinks) {
            return "has " + state.links() + " hard links; patching would give this name a new file and leave the "
                    + "other " + (state.links() - 1) + " unpatched; pass --allow-hardlinks (or set \"allowHardLinks\": "
                    + "true) to patch this name anyway";
        }
        return null;
    }

    /** What to say when a file with other hard links was patched: this name no longer shares their file. */
    static String detached(int links) {
        return "had " + links + " hard links: this name now has the patched file, the other " + (links - 1)
                + " still have the unpatched one";
    }

    private static String user(Path file, int uid) {
        if (uid == 0) {
            return "root";
        }
        try {
            String name = Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
            return name.equals(Integer.toString(uid)) ? "uid " + uid : name + " (uid " + uid + ")";
        } catch (IOException | UnsupportedOperationException e) {
            return "uid " + uid;
        }
    }
}
