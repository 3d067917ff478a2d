package dev.elfmend.elf;

import java.util.List;

/**
 * The versions a file needs from one library (an Elf_Verneed entry and its auxiliaries), with the
 * file offset of the entry and its vn_file string offset.
 */
public record VersionNeed(String file, List<NeededVersion> versions, long recordOffset, long fileNameOffset) {

    public VersionNeed {
        versions = List.copyOf(versions);
    }

    public List<String> versionNames() {
        return versions.stream().map(NeededVersion::name).toList();
    }
}
