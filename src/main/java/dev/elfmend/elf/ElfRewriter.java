package dev.elfmend.elf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Plans the rewrite of one ELF file for a set of edits, as one layout. Strings and tables are edited
 * in place when they fit; otherwise what must grow moves into one loadable segment elfmend appends
 * (or rebuilds, when the file already has it), following the layout rules in DESIGN.md: the program
 * header table stays where it is, no PROGBITS section but .interp moves, the new segment's offset is
 * congruent to its address modulo the largest alignment, trailing payload keeps its distance to the
 * end of the file.
 */
public final class ElfRewriter {

    static final int SEGMENT_HEADER_SIZE = 32;
    static final int SEGMENT_FORMAT = 1;

    private final ElfFile elf;
    private final FileInput in;
    private final ElfEdits edits;
    private final ElfHeader h;
    private final ElfClass c;
    private final Encoder enc;
    private final DynamicInfo dyn;
    private final List<Rewrite.Op> copies = new ArrayList<>();
    private final List<Rewrite.Op> writes = new ArrayList<>();
    private final List<String> changes = new ArrayList<>();

    private ElfRewriter(ElfFile elf, ByteSource source, ElfEdits edits) throws IOException {
        this.elf = elf;
        this.in = new FileInput(source);
        this.in.order(elf.header().byteOrder());
        this.edits = edits;
        this.h = elf.header();
        this.c = h.elfClass();
        this.enc = new Encoder(h.byteOrder(), c);
        this.dyn = elf.dynamicInfo();
    }

    /** Plans the edits on {@code elf}, which was read from {@code source} (still open). */
    public static Rewrite plan(ElfFile elf, ByteSource source, ElfEdits edits) throws IOException {
        if (elf.fileSize() != source.size()) {
            throw new ElfFormatException(-1, "file changed size since it was read");
        }
        return new ElfRewriter(elf, source, edits).plan();
    }

    private Rewrite plan() throws IOException {
        if (edits.isEmpty()) {
            return Rewrite.noop(elf.fileSize());
        }
        requireEditable();
        DynamicEdit dynamic = null;
        if (elf.hasDynamicSection()) {
            // Built even when only the interpreter changes: a rebuilt segment may carry the table.
            dynamic = new DynamicEdit(dyn);
            if (needsDynamic()) {
                dynamic.apply(edits);
                changes.addAll(dynamic.changes);
            }
        }
        List<StringUse> renames = versionRenames(dynamic);
        if (!renames.isEmpty()) {
            EditPreconditions.requireSeparateVersionRecords(elf);
        }
        if (!renames.isEmpty() || (dynamic != null && dynamic.entries.stream().anyMatch(e -> e.textChanged))) {
            EditPreconditions.requireStringTable(elf);
        }
        String interpreter = interpreterChange();
        if (changes.isEmpty()) {
            return Rewrite.noop(elf.fileSize());
        }
        Layout layout = new Layout(elf, in, edits, dynamic, renames, interpreter);
        layout.plan(copies, writes);
        List<Rewrite.Op> ops = new ArrayList<>(copies);
        ops.addAll(writes);
        return new Rewrite(layout.newSize(), ops, changes, layout.grew(), layout.expected());
    }

    private boolean needsDynamic() {
        return edits.runPath().isPresent() || edits.removeRunPath() || !edits.addNeeded().isEmpty()
                || !edits.removeNeeded().isEmpty() || !edits.replaceNeeded().isEmpty() || edits.soname().isPresent()
                || !edits.versionRenames().isEmpty();
    }

