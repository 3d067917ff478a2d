package dev.elfmend.elf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides where everything an edit touches goes, and emits the operations. See {@link ElfRewriter}
 * for the rules; this class holds the arithmetic.
 */
final class Layout {

    private static final int SPARE_DYNAMIC_SLOTS = 4;
    /** String-valued tags besides NEEDED, SONAME, RPATH, RUNPATH: FILTER, AUXILIARY, CONFIG, DEPAUDIT, AUDIT. */
    private static final Set<Long> OTHER_STRING_TAGS = Set.of(0x7fffffffL, 0x7ffffffdL, 0x6ffffefaL, 0x6ffffefbL,
            0x6ffffefcL);
    private static final Set<Long> POINTER_TAGS = Set.of(4L, 5L, 6L, 7L, 17L, 23L, 36L, DynamicEntry.DT_GNU_HASH,
            DynamicEntry.DT_VERSYM, DynamicEntry.DT_VERNEED, DynamicEntry.DT_VERDEF);

    private final ElfFile elf;
    private final FileInput in;
    private final ElfEdits edits;
    private final DynamicEdit dynamic;
    private final List<ElfRewriter.StringUse> renames;
    private final String newInterpreter;
    private final ElfHeader h;
    private final ElfClass c;
    private final Encoder enc;
    private final DynamicInfo dyn;
    private final List<ProgramHeader> phdrs;
    private final List<SectionHeader> shdrs;
    private final ProgramHeader ours;
    private final ProgramHeader interpSegment;

    private final List<Rewrite.Op> copies = new ArrayList<>();
    private final List<Rewrite.Op> writes = new ArrayList<>();
    private final Map<String, Long> stringsFound = new HashMap<>();
    private long newSize;
    private boolean grew;

    // Block of sections moved as one unit (to make room for a program header, or rebuilt in our segment).
    private List<SectionHeader> block = List.of();
    private long blockStart;
    private long blockEnd;
    private long blockDelta;
    private long blockAddrDelta;

    Layout(ElfFile elf, FileInput in, ElfEdits edits, DynamicEdit dynamic, List<ElfRewriter.StringUse> renames,
           String newInterpreter) throws IOException {
        this.elf = elf;
        this.in = in;
        this.edits = edits;
        this.dynamic = dynamic;
        this.renames = renames;
        this.newInterpreter = newInterpreter;
        this.h = elf.header();
        this.c = h.elfClass();
        this.enc = new Encoder(h.byteOrder(), c);
        this.dyn = elf.dynamicInfo();
        this.phdrs = elf.programHeaders();
        this.shdrs = elf.sectionHeaders();
        this.ours = ElfmendSegment.findIn(in, phdrs);
        this.interpSegment = phdrs.stream().filter(p -> p.type() == ProgramHeader.PT_INTERP).findFirst().orElse(null);
    }

    long newSize() {
        return newSize;
    }

    boolean grew() {
        return grew;
    }

    // ---------------------------------------------------------------- planning

    void plan(List<Rewrite.Op> copiesOut, List<Rewrite.Op> writesOut) throws IOException {
        newSize = elf.fileSize();
        Strings strings = dyn.strings == null ? null : new Strings(false);
        boolean dynamicFits = dynamic == null || dynamic.entries.size() + 1 <= dyn.slots;
        boolean interpFits = newInterpreter == null || newInterpreter.getBytes(StandardCharsets.UTF_8).length + 1
                <= interpSegment.filesz();
        boolean needSegment = (strings != null && strings.needsAppend) || !dynamicFits || !interpFits;
        if (!needSegment) {
            planInPlace(strings);
        } else {
            planWithSegment(strings, dynamicFits, interpFits);
        }
        copiesOut.addAll(copies);
        writesOut.addAll(writes);
    }

    private void planInPlace(Strings strings) throws IOException {
        if (strings != null) {
            strings.emitInPlace();
        }
        if (newInterpreter != null) {
            writes.add(new Rewrite.Write(interpSegment.offset(),
                    ElfRewriter.cString(newInterpreter, (int) interpSegment.filesz())));
        }
        if (dynamic != null) {
            writeDynamic(dyn.offset, dyn.slots, dynamicAddress(), false, -1, -1);
        }
    }

