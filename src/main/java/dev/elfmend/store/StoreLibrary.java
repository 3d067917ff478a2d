package dev.elfmend.store;

import java.util.List;

/**
 * One shared object in the store, under the file name the loader would look for (a symlink name
 * counts: {@code libfoo.so.1 -> libfoo.so.1.2.3}), with what the resolver needs to judge it without
 * opening it again.
 *
 * @param directory directory as seen inside the root, e.g. {@code /nix/store/<hash>-glibc-2.40/lib}
 * @param requiredVersions versions it needs, as {@code library:VERSION}
 */
public record StoreLibrary(
        String storePath,
        String directory,
        String fileName,
        String soname,
        int elfClass,
        boolean bigEndian,
        int machine,
        int osAbi,
        List<String> versionDefinitions,
        List<String> needed,
        String runPath,
        List<String> requiredVersions) {

    public StoreLibrary {
        versionDefinitions = List.copyOf(versionDefinitions);
        needed = List.copyOf(needed);
        requiredVersions = List.copyOf(requiredVersions);
    }

    /** Versions this library needs from {@code library} (from its own .gnu.version_r). */
    public List<String> versionsNeededFrom(String library) {
        String prefix = library + ":";
        return requiredVersions.stream().filter(v -> v.startsWith(prefix)).map(v -> v.substring(prefix.length()))
                .toList();
    }

    public String path() {
        return directory + "/" + fileName;
    }

    public StorePath store() {
        return new StorePath(storePath);
    }

    public boolean defines(String version) {
        return versionDefinitions.contains(version);
    }
}
