package dev.elfmend.elf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The changes requested for one file. All of them are laid out together, so several edits in one
 * call cost one layout. A run path of {@code null} leaves it alone; {@link #removeRunPath()} drops it.
 */
public final class ElfEdits {

    /**
     * DT_RUNPATH or DT_RPATH. ld.so searches DT_RPATH also for the needs of the libraries an executable
     * loads, DT_RUNPATH only for the file's own needs; users need the choice.
     */
    public enum RunPathTag {
        /** Keep the tag the file already uses; DT_RUNPATH when it has neither. */
        KEEP_EXISTING,
        /** Always DT_RUNPATH (converts an existing DT_RPATH, as patchelf does by default). */
        RUNPATH,
        /** Always DT_RPATH (patchelf's --force-rpath). */
        RPATH
    }

    /** One rename of a needed version: library file, old version name, new version name. */
    public record VersionRename(String library, String from, String to) {
        public VersionRename {
            Objects.requireNonNull(library);
            Objects.requireNonNull(from);
            Objects.requireNonNull(to);
        }
    }

    private final String interpreter;
    private final String runPath;
    private final boolean removeRunPath;
    private final RunPathTag runPathTag;
    private final List<String> addNeeded;
    private final Set<String> removeNeeded;
    private final Map<String, String> replaceNeeded;
    private final String soname;
    private final List<VersionRename> versionRenames;
    private final long pageSize;

    private ElfEdits(Builder b) {
        this.interpreter = b.interpreter;
        this.runPath = b.runPath;
        this.removeRunPath = b.removeRunPath;
        this.runPathTag = b.runPathTag;
        this.addNeeded = List.copyOf(b.addNeeded);
        this.removeNeeded = Set.copyOf(b.removeNeeded);
        this.replaceNeeded = Map.copyOf(b.replaceNeeded);
        this.soname = b.soname;
        this.versionRenames = List.copyOf(b.versionRenames);
        this.pageSize = b.pageSize;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Optional<String> interpreter() { return Optional.ofNullable(interpreter); }
    public Optional<String> runPath() { return Optional.ofNullable(runPath); }
    public boolean removeRunPath() { return removeRunPath; }
    /** Which tag a set run path is written with. */
    public RunPathTag runPathTag() { return runPathTag; }
    public List<String> addNeeded() { return addNeeded; }
    public Set<String> removeNeeded() { return removeNeeded; }
    public Map<String, String> replaceNeeded() { return replaceNeeded; }
    public Optional<String> soname() { return Optional.ofNullable(soname); }
    public List<VersionRename> versionRenames() { return versionRenames; }
    /** Alignment for a segment elfmend adds; 0 means the machine's largest page size. */
    public long pageSize() { return pageSize; }

    public boolean isEmpty() {
        return interpreter == null && runPath == null && !removeRunPath && addNeeded.isEmpty()
                && removeNeeded.isEmpty() && replaceNeeded.isEmpty() && soname == null && versionRenames.isEmpty();
    }

    /** Collects edits; later calls for the same thing replace earlier ones. */
    public static final class Builder {
        private String interpreter;
        private String runPath;
        private boolean removeRunPath;
        private RunPathTag runPathTag = RunPathTag.KEEP_EXISTING;
        private final List<String> addNeeded = new ArrayList<>();
        private final Set<String> removeNeeded = new LinkedHashSet<>();
        private final Map<String, String> replaceNeeded = new LinkedHashMap<>();
        private String soname;
        private final List<VersionRename> versionRenames = new ArrayList<>();
        private long pageSize;

        public Builder interpreter(String path) {
            this.interpreter = requireString(path, "interpreter");
            return this;
        }

        public Builder runPath(String path) {
            this.runPath = requireNoNul(Objects.requireNonNull(path, "run path"), "run path");
            this.removeRunPath = false;
            return this;
        }

        public Builder removeRunPath() {
            this.runPath = null;
            this.removeRunPath = true;
            return this;
        }

        public Builder runPathTag(RunPathTag tag) {
            this.runPathTag = Objects.requireNonNull(tag, "tag");
            return this;
        }

        public Builder addNeeded(String library) {
            addNeeded.add(requireString(library, "needed library"));
            return this;
        }

        public Builder removeNeeded(String library) {
            removeNeeded.add(requireString(library, "needed library"));
            return this;
        }

        public Builder replaceNeeded(String from, String to) {
            replaceNeeded.put(requireString(from, "needed library"), requireString(to, "needed library"));
            return this;
        }

        public Builder soname(String name) {
            this.soname = requireString(name, "soname");
            return this;
        }

        public Builder renameVersionNeed(String library, String from, String to) {
            versionRenames.add(new VersionRename(requireString(library, "library"), requireString(from, "version"),
                    requireString(to, "version")));
            return this;
        }

        public Builder pageSize(long size) {
            if (size < 0 || (size != 0 && Long.bitCount(size) != 1)) {
                throw new IllegalArgumentException("page size must be a power of two: " + size);
            }
            this.pageSize = size;
            return this;
        }

        public ElfEdits build() {
            return new ElfEdits(this);
        }

        private static String requireString(String s, String what) {
            Objects.requireNonNull(s, what);
            if (s.isEmpty()) {
                throw new IllegalArgumentException(what + " must not be empty");
            }
            return requireNoNul(s, what);
        }

        private static String requireNoNul(String s, String what) {
            if (s.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(what + " must not contain a NUL character");
            }
            return s;
        }
    }
}