    private void planWithSegment(Strings firstTry, boolean dynamicFits, boolean interpFits) throws IOException {
        grew = true;
        long maxAlign = maxAlign();
        SectionHeader dynstrSection = dyn.strings == null ? null
                : sectionAt(dyn.value(DynamicEntry.DT_STRTAB), SectionHeader.SHT_STRTAB);
        SectionHeader dynamicSection = firstOfType(SectionHeader.SHT_DYNAMIC);
        SectionHeader interpSection = interpSegment == null ? null : sectionAtOffset(interpSegment.offset());
        boolean rebuilding = ours != null;
        boolean stringsInOurs = rebuilding && dyn.stringTableOffset >= 0 && inside(ours, dyn.stringTableOffset);
        boolean dynamicInOurs = rebuilding && dyn.offset >= 0 && inside(ours, dyn.offset);
        boolean interpInOurs = rebuilding && interpSegment != null && inside(ours, interpSegment.offset());

        Strings strings = dyn.strings == null ? null
                : (firstTry.needsAppend || stringsInOurs) ? new Strings(true) : firstTry;
        String interpText = newInterpreter != null ? newInterpreter
                : interpInOurs ? elf.interpreter().orElseThrow() : null;
        boolean moveInterp = interpText != null && (!interpFits || interpInOurs);

        // Which program header the segment takes, and which sections move out of the way for it.
        List<ProgramHeader> table = new ArrayList<>(phdrs);
        boolean tableGrows = false;
        // A shared object's program headers may live in the new segment: the loader reads them from the
        // file (AT_PHDR, which pins an executable's table to its first page, only exists for executables).
        boolean relocateTable = rebuilding && inside(ours, h.phoff());
        if (rebuilding) {
            block = sectionsInside(ours, dynstrSection, dynamicSection, interpSection);
        } else if (table.stream().noneMatch(p -> p.type() == ProgramHeader.PT_NULL)) {
            tableGrows = true;
            try {
                block = makeRoomForProgramHeader();
            } catch (ElfFormatException noRoom) {
                if (!isPlainSharedObject()) {
                    throw noRoom;
                }
                relocateTable = true;
                block = List.of();
            }
        }
        // A dynamic table that had to leave the first page (files patchelf grew keep it there) gets its own place.
        boolean dynamicInBlock = dynamicSection != null && block.stream().anyMatch(s -> s.index() == dynamicSection.index());
        boolean moveDynamic = dynamic != null && (!dynamicFits || dynamicInOurs || dynamicInBlock);
        if (!block.isEmpty()) {
            blockStart = block.stream().mapToLong(SectionHeader::offset).min().orElseThrow();
            blockEnd = block.stream().mapToLong(SectionHeader::fileEnd).max().orElseThrow();
        }

        // Where the segment goes.
        long otherEnd = contentEndExcluding(ours, tableGrows && !relocateTable);
        long maxLoadEnd = 0;
        boolean oursIsHighest = true;
        for (ProgramHeader p : phdrs) {
            if (p.type() == ProgramHeader.PT_LOAD && p != ours) {
                maxLoadEnd = Math.max(maxLoadEnd, p.vaddr() + p.memsz());
                if (ours != null && p.vaddr() > ours.vaddr()) {
                    oursIsHighest = false;
                }
            }
        }
        long segVaddr;
        long segOffset;
        if (rebuilding && oursIsHighest) {
            segVaddr = ours.vaddr();
            segOffset = otherEnd <= ours.offset() ? ours.offset() : congruent(align(otherEnd, 8), segVaddr, maxAlign);
        } else {
            segOffset = align(otherEnd, 8);
            segVaddr = align(maxLoadEnd, maxAlign) + Math.floorMod(segOffset, maxAlign);
        }

        // Contents, in order: mark, moved block, interpreter, string table, dynamic table.
        long cursor = segOffset + ElfRewriter.SEGMENT_HEADER_SIZE;
        long prefix = strings == null ? 0 : strings.prefix;
        byte[] header = new byte[ElfRewriter.SEGMENT_HEADER_SIZE];
        System.arraycopy(ElfmendSegment.MAGIC, 0, header, 0, ElfmendSegment.MAGIC.length);
        enc.u32(header, 16, ElfRewriter.SEGMENT_FORMAT);
        enc.u64(header, 24, prefix);
        writes.add(new Rewrite.Write(segOffset, header));
        long tableAt = -1;
        int tableEntries = phdrs.size() + (ours == null ? 1 : 0);
        if (relocateTable) {
            tableAt = align(cursor, 8);
            cursor = tableAt + (long) tableEntries * h.phentsize();
        }
        if (!block.isEmpty()) {
            long blockAlign = Math.max(8, block.stream().mapToLong(s -> Math.max(1, s.addralign())).max().orElse(8));
            if (Long.bitCount(blockAlign) != 1 || blockAlign > maxAlign) {
                // The block keeps its offset modulo this; more than the segment's own alignment cannot be kept.
                SectionHeader odd = block.stream().max(Comparator.comparingLong(SectionHeader::addralign)).orElseThrow();
                throw new ElfFormatException(odd.offset(), "section " + odd.name() + " asks for alignment "
                        + odd.addralign() + ", more than the added segment's " + maxAlign + "; cannot move it");
            }
            long newStart = congruent(cursor, blockStart, blockAlign);
            blockDelta = newStart - blockStart;
            long oldAddr = block.get(0).addr() - (block.get(0).offset() - blockStart);
            blockAddrDelta = segVaddr + (newStart - segOffset) - oldAddr;
            copies.add(new Rewrite.Copy(blockStart, blockEnd - blockStart, newStart));
            cursor = newStart + (blockEnd - blockStart);
        }
        long interpAt = -1;
        if (moveInterp) {
            interpAt = cursor;
            byte[] bytes = ElfRewriter.cString(interpText, 0);
            writes.add(new Rewrite.Write(interpAt, bytes));
            cursor += bytes.length;
        }
        long stringsAt = -1;
        if (strings != null && strings.relocate) {
            stringsAt = cursor;
            cursor += strings.emitRelocated(stringsAt);
        }
        long dynamicAt = -1;
        int dynamicSlots = 0;
        if (moveDynamic) {
            dynamicAt = align(cursor, c.wordSize());
            dynamicSlots = dynamic.entries.size() + 1 + SPARE_DYNAMIC_SLOTS;
            cursor = dynamicAt + (long) dynamicSlots * c.dynamicEntrySize();
        }
        long segLength = cursor - segOffset;
        if (c == ElfClass.ELF32 && segVaddr + segLength > 0xffffffffL) {
            throw new ElfFormatException(-1, "no address space left below 4 GiB for the added segment");
        }
        if (segOffset > otherEnd) {
            writes.add(0, new Rewrite.Write(otherEnd, ElfRewriter.zeros(Math.min(segOffset - otherEnd, 1 << 20))));
        }
        long vaddrOf = segVaddr - segOffset;

        // Strings and the dynamic table now have homes; write the dynamic table.
        if (strings != null && !strings.relocate) {
            strings.emitInPlace();
        }
        if (dynamic != null) {
            long strtabAddr = stringsAt >= 0 ? stringsAt + vaddrOf : -1;
            long strtabSize = stringsAt >= 0 ? strings.relocatedSize() : -1;
            if (moveDynamic) {
                writeDynamic(dynamicAt, dynamicSlots, dynamicAt + vaddrOf, true, strtabAddr, strtabSize);
            } else {
                writeDynamic(dyn.offset, dyn.slots, dynamicAddress(), false, strtabAddr, strtabSize);
            }
        }
        if (newInterpreter != null && !moveInterp) {
            writes.add(new Rewrite.Write(relocated(interpSegment.offset()),
                    ElfRewriter.cString(newInterpreter, (int) interpSegment.filesz())));
        }

        // Section headers of everything that moved, and the symbols defined in them.
        Map<Integer, long[]> moved = new HashMap<>(); // index -> {oldAddr, size, addrDelta}
        for (SectionHeader s : block) {
            moved.put(s.index(), new long[] {s.addr(), s.size(), blockAddrDelta});
            writeSectionPlacement(s, s.addr() + blockAddrDelta, s.offset() + blockDelta, s.size());
        }
        if (interpSection != null && moveInterp) {
            long size = interpText.getBytes(StandardCharsets.UTF_8).length + 1;
            moved.put(interpSection.index(), new long[] {interpSection.addr(), interpSection.size(),
                interpAt + vaddrOf - interpSection.addr()});
            writeSectionPlacement(interpSection, interpAt + vaddrOf, interpAt, size);
        }
        if (dynstrSection != null && stringsAt >= 0) {
            moved.put(dynstrSection.index(), new long[] {dynstrSection.addr(), dynstrSection.size(),
                stringsAt + vaddrOf - dynstrSection.addr()});
            writeSectionPlacement(dynstrSection, stringsAt + vaddrOf, stringsAt, strings.relocatedSize());
        }
        if (dynamicSection != null && moveDynamic) {
            moved.put(dynamicSection.index(), new long[] {dynamicSection.addr(), dynamicSection.size(),
                dynamicAt + vaddrOf - dynamicSection.addr()});
            writeSectionPlacement(dynamicSection, dynamicAt + vaddrOf, dynamicAt,
                    (long) dynamicSlots * c.dynamicEntrySize());
        }
        fixSymbols(moved);

        // Program headers.
        // Writable only when it carries the dynamic table (the loader writes DT_DEBUG there).
        int flags = ProgramHeader.PF_R | (moveDynamic ? ProgramHeader.PF_W : 0);
        ProgramHeader segment = new ProgramHeader(-1, ProgramHeader.PT_LOAD, flags,
                segOffset, segVaddr, segVaddr, segLength, segLength, maxAlign);
        List<ProgramHeader> updated = new ArrayList<>();
        for (ProgramHeader p : table) {
            if (p == ours) {
                continue;
            }
            if (ours == null && !tableGrows && p.index() == firstNullIndex(table)) {
                continue; // the spare slot becomes the new segment, placed after the last PT_LOAD below
            }
            updated.add(updatedSegment(p, moveInterp ? interpAt : -1, interpText, moveDynamic ? dynamicAt : -1,
                    dynamicSlots, vaddrOf));
        }
        int lastLoad = -1;
        for (int i = 0; i < updated.size(); i++) {
            if (updated.get(i).type() == ProgramHeader.PT_LOAD) {
                lastLoad = i;
            }
        }
        updated.add(lastLoad + 1, segment);
        sortLoads(updated);
        if (updated.size() > 0xfffe) {
            throw new ElfFormatException(-1, "too many program headers to add one");
        }
        if (relocateTable) {
            long size = (long) updated.size() * h.phentsize();
            for (int i = 0; i < updated.size(); i++) {
                ProgramHeader p = updated.get(i);
                if (p.type() == ProgramHeader.PT_PHDR) {
                    updated.set(i, new ProgramHeader(p.index(), p.type(), p.flags(), tableAt, tableAt + vaddrOf,
                            tableAt + vaddrOf, size, size, p.align()));
                }
            }
            byte[] phoff = new byte[c.wordSize()];
            enc.word(phoff, 0, tableAt);
            writes.add(new Rewrite.Write(c == ElfClass.ELF64 ? 32 : 28, phoff));
            byte[] count = new byte[2];
            enc.u16(count, 0, updated.size());
            writes.add(new Rewrite.Write(c == ElfClass.ELF64 ? 56 : 44, count));
        } else if (tableGrows) {
            for (int i = 0; i < updated.size(); i++) {
                ProgramHeader p = updated.get(i);
                if (p.type() == ProgramHeader.PT_PHDR) {
                    long size = (long) updated.size() * h.phentsize();
                    updated.set(i, new ProgramHeader(p.index(), p.type(), p.flags(), p.offset(), p.vaddr(), p.paddr(),
                            size, size, p.align()));
                }
            }
            byte[] count = new byte[2];
            enc.u16(count, 0, updated.size());
            writes.add(new Rewrite.Write(c == ElfClass.ELF64 ? 56 : 44, count));
            long vacated = blockEnd - (h.phoff() + (long) updated.size() * h.phentsize());
            if (!block.isEmpty() && vacated > 0) {
                writes.add(new Rewrite.Write(h.phoff() + (long) updated.size() * h.phentsize(),
                        ElfRewriter.zeros(vacated)));
            }
        }
        byte[] tableBytes = new byte[updated.size() * h.phentsize()];
        for (int i = 0; i < updated.size(); i++) {
            byte[] one = enc.programHeader(updated.get(i));
            System.arraycopy(one, 0, tableBytes, i * h.phentsize(), one.length);
        }
        writes.add(new Rewrite.Write(relocateTable ? tableAt : h.phoff(), tableBytes));

        // Trailing payload keeps its distance to the end of the file.
        long payload = elf.trailingPayloadSize();
        long payloadAt = segOffset + segLength;
        if (payload > 0) {
            copies.add(new Rewrite.Copy(elf.contentEnd(), payload, payloadAt));
        }
        newSize = payloadAt + payload;
    }