    private void requireEditable() throws IOException {
        ElfType type = h.type();
        if (type != ElfType.EXEC && type != ElfType.DYN) {
            throw new ElfFormatException(-1, "only executables and shared objects can be patched, this is "
                    + type.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (needsDynamic() && !elf.hasDynamicSection()) {
            throw new ElfFormatException(-1, "statically linked (no dynamic section): no run path or needed "
                    + "libraries to change");
        }
        if (edits.interpreter().isPresent() && elf.interpreter().isEmpty()) {
            throw new ElfFormatException(-1, "has no interpreter (statically linked or a shared library): "
                    + "cannot set one");
        }
        EditPreconditions.requireSoundLayout(elf);
        EditPreconditions.requireOwnSegmentAlone(elf, ElfmendSegment.findIn(in, elf.programHeaders()));
        if (edits.interpreter().isPresent() && !edits.interpreter().equals(elf.interpreter())) {
            EditPreconditions.requireAlone(elf, ProgramHeader.PT_INTERP);
        }
        // The dynamic table is written back whole whatever the edit (a rebuilt segment may carry it).
        EditPreconditions.requireAlone(elf, ProgramHeader.PT_DYNAMIC);
    }

    private String interpreterChange() {
        String wanted = edits.interpreter().orElse(null);
        String current = elf.interpreter().orElse(null);
        if (wanted == null || wanted.equals(current)) {
            return null;
        }
        changes.add("interpreter " + current + " -> " + wanted);
        return wanted;
    }

    /** vn_file renames implied by replaced needs, and vna_name renames asked for. */
    private List<StringUse> versionRenames(DynamicEdit dynamic) throws ElfFormatException {
        List<StringUse> out = new ArrayList<>();
        for (VersionNeed need : elf.versionNeeds()) {
            String to = edits.replaceNeeded().get(need.file());
            if (to != null && !to.equals(need.file())) {
                out.add(StringUse.verneedFile(need, to));
            }
        }
        for (ElfEdits.VersionRename r : edits.versionRenames()) {
            NeededVersion found = null;
            for (VersionNeed need : elf.versionNeeds()) {
                if (need.file().equals(r.library()) || r.library().equals(edits.replaceNeeded().get(need.file()))) {
                    for (NeededVersion v : need.versions()) {
                        if (v.name().equals(r.from())) {
                            found = v;
                        }
                    }
                }
            }
            if (found == null) {
                throw new ElfFormatException(-1, "needs no version " + r.from() + " from " + r.library());
            }
            if (!r.from().equals(r.to())) {
                out.add(StringUse.verneedName(found, r.to(), elfHash(r.to())));
                changes.add("version need " + r.library() + " " + r.from() + " -> " + r.to());
            }
        }
        return out;
    }

    /** The System V ELF hash, which vna_hash and vd_hash hold. */
    public static long elfHash(String name) {
        long hash = 0;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            hash = ((hash << 4) + (b & 0xff)) & 0xffffffffL;
            long g = hash & 0xf0000000L;
            if (g != 0) {
                hash ^= g >>> 24;
            }
            hash &= ~g & 0xffffffffL;
        }
        return hash;
    }

    /** A reference into the dynamic string table that gets a new text: a vn_file or vna_name field. */
    static final class StringUse {
        final String text;
        /** File offset of the u32 field holding the string offset. */
        final long fieldOffset;
        final long oldStringOffset;
        /** File offset of vna_hash to update with the new name's hash, or -1. */
        final long hashOffset;
        final long hash;

        private StringUse(String text, long fieldOffset, long oldStringOffset, long hashOffset, long hash) {
            this.text = text;
            this.fieldOffset = fieldOffset;
            this.oldStringOffset = oldStringOffset;
            this.hashOffset = hashOffset;
            this.hash = hash;
        }

        static StringUse verneedFile(VersionNeed need, String to) {
            return new StringUse(to, need.recordOffset() + 4, need.fileNameOffset(), -1, 0);
        }

        static StringUse verneedName(NeededVersion v, String to, long hash) {
            return new StringUse(to, v.recordOffset() + 8, v.nameOffset(), v.recordOffset(), hash);
        }
    }

    /** Zero bytes; used to clear vacated space. */
    static byte[] zeros(long n) {
        return new byte[(int) n];
    }

    static byte[] concat(Map<String, Long> index) {
        int size = 0;
        for (String t : index.keySet()) {
            size += t.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        byte[] out = new byte[size];
        for (Map.Entry<String, Long> e : index.entrySet()) {
            byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
            System.arraycopy(b, 0, out, (int) (long) e.getValue(), b.length);
        }
        return out;
    }

    static byte[] cString(String s, int size) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(b, Math.max(size, b.length + 1));
    }
}
