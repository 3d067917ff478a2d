package dev.elfmend.elf;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Checks a rewritten file before it may replace the original: it says what the edit promised, and
 * its layout keeps the invariants loaders rely on. Returns the problems found; empty means sound.
 */
public final class LayoutCheck {

    private LayoutCheck() {}

    public static List<String> check(ElfFile after, Rewrite.Expected expected) throws IOException {
        List<String> problems = new ArrayList<>();
        if (expected != null) {
            compare(problems, "interpreter", expected.interpreter(), after.interpreter().orElse(null));
            compare(problems, "needed", expected.needed(), after.needed());
            compare(problems, "runpath", expected.runPath(), after.runPath().orElse(null));
            compare(problems, "rpath", expected.rPath(), after.rPath().orElse(null));
            compare(problems, "soname", expected.soname(), after.soname().orElse(null));
            java.util.Map<String, List<String>> needs = new java.util.LinkedHashMap<>();
            after.versionNeeds().forEach(n -> needs.put(n.file(), n.versionNames()));
            compare(problems, "version needs", expected.versionNeeds(), needs);
        }
        checkLoads(after, problems);
        checkSections(after, problems);
        checkSegmentsMatchSections(after, problems);
        checkNoteSegments(after, problems);
        checkDynamicPointers(after, problems);
        return problems;
    }

    private static void compare(List<String> problems, String what, Object want, Object got) {
        if (!Objects.equals(want, got)) {
            problems.add(what + " is " + got + ", expected " + want);
        }
    }

    private static List<ProgramHeader> loads(ElfFile elf) {
        return elf.programHeaders().stream().filter(p -> p.type() == ProgramHeader.PT_LOAD).toList();
    }

    private static void checkLoads(ElfFile elf, List<String> problems) {
        List<ProgramHeader> loads = loads(elf);
        long previousEnd = Long.MIN_VALUE;
        for (ProgramHeader p : loads) {
            if (p.align() > 1 && Math.floorMod(p.offset() - p.vaddr(), p.align()) != 0) {
                problems.add("PT_LOAD[" + p.index() + "] offset 0x" + Long.toHexString(p.offset())
                        + " is not congruent to its address modulo its alignment");
            }
            if (p.filesz() > p.memsz()) {
                problems.add("PT_LOAD[" + p.index() + "] has more file bytes than memory");
            }
            if (p.fileEnd() > elf.fileSize()) {
                problems.add("PT_LOAD[" + p.index() + "] extends past the end of the file");
            }
            if (p.vaddr() < previousEnd) {
                problems.add("PT_LOAD[" + p.index() + "] is out of address order or overlaps the previous one");
            }
            previousEnd = p.vaddr() + p.memsz();
        }
        ElfHeader h = elf.header();
        long tableEnd = h.phoff() + h.phnum() * h.phentsize();
        for (ProgramHeader p : elf.programHeaders()) {
            if (p.type() == ProgramHeader.PT_PHDR) {
                ProgramHeader load = loadContaining(loads, p.offset(), p.filesz());
                if (load == null || p.vaddr() - p.offset() != load.vaddr() - load.offset()) {
                    problems.add("PT_PHDR is not covered by a PT_LOAD at the matching address");
                }
                if (p.offset() != h.phoff() || p.filesz() != tableEnd - h.phoff()) {
                    problems.add("PT_PHDR does not describe the program header table");
                }
            }
        }
        if (!loads.isEmpty() && elf.programHeaders().stream().anyMatch(p -> p.type() == ProgramHeader.PT_PHDR)
                && loadContaining(loads, h.phoff(), tableEnd - h.phoff()) == null) {
            problems.add("program header table is not inside a loaded segment");
        }
    }