    // ---------------------------------------------------------------- strings

    /**
     * Where each string the edit needs lives: kept, found already in the table, overwritten in place,
     * or appended to a relocated copy of the table.
     */
    private final class Strings {
        final boolean relocate;
        final long prefix;
        boolean needsAppend;
        final Map<String, Long> appended = new LinkedHashMap<>();
        private final List<Runnable> deferred = new ArrayList<>();
        private long relocatedAt = -1;
        private final List<long[]> inPlace = new ArrayList<>(); // {offset, length}
        private final List<String> inPlaceText = new ArrayList<>();
        private List<Long> references;

        Strings(boolean relocate) throws IOException {
            this.relocate = relocate;
            this.prefix = stringPrefix();
            if (dynamic != null) {
                for (DynamicEdit.Entry e : dynamic.entries) {
                    if (e.isString()) {
                        place(e.text, e.textChanged, e.textChanged || e.originalIndex < 0 ? -1 : e.value,
                                e.originalIndex < 0 ? -1 : dyn.entries.get(e.originalIndex).value(),
                                offset -> e.value = offset);
                    }
                }
            }
            for (ElfRewriter.StringUse use : renames) {
                place(use.text, true, -1, use.oldStringOffset, offset -> writeField(use, offset));
            }
            if (relocate) {
                // Earlier edits appended strings past the prefix; the rebuilt table drops them, so re-add.
                Set<Long> renamed = new java.util.HashSet<>();
                renames.forEach(u -> renamed.add(u.fieldOffset));
                for (VersionNeed need : elf.versionNeeds()) {
                    if (need.fileNameOffset() >= prefix && !renamed.contains(need.recordOffset() + 4)) {
                        ElfRewriter.StringUse keep = ElfRewriter.StringUse.verneedFile(need, need.file());
                        place(need.file(), true, -1, -1, offset -> writeFieldOnly(keep, offset));
                    }
                    for (NeededVersion v : need.versions()) {
                        if (v.nameOffset() >= prefix && !renamed.contains(v.recordOffset() + 8)) {
                            ElfRewriter.StringUse keep = ElfRewriter.StringUse.verneedName(v, v.name(), v.hash());
                            place(v.name(), true, -1, -1, offset -> writeFieldOnly(keep, offset));
                        }
                    }
                }
            }
        }

