package dev.elfmend.elf;

import java.util.ArrayList;
import java.util.List;

/**
 * The dynamic section as it should read after the edits, entry by entry. String-valued entries carry
 * their text; where they must live in the string table is the layout's business.
 */
final class DynamicEdit {

    /** One entry of the edited dynamic section. */
    static final class Entry {
        long tag;
        long value;
        /** Text of a string-valued entry (NEEDED, SONAME, RUNPATH, RPATH), else null. */
        String text;
        /** Index in the original table, or -1 for an added entry. */
        final int originalIndex;
        /** True when the text differs from what the original entry pointed at, or the entry is new. */
        boolean textChanged;

        Entry(int originalIndex, long tag, long value, String text, boolean textChanged) {
            this.originalIndex = originalIndex;
            this.tag = tag;
            this.value = value;
            this.text = text;
            this.textChanged = textChanged;
        }

        boolean isString() {
            return text != null;
        }
    }

    final List<Entry> entries = new ArrayList<>();
    final List<String> changes = new ArrayList<>();

    DynamicEdit(DynamicInfo dynamic) throws java.io.IOException {
        for (int i = 0; i < dynamic.entries.size(); i++) {
            DynamicEntry e = dynamic.entries.get(i);
            String text = e.isStringReference() ? dynamic.strings.cString(e.value()) : null;
            entries.add(new Entry(i, e.tag(), e.value(), text, false));
        }
    }

    void apply(ElfEdits edits) {
        replaceNeeded(edits);
        removeNeeded(edits);
        addNeeded(edits);
        edits.soname().ifPresent(this::setSoname);
        if (edits.removeRunPath()) {
            removeRunPath();
        }
        edits.runPath().ifPresent(path -> setRunPath(path, edits.runPathTag()));
    }

    private void replaceNeeded(ElfEdits edits) {
        for (Entry e : entries) {
            if (e.tag == DynamicEntry.DT_NEEDED && edits.replaceNeeded().containsKey(e.text)) {
                String to = edits.replaceNeeded().get(e.text);
                if (!to.equals(e.text)) {
                    changes.add("needed " + e.text + " -> " + to);
                    e.text = to;
                    e.textChanged = true;
                }
            }
        }
    }

    private void removeNeeded(ElfEdits edits) {
        entries.removeIf(e -> {
            boolean remove = e.tag == DynamicEntry.DT_NEEDED && edits.removeNeeded().contains(e.text);
            if (remove) {
                changes.add("needed -" + e.text);
            }
            return remove;
        });
    }

    private void addNeeded(ElfEdits edits) {
        // New needs go first, as patchelf puts them: the loader searches them before the others.
        int at = 0;
        for (String lib : edits.addNeeded()) {
            if (needed().contains(lib)) {
                continue;
            }
            entries.add(at++, new Entry(-1, DynamicEntry.DT_NEEDED, 0, lib, true));
            changes.add("needed +" + lib);
        }
    }

    private void setSoname(String name) {
        for (Entry e : entries) {
            if (e.tag == DynamicEntry.DT_SONAME) {
                if (!name.equals(e.text)) {
                    changes.add("soname " + e.text + " -> " + name);
                    e.text = name;
                    e.textChanged = true;
                }
                return;
            }
        }
        entries.add(0, new Entry(-1, DynamicEntry.DT_SONAME, 0, name, true));
        changes.add("soname (none) -> " + name);
    }

    private void removeRunPath() {
        entries.removeIf(e -> {
            boolean remove = e.tag == DynamicEntry.DT_RUNPATH || e.tag == DynamicEntry.DT_RPATH;
            if (remove) {
                changes.add(tagName(e.tag) + " " + e.text + " removed");
            }
            return remove;
        });
    }

    private void setRunPath(String path, ElfEdits.RunPathTag wanted) {
        int runpath = indexOf(DynamicEntry.DT_RUNPATH);
        int rpath = indexOf(DynamicEntry.DT_RPATH);
        long tag = switch (wanted) {
            case RUNPATH -> DynamicEntry.DT_RUNPATH;
            case RPATH -> DynamicEntry.DT_RPATH;
            case KEEP_EXISTING -> runpath < 0 && rpath >= 0 ? DynamicEntry.DT_RPATH : DynamicEntry.DT_RUNPATH;
        };
        int keep = tag == DynamicEntry.DT_RUNPATH ? (runpath >= 0 ? runpath : rpath) : (rpath >= 0 ? rpath : runpath);
        if (keep < 0) {
            entries.add(0, new Entry(-1, tag, 0, path, true));
            changes.add(tagName(tag) + " (none) -> " + path);
            return;
        }
        Entry e = entries.get(keep);
        String old = e.text;
        long oldTag = e.tag;
        if (!path.equals(old)) {
            e.text = path;
            e.textChanged = true;
        }
        e.tag = tag;
        if (!path.equals(old) || oldTag != tag) {
            changes.add(tagName(oldTag) + " " + old + " -> " + tagName(tag) + " " + path);
        }
        // The loader ignores DT_RPATH when DT_RUNPATH is present, and of repeated entries takes the last; leave
        // exactly one, so the file says what it does.
        entries.removeIf(x -> {
            boolean remove = x != e && (x.tag == DynamicEntry.DT_RUNPATH || x.tag == DynamicEntry.DT_RPATH);
            if (remove) {
                changes.add(tagName(x.tag) + " " + x.text + " removed");
            }
            return remove;
        });
    }

    private int indexOf(long tag) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).tag == tag) {
                return i;
            }
        }
        return -1;
    }

    List<String> needed() {
        return entries.stream().filter(e -> e.tag == DynamicEntry.DT_NEEDED).map(e -> e.text).toList();
    }

    String text(long tag) {
        int i = indexOf(tag);
        return i < 0 ? null : entries.get(i).text;
    }

    static String tagName(long tag) {
        return tag == DynamicEntry.DT_RPATH ? "rpath" : tag == DynamicEntry.DT_RUNPATH ? "runpath"
                : tag == DynamicEntry.DT_SONAME ? "soname" : "needed";
    }
}
