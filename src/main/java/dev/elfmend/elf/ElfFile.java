package dev.elfmend.elf;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What one ELF file says about itself: headers, interpreter, dynamic section, version tables, notes
 * and the bytes past its last structure. Dynamic symbols are read on demand, so the source the file
 * was read from must still be open when {@link #dynamicSymbols()} is first called.
 */
public final class ElfFile {

    private final ElfHeader header;
    private final List<ProgramHeader> programHeaders;
    private final List<SectionHeader> sectionHeaders;
    private final String interpreter;
    private final DynamicInfo dynamic;
    private final VersionTables versions;
    private final List<Note> notes;
    private final boolean elfmendSegment;
    private final long fileSize;
    private final long contentEnd;
    private final SymbolTable symbolTable;
    private List<DynamicSymbol> symbols;

    ElfFile(ElfHeader header, List<ProgramHeader> programHeaders, List<SectionHeader> sectionHeaders,
            String interpreter, DynamicInfo dynamic, VersionTables versions, List<Note> notes,
            boolean elfmendSegment, long fileSize, long contentEnd, SymbolTable symbolTable) {
        this.header = header;
        this.programHeaders = programHeaders;
        this.sectionHeaders = sectionHeaders;
        this.interpreter = interpreter;
        this.dynamic = dynamic;
        this.versions = versions;
        this.notes = notes;
        this.elfmendSegment = elfmendSegment;
        this.fileSize = fileSize;
        this.contentEnd = contentEnd;
        this.symbolTable = symbolTable;
    }

    public ElfHeader header() { return header; }
    DynamicInfo dynamicInfo() { return dynamic; }
    VersionTables versionTables() { return versions; }
    public List<ProgramHeader> programHeaders() { return programHeaders; }
    public List<SectionHeader> sectionHeaders() { return sectionHeaders; }
    public Optional<String> interpreter() { return Optional.ofNullable(interpreter); }
    public List<DynamicEntry> dynamicEntries() { return dynamic.entries; }
    public List<String> needed() { return dynamic.needed; }
    public Optional<String> soname() { return Optional.ofNullable(dynamic.soname); }
    /** DT_RUNPATH as stored (colon-separated), if present. */
    public Optional<String> runPath() { return Optional.ofNullable(dynamic.runPath); }
    /** DT_RPATH as stored (colon-separated), if present. */
    public Optional<String> rPath() { return Optional.ofNullable(dynamic.rPath); }
    public List<VersionNeed> versionNeeds() { return versions.needs; }
    public List<VersionDefinition> versionDefinitions() { return versions.definitions; }
    public List<Note> notes() { return notes; }
    public long fileSize() { return fileSize; }

    /** File offset of the dynamic table, or -1 when the file has none. */
    public long dynamicOffset() { return dynamic.offset; }

    /** Number of dynamic-table slots available in the file, including the terminating DT_NULL and spares. */
    public int dynamicSlots() { return dynamic.slots; }

    /** File offset of the dynamic string table, or -1. */
    public long dynamicStringsOffset() { return dynamic.stringTableOffset; }

    public boolean hasDynamicSection() { return dynamic.offset >= 0; }

    /** The value of the first dynamic entry with this tag, if any. */
    public Optional<Long> dynamicValue(long tag) {
        long v = dynamic.value(tag);
        return v == -1 ? Optional.empty() : Optional.of(v);
    }

    /** End of the last byte that a header, table, section or segment accounts for. */
    public long contentEnd() { return contentEnd; }

    /** Bytes after every section, segment and table: a payload appended by bun, deno, node SEA and the like. */
    public long trailingPayloadSize() { return Math.max(0, fileSize - contentEnd); }

    /** True when the file carries the segment elfmend adds when it grows a file. */
    public boolean hasElfmendSegment() { return elfmendSegment; }

    public Optional<SectionHeader> section(String name) {
        return sectionHeaders.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public LinkKind linkKind() {
        long flags1 = dynamic.value(DynamicEntry.DT_FLAGS_1);
        boolean pieFlag = flags1 != -1 && (flags1 & DynamicEntry.DF_1_PIE) != 0;
        return switch (header.type()) {
            case EXEC -> interpreter != null ? LinkKind.DYNAMIC_EXECUTABLE
                    : hasDynamicSection() && !dynamic.needed.isEmpty() ? LinkKind.DYNAMIC_EXECUTABLE
                    : LinkKind.STATIC_EXECUTABLE;
            case DYN -> {
                if (interpreter != null) {
                    yield pieFlag || dynamic.soname == null ? LinkKind.DYNAMIC_EXECUTABLE : LinkKind.SHARED_OBJECT;
                }
                yield pieFlag ? LinkKind.STATIC_PIE : LinkKind.SHARED_OBJECT;
            }
            case REL -> LinkKind.RELOCATABLE;
            case CORE -> LinkKind.CORE;
            default -> LinkKind.OTHER;
        };
    }

    public Optional<String> buildId() {
        return notes.stream().filter(Note::isBuildId).map(Note::descHex).findFirst();
    }

    /** The JSON payloads of .note.dlopen entries (systemd's dlopen metadata), in file order. */
    public List<String> dlopenMetadata() {
        List<String> out = new ArrayList<>();
        for (Note n : notes) {
            if (n.isDlopenMetadata()) {
                int len = 0;
                while (len < n.desc().length && n.desc()[len] != 0) {
                    len++;
                }
                out.add(new String(n.desc(), 0, len, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** The dynamic symbols with their versions; read from the source on first call. */
    public synchronized List<DynamicSymbol> dynamicSymbols() throws IOException {
        if (symbols == null) {
            symbols = symbolTable.read();
        }
        return symbols;
    }

    /** The string-table offset of each dynamic symbol's name (what shares a string), without the names. */
    synchronized long[] dynamicSymbolNameOffsets() throws IOException {
        if (symbols != null) {
            return symbols.stream().mapToLong(DynamicSymbol::nameOffset).toArray();
        }
        return symbolTable.nameOffsets();
    }

    /**
     * For each library this file needs versions from: version name -> the undefined symbols bound to
     * it (sorted), in the order of .gnu.version_r. Versions no symbol uses still appear, with no symbols.
     */
    public Map<String, Map<String, List<String>>> symbolsByNeededVersion() throws IOException {
        Map<String, Map<String, List<String>>> out = new LinkedHashMap<>();
        for (VersionNeed need : versions.needs) {
            Map<String, List<String>> perVersion = new LinkedHashMap<>();
            for (NeededVersion v : need.versions()) {
                perVersion.put(v.name(), new ArrayList<>());
            }
            out.put(need.file(), perVersion);
        }
        Map<String, TreeMap<String, Boolean>> seen = new LinkedHashMap<>();
        for (DynamicSymbol s : dynamicSymbols()) {
            if (s.versionFile() == null || s.version() == null) {
                continue;
            }
            Map<String, List<String>> perVersion = out.get(s.versionFile());
            if (perVersion == null) {
                continue;
            }
            List<String> names = perVersion.get(s.version());
            if (names != null && seen.computeIfAbsent(s.versionFile() + "\0" + s.version(), k -> new TreeMap<>())
                    .put(s.name(), Boolean.TRUE) == null) {
                names.add(s.name());
            }
        }
        out.values().forEach(m -> m.values().forEach(l -> l.sort(null)));
        return out;
    }
}