        private void place(String text, boolean changed, long keepOffset, long oldOffset,
                           java.util.function.LongConsumer setter) throws IOException {
            // Setters run when the strings are emitted: field locations depend on the final layout.
            if (!changed && keepOffset >= 0 && (keepOffset < prefix || !relocate)) {
                deferred.add(() -> setter.accept(keepOffset));
                return;
            }
            byte[] bytes = (text + "\0").getBytes(StandardCharsets.UTF_8);
            long found = findString(bytes, prefix);
            if (found >= 0) {
                deferred.add(() -> setter.accept(found));
                return;
            }
            long oldLength = !relocate && oldOffset >= 0 ? fitsInPlace(oldOffset, bytes.length - 1) : -1;
            if (oldLength >= 0) {
                // The whole old string is overwritten, its tail with zeros: no stale path fragment stays behind.
                inPlace.add(new long[] {oldOffset, oldLength});
                inPlaceText.add(text);
                deferred.add(() -> setter.accept(oldOffset));
                return;
            }
            needsAppend = true;
            long at = appended.computeIfAbsent(text, t -> appendedSize());
            deferred.add(() -> setter.accept(prefix + at));
        }

        private long appendedSize() {
            long size = 0;
            for (String t : appended.keySet()) {
                size += t.getBytes(StandardCharsets.UTF_8).length + 1;
            }
            return size;
        }

        /**
         * The length of the old string at {@code offset} when it is long enough and no other reference shares
         * its bytes, else -1.
         */
        private long fitsInPlace(long offset, int newLength) throws IOException {
            String old = dyn.strings.cString(offset);
            int oldLength = old.getBytes(StandardCharsets.UTF_8).length;
            if (newLength > oldLength || (offset > 0 && dyn.strings.byteAt(offset - 1) != 0)) {
                return -1;
            }
            int self = 0;
            for (long r : references()) {
                if (r >= offset && r <= offset + oldLength) {
                    if (r == offset && self == 0) {
                        self++;
                        continue;
                    }
                    return -1;
                }
            }
            for (long[] taken : inPlace) {
                if (taken[0] == offset) {
                    return -1;
                }
            }
            return oldLength;
        }