    private static void checkSections(ElfFile elf, List<String> problems) {
        List<ProgramHeader> loads = loads(elf);
        for (SectionHeader s : elf.sectionHeaders()) {
            if (!s.isAllocated() || !s.hasFileBytes() || s.size() == 0) {
                continue;
            }
            int count = 0;
            for (ProgramHeader p : loads) {
                if (s.offset() >= p.offset() && s.fileEnd() <= p.fileEnd()) {
                    count++;
                    if (s.addr() - s.offset() != p.vaddr() - p.offset()) {
                        problems.add("section " + s.name() + " address does not match its place in PT_LOAD["
                                + p.index() + "]");
                    }
                }
            }
            if (count != 1) {
                problems.add("section " + s.name() + " is inside " + count + " loadable segments, not one");
            }
        }
    }

    private static void checkSegmentsMatchSections(ElfFile elf, List<String> problems) {
        for (ProgramHeader p : elf.programHeaders()) {
            String name = switch (p.type()) {
                case ProgramHeader.PT_INTERP -> ".interp";
                case ProgramHeader.PT_DYNAMIC -> ".dynamic";
                default -> null;
            };
            if (name == null) {
                continue;
            }
            ProgramHeader load = loadContaining(loads(elf), p.offset(), p.filesz());
            if (load == null || p.vaddr() - p.offset() != load.vaddr() - load.offset()) {
                problems.add(name + " segment is not loaded at its address");
            }
            elf.section(name).ifPresent(s -> {
                if (s.offset() != p.offset() || s.addr() != p.vaddr()) {
                    problems.add(name + " section and segment disagree");
                }
            });
        }
    }

    /** PT_NOTE and PT_GNU_PROPERTY start where a note section starts, at its address (notes move in blocks). */
    private static void checkNoteSegments(ElfFile elf, List<String> problems) {
        if (elf.sectionHeaders().isEmpty()) {
            return;
        }
        for (ProgramHeader p : elf.programHeaders()) {
            boolean note = p.type() == ProgramHeader.PT_NOTE;
            if ((!note && p.type() != ProgramHeader.PT_GNU_PROPERTY) || p.filesz() == 0) {
                continue;
            }
            boolean starts = elf.sectionHeaders().stream().anyMatch(s -> s.type() == SectionHeader.SHT_NOTE
                    && s.offset() == p.offset() && s.addr() == p.vaddr());
            if (!starts) {
                problems.add((note ? "PT_NOTE" : "PT_GNU_PROPERTY") + " at offset 0x" + Long.toHexString(p.offset())
                        + " does not start at a note section");
            }
        }
    }

    private static void checkDynamicPointers(ElfFile elf, List<String> problems) {
        if (elf.sectionHeaders().isEmpty()) {
            return;
        }
        long[] tags = {DynamicEntry.DT_STRTAB, DynamicEntry.DT_SYMTAB, DynamicEntry.DT_GNU_HASH, DynamicEntry.DT_HASH,
            DynamicEntry.DT_VERSYM, DynamicEntry.DT_VERNEED, DynamicEntry.DT_VERDEF};
        for (long tag : tags) {
            elf.dynamicValue(tag).ifPresent(address -> {
                boolean inside = elf.sectionHeaders().stream().anyMatch(s -> s.isAllocated() && s.size() > 0
                        && Long.compareUnsigned(address, s.addr()) >= 0
                        && Long.compareUnsigned(address - s.addr(), s.size()) < 0);
                if (!inside) {
                    problems.add("dynamic entry 0x" + Long.toHexString(tag) + " points outside every section");
                }
            });
        }
        elf.dynamicValue(DynamicEntry.DT_STRTAB).ifPresent(address -> elf.dynamicValue(DynamicEntry.DT_STRSZ)
                .ifPresent(size -> elf.sectionHeaders().stream()
                        .filter(s -> s.type() == SectionHeader.SHT_STRTAB && s.addr() == address).findFirst()
                        .ifPresent(s -> {
                            if (s.size() != size) {
                                problems.add("DT_STRSZ does not match the .dynstr section size");
                            }
                        })));
    }

    private static ProgramHeader loadContaining(List<ProgramHeader> loads, long offset, long size) {
        for (ProgramHeader p : loads) {
            if (offset >= p.offset() && offset + size <= p.fileEnd()) {
                return p;
            }
        }
        return null;
    }
}