        private List<Long> references() throws IOException {
            if (references == null) {
                List<Long> refs = new ArrayList<>();
                for (DynamicEntry e : dyn.entries) {
                    if (e.isStringReference() || OTHER_STRING_TAGS.contains(e.tag())) {
                        refs.add(e.value());
                    }
                }
                for (VersionNeed n : elf.versionNeeds()) {
                    refs.add(n.fileNameOffset());
                    n.versions().forEach(v -> refs.add(v.nameOffset()));
                }
                refs.addAll(elf.versionTables().definitionNameOffsets);
                for (long nameOffset : elf.dynamicSymbolNameOffsets()) {
                    refs.add(nameOffset);
                }
                references = refs;
            }
            return references;
        }

        void emitInPlace() {
            for (int i = 0; i < inPlace.size(); i++) {
                long[] slot = inPlace.get(i);
                writes.add(new Rewrite.Write(relocated(dyn.stringTableOffset + slot[0]),
                        ElfRewriter.cString(inPlaceText.get(i), (int) slot[1] + 1)));
            }
            deferred.forEach(Runnable::run);
        }

        /** Emits prefix copy plus appended strings at {@code at}; returns the table's size. */
        long emitRelocated(long at) {
            relocatedAt = at;
            copies.add(new Rewrite.Copy(dyn.stringTableOffset, prefix, at));
            byte[] tail = ElfRewriter.concat(appended);
            if (tail.length > 0) {
                writes.add(new Rewrite.Write(at + prefix, tail));
            }
            deferred.forEach(Runnable::run);
            return relocatedSize();
        }

        long relocatedSize() {
            return prefix + appendedSize();
        }
    }

    /** Where the table already holds {@code bytes} (before {@code limit}), or -1; each scan is done once per plan. */
    private long findString(byte[] bytes, long limit) throws IOException {
        String key = limit + ":" + new String(bytes, StandardCharsets.ISO_8859_1);
        Long known = stringsFound.get(key);
        if (known == null) {
            known = dyn.strings.find(bytes, limit);
            stringsFound.put(key, known);
        }
        return known;
    }

    private long stringPrefix() throws IOException {
        if (ours != null && dyn.stringTableOffset >= 0 && inside(ours, dyn.stringTableOffset)) {
            long prefix = in.region(ours.offset() + 24, 8, "elfmend segment header").u64(0);
            if (prefix < 0 || prefix > dyn.strings.length()) {
                throw new ElfFormatException(ours.offset(), "elfmend segment header is damaged");
            }
            return prefix;
        }
        return dyn.strings.length();
    }

    private void writeField(ElfRewriter.StringUse use, long offset) {
        writeFieldOnly(use, offset);
        if (use.hashOffset >= 0) {
            writes.add(new Rewrite.Write(relocated(use.hashOffset), enc.u32(use.hash)));
        }
    }

    private void writeFieldOnly(ElfRewriter.StringUse use, long offset) {
        writes.add(new Rewrite.Write(relocated(use.fieldOffset), enc.u32(offset)));
    }

    // ---------------------------------------------------------------- dynamic table

    private void writeDynamic(long at, int slots, long newAddress, boolean moved, long strtabAddr, long strtabSize) {
        List<DynamicEntry> out = new ArrayList<>();
        long oldAddress = dynamicAddress();
        for (int i = 0; i < dynamic.entries.size(); i++) {
            DynamicEdit.Entry e = dynamic.entries.get(i);
            long value = e.value;
            if (e.tag == DynamicEntry.DT_STRTAB && strtabAddr >= 0) {
                value = strtabAddr;
            } else if (e.tag == DynamicEntry.DT_STRSZ && strtabSize >= 0) {
                value = strtabSize;
            } else if (POINTER_TAGS.contains(e.tag) && !block.isEmpty() && inBlockAddress(value)) {
                value += blockAddrDelta;
            } else if (e.tag == DynamicEntry.DT_MIPS_RLD_MAP_REL && e.originalIndex >= 0) {
                // Relative to the entry's own address: keep the target fixed.
                long target = oldAddress + (long) e.originalIndex * c.dynamicEntrySize() + value;
                value = target - (newAddress + (long) i * c.dynamicEntrySize());
            }
            out.add(new DynamicEntry(e.tag, value));
        }
        writes.add(new Rewrite.Write(at, enc.dynamicTable(out, slots)));
    }

    private long dynamicAddress() {
        for (ProgramHeader p : phdrs) {
            if (p.type() == ProgramHeader.PT_DYNAMIC) {
                return p.vaddr();
            }
        }
        SectionHeader s = firstOfType(SectionHeader.SHT_DYNAMIC);
        return s == null ? 0 : s.addr();
    }

    private boolean inBlockAddress(long address) {
        for (SectionHeader s : block) {
            if (Long.compareUnsigned(address, s.addr()) >= 0 && Long.compareUnsigned(address - s.addr(), s.size()) < 0) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- program headers

    private ProgramHeader updatedSegment(ProgramHeader p, long interpAt, String interpText, long dynamicAt,
                                         int dynamicSlots, long vaddrOf) {
        if (p.type() == ProgramHeader.PT_INTERP && interpAt >= 0) {
            long size = interpText.getBytes(StandardCharsets.UTF_8).length + 1;
            return new ProgramHeader(p.index(), p.type(), p.flags(), interpAt, interpAt + vaddrOf, interpAt + vaddrOf,
                    size, size, 1);
        }
        if (p.type() == ProgramHeader.PT_DYNAMIC && dynamicAt >= 0) {
            long size = (long) dynamicSlots * c.dynamicEntrySize();
            return new ProgramHeader(p.index(), p.type(), p.flags(), dynamicAt, dynamicAt + vaddrOf,
                    dynamicAt + vaddrOf, size, size, p.align());
        }
        boolean shiftable = p.type() != ProgramHeader.PT_LOAD && p.type() != ProgramHeader.PT_PHDR
                && p.type() != ProgramHeader.PT_GNU_STACK;
        if (shiftable && !block.isEmpty() && p.filesz() > 0 && p.offset() >= blockStart && p.fileEnd() <= blockEnd) {
            return new ProgramHeader(p.index(), p.type(), p.flags(), p.offset() + blockDelta,
                    p.vaddr() + blockAddrDelta, p.paddr() + blockAddrDelta, p.filesz(), p.memsz(), p.align());
        }
        return p;
    }

    /** A shared object that no kernel loads as a program (no interpreter, no PT_PHDR). */
    private boolean isPlainSharedObject() {
        return h.type() == ElfType.DYN && interpSegment == null
                && phdrs.stream().noneMatch(p -> p.type() == ProgramHeader.PT_PHDR)
                && elf.linkKind() == LinkKind.SHARED_OBJECT;
    }

    private static void sortLoads(List<ProgramHeader> table) {
        List<Integer> positions = new ArrayList<>();
        List<ProgramHeader> loads = new ArrayList<>();
        for (int i = 0; i < table.size(); i++) {
            if (table.get(i).type() == ProgramHeader.PT_LOAD) {
                positions.add(i);
                loads.add(table.get(i));
            }
        }
        loads.sort(Comparator.comparingLong(ProgramHeader::vaddr));
        for (int k = 0; k < positions.size(); k++) {
            table.set(positions.get(k), loads.get(k));
        }
    }

    private static int firstNullIndex(List<ProgramHeader> table) {
        for (int i = 0; i < table.size(); i++) {
            if (table.get(i).type() == ProgramHeader.PT_NULL) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Frees room for one more program header right after the table: either the bytes are unused, or
     * the sections there (which must be movable: .interp and loader tables, never code or data) move
     * into the new segment as one block, together with any note segment they share.
     */
    private List<SectionHeader> makeRoomForProgramHeader() throws ElfFormatException {
        long tableEnd = h.phoff() + h.phnum() * h.phentsize();
        long needed = tableEnd + h.phentsize();
        ProgramHeader home = null;
        for (ProgramHeader p : phdrs) {
            if (p.type() == ProgramHeader.PT_LOAD && p.offset() <= h.phoff() && tableEnd <= p.fileEnd()) {
                home = p;
            }
        }
        if (home != null && needed > home.fileEnd()) {
            throw new ElfFormatException(-1, "no room for another program header inside the first loadable segment");
        }
        List<SectionHeader> after = shdrs.stream()
                .filter(s -> s.type() != SectionHeader.SHT_NULL && s.size() > 0 && s.offset() >= tableEnd
                        && (s.hasFileBytes() || s.isAllocated()))
                .sorted(Comparator.comparingLong(SectionHeader::offset)).toList();
        if (firstOccupied(tableEnd, after) >= needed) {
            return List.of();
        }
        if (shdrs.isEmpty()) {
            throw new ElfFormatException(-1, "has no section headers and no room after its program header table "
                    + "for another entry; cannot grow it safely");
        }
        List<SectionHeader> run = new ArrayList<>();
        long runEnd = tableEnd;
        int i = 0;
        while (true) {
            long next = firstOccupied(runEnd, after.subList(i, after.size()));
            if (!run.isEmpty() && next >= needed && segmentsCutBy(tableEnd, runEnd) == 0) {
                break;
            }
            if (i >= after.size()) {
                throw new ElfFormatException(-1, "no room for another program header");
            }
            SectionHeader s = after.get(i++);
            if (!movable(s)) {
                throw new ElfFormatException(s.offset(), "no room for another program header: section " + s.name()
                        + " follows the program header table and cannot be moved");
            }
            run.add(s);
            runEnd = Math.max(runEnd, s.fileEnd());
        }
        // Only sections move; a segment or table between the program headers and the first of them that no
        // section describes (section headers can lie) would be overwritten by the new entry.
        long runStart = run.stream().mapToLong(SectionHeader::offset).min().orElseThrow();
        long stranded = firstOccupied(tableEnd, List.of());
        if (stranded < runStart && stranded < needed) {
            throw new ElfFormatException(stranded, "no room for another program header: the data at 0x"
                    + Long.toHexString(stranded) + " follows the program header table in no section, so it cannot "
                    + "be moved");
        }
        return List.copyOf(run);
    }

    /** Lowest file offset at or after {@code from} that a segment, table or section occupies. */
    private long firstOccupied(long from, List<SectionHeader> sections) {
        long first = Long.MAX_VALUE;
        for (SectionHeader s : sections) {
            if (s.offset() >= from) {
                first = Math.min(first, s.offset());
            }
        }
        for (ProgramHeader p : phdrs) {
            boolean content = p.type() != ProgramHeader.PT_LOAD && p.type() != ProgramHeader.PT_PHDR
                    && p.filesz() > 0;
            if (content && p.offset() >= from) {
                first = Math.min(first, p.offset());
            }
        }
        if (h.shoff() >= from && h.sectionHeaderTableSize() > 0) {
            first = Math.min(first, h.shoff());
        }
        for (DynamicEntry e : dyn.entries) {
            if (POINTER_TAGS.contains(e.tag())) {
                long at = new AddressMap(phdrs, shdrs).offsetOf(e.value());
                if (at >= from) {
                    first = Math.min(first, at);
                }
            }
        }
        if (dyn.offset >= from) {
            first = Math.min(first, dyn.offset);
        }
        return first;
    }

    /** Number of non-load segments that straddle the boundary of [start, end). */
    private int segmentsCutBy(long start, long end) {
        int cut = 0;
        for (ProgramHeader p : phdrs) {
            if (p.type() == ProgramHeader.PT_LOAD || p.type() == ProgramHeader.PT_PHDR || p.filesz() == 0) {
                continue;
            }
            boolean overlaps = p.offset() < end && p.fileEnd() > start;
            boolean insideRun = p.offset() >= start && p.fileEnd() <= end;
            if (overlaps && !insideRun) {
                cut++;
            }
        }
        return cut;
    }

    private static boolean movable(SectionHeader s) {
        if (!s.isAllocated() || !s.hasFileBytes()) {
            return false;
        }
        if (s.type() == SectionHeader.SHT_PROGBITS) {
            return s.name().equals(".interp");
        }
        return switch (s.type()) {
            case SectionHeader.SHT_NOTE, SectionHeader.SHT_DYNAMIC, SectionHeader.SHT_HASH, SectionHeader.SHT_GNU_HASH, SectionHeader.SHT_DYNSYM,
                 SectionHeader.SHT_STRTAB, SectionHeader.SHT_GNU_VERSYM, SectionHeader.SHT_GNU_VERNEED,
                 SectionHeader.SHT_GNU_VERDEF, SectionHeader.SHT_RELA, SectionHeader.SHT_REL, 19 -> true;
            default -> false;
        };
    }

    // ---------------------------------------------------------------- sections and symbols

    private void writeSectionPlacement(SectionHeader s, long addr, long offset, long size) {
        long at = h.shoff() + (long) s.index() * h.shentsize();
        byte[] b;
        if (c == ElfClass.ELF64) {
            b = new byte[24];
            enc.u64(b, 0, addr);
            enc.u64(b, 8, offset);
            enc.u64(b, 16, size);
            writes.add(new Rewrite.Write(at + 16, b));
        } else {
            b = new byte[12];
            enc.u32(b, 0, addr);
            enc.u32(b, 4, offset);
            enc.u32(b, 8, size);
            writes.add(new Rewrite.Write(at + 12, b));
        }
    }

    /** Symbols defined in a moved section move with it (the _DYNAMIC symbol, note symbols). */
    private void fixSymbols(Map<Integer, long[]> moved) throws IOException {
        if (moved.isEmpty()) {
            return;
        }
        int entry = c.symbolSize();
        // By section index: node's .symtab has hundreds of thousands of entries, each looked up here.
        long[][] movedBy = new long[java.util.Collections.max(moved.keySet()) + 1][];
        moved.forEach((index, m) -> movedBy[index] = m);
        for (SectionHeader table : shdrs) {
            if ((table.type() != SectionHeader.SHT_SYMTAB && table.type() != SectionHeader.SHT_DYNSYM)
                    || table.size() < entry) {
                continue;
            }
            long count = table.size() / entry;
            long target = relocated(table.offset());
            final int chunk = 4096;
            // st_shndx is read straight from the bytes: node's two tables hold 227,000 symbols, and this
            // loop ran through a bounds-checked accessor per symbol (2 ms of every plan).
            int shndxAt = c == ElfClass.ELF64 ? 6 : 14;
            boolean big = h.byteOrder() == java.nio.ByteOrder.BIG_ENDIAN;
            int first8 = big ? 1 : 0;
            int second8 = big ? 0 : 1;
            if (!in.inBounds(table.offset(), count * entry)) {
                throw new ElfFormatException(table.offset(), "symbol table " + table.name()
                        + " extends past the end of the file");
            }
            byte[] bytes = new byte[(int) Math.min(chunk, count) * entry];
            for (long first = 0; first < count; first += chunk) {
                int n = (int) Math.min(chunk, count - first);
                long offset = table.offset() + first * entry;
                in.read(offset, bytes, 0, n * entry);
                for (int k = 0; k < n; k++) {
                    int at = k * entry;
                    int shndx = (bytes[at + shndxAt + first8] & 0xff) | (bytes[at + shndxAt + second8] & 0xff) << 8;
                    long[] m = shndx < movedBy.length ? movedBy[shndx] : null;
                    if (m == null) {
                        continue;
                    }
                    long value = c == ElfClass.ELF64 ? word(bytes, at + 8, 8, big) : word(bytes, at + 4, 4, big);
                    if (Long.compareUnsigned(value - m[0], m[1]) <= 0 && Long.compareUnsigned(value, m[0]) >= 0) {
                        byte[] b = new byte[c.wordSize()];
                        enc.word(b, 0, value + m[2]);
                        long field = target + (first + k) * entry + (c == ElfClass.ELF64 ? 8 : 4);
                        writes.add(new Rewrite.Write(field, b));
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** An unsigned value of {@code width} bytes at {@code at}. */
    private static long word(byte[] bytes, int at, int width, boolean big) {
        long v = 0;
        for (int k = 0; k < width; k++) {
            v |= (long) (bytes[at + k] & 0xff) << (big ? (width - 1 - k) * 8 : k * 8);
        }
        return v;
    }

    /** Where the byte originally at {@code offset} is after the block moved. */
    private long relocated(long offset) {
        return !block.isEmpty() && offset >= blockStart && offset < blockEnd ? offset + blockDelta : offset;
    }

    private long maxAlign() {
        long align = edits.pageSize() != 0 ? edits.pageSize() : h.machine().maxPageSize();
        for (ProgramHeader p : phdrs) {
            if (p.type() == ProgramHeader.PT_LOAD && p.align() > align && Long.bitCount(p.align()) == 1) {
                align = p.align();
            }
        }
        return align;
    }

    /** Segment types elfmend places into its own segment: the moved interpreter, tables and their notes. */
    private static final Set<Integer> MOVES_WITH_OUR_SEGMENT = Set.of(ProgramHeader.PT_INTERP,
            ProgramHeader.PT_DYNAMIC, ProgramHeader.PT_PHDR, ProgramHeader.PT_NOTE, ProgramHeader.PT_GNU_PROPERTY);

    private long contentEndExcluding(ProgramHeader segment, boolean tableGrows) {
        long end = c.headerSize();
        if (segment == null || !inside(segment, h.phoff())) {
            end = Math.max(end, h.phoff() + (h.phnum() + (tableGrows ? 1 : 0)) * h.phentsize());
        }
        if (h.shoff() != 0) {
            end = Math.max(end, h.shoff() + h.sectionHeaderTableSize());
        }
        for (ProgramHeader p : phdrs) {
            // What elfmend itself put into its segment is rebuilt with it; any other segment found there (a
            // corrupt or foreign one) keeps its bytes, so the rebuilt segment goes after it, not over it.
            boolean rebuiltWithIt = segment != null && inside(segment, p.offset()) && p.filesz() <= segment.filesz()
                    && MOVES_WITH_OUR_SEGMENT.contains(p.type());
            if (p != segment && !rebuiltWithIt) {
                end = Math.max(end, p.fileEnd());
            }
        }
        for (SectionHeader s : shdrs) {
            if (s.hasFileBytes() && !(segment != null && inside(segment, s.offset()))) {
                end = Math.max(end, s.fileEnd());
            }
        }
        return end;
    }

    private List<SectionHeader> sectionsInside(ProgramHeader segment, SectionHeader... except) {
        List<SectionHeader> out = new ArrayList<>();
        for (SectionHeader s : shdrs) {
            boolean excluded = false;
            for (SectionHeader e : except) {
                excluded |= e != null && e.index() == s.index();
            }
            if (!excluded && s.hasFileBytes() && s.size() > 0 && inside(segment, s.offset())) {
                out.add(s);
            }
        }
        return out;
    }

    private static boolean inside(ProgramHeader p, long offset) {
        return offset >= p.offset() && offset < p.fileEnd();
    }

    private SectionHeader sectionAt(long address, int type) {
        for (SectionHeader s : shdrs) {
            if (s.type() == type && s.addr() == address && s.isAllocated()) {
                return s;
            }
        }
        return null;
    }

    private SectionHeader sectionAtOffset(long offset) {
        for (SectionHeader s : shdrs) {
            if (s.offset() == offset && s.hasFileBytes() && s.isAllocated()) {
                return s;
            }
        }
        return null;
    }

    private SectionHeader firstOfType(int type) {
        for (SectionHeader s : shdrs) {
            if (s.type() == type) {
                return s;
            }
        }
        return null;
    }

    static long align(long value, long align) {
        return (value + align - 1) & -align;
    }

    /** Smallest x >= min with x ≡ residue (mod align). */
    static long congruent(long min, long residue, long align) {
        long want = Math.floorMod(residue, align);
        long x = min - Math.floorMod(min, align) + want;
        return x < min ? x + align : x;
    }

    Rewrite.Expected expected() {
        Map<String, List<String>> needs = new LinkedHashMap<>();
        Map<Long, String> renamedFields = new HashMap<>();
        renames.forEach(u -> renamedFields.put(u.fieldOffset, u.text));
        for (VersionNeed need : elf.versionNeeds()) {
            String file = renamedFields.getOrDefault(need.recordOffset() + 4, need.file());
            List<String> names = new ArrayList<>();
            for (NeededVersion v : need.versions()) {
                names.add(renamedFields.getOrDefault(v.recordOffset() + 8, v.name()));
            }
            needs.put(file, names);
        }
        String interpreter = newInterpreter != null ? newInterpreter : elf.interpreter().orElse(null);
        if (dynamic == null) {
            return new Rewrite.Expected(interpreter, elf.needed(), elf.runPath().orElse(null),
                    elf.rPath().orElse(null), elf.soname().orElse(null), needs);
        }
        return new Rewrite.Expected(interpreter, dynamic.needed(), dynamic.text(DynamicEntry.DT_RUNPATH),
                dynamic.text(DynamicEntry.DT_RPATH), dynamic.text(DynamicEntry.DT_SONAME), needs);
    }
}
