package dev.elfmend.elf;

import java.util.List;
import java.util.Map;

/**
 * How to turn the original file into the edited one: the new size and a list of operations, each
 * either literal bytes or a range copied from the original. Copies always read the original, so large ranges never pass through the heap.
 */
public record Rewrite(long newSize, List<Op> ops, List<String> changes, boolean grew, Expected expected) {

    public Rewrite {
        ops = List.copyOf(ops);
        changes = List.copyOf(changes);
    }

    /** True when nothing changes: the file must be left untouched. */
    public boolean isNoop() {
        return changes.isEmpty();
    }

    public static Rewrite noop(long size) {
        return new Rewrite(size, List.of(), List.of(), false, null);
    }

    /** What the rewritten file must say about itself; checked after writing, before it replaces the original. */
    public record Expected(String interpreter, List<String> needed, String runPath, String rPath, String soname,
                           Map<String, List<String>> versionNeeds) {}

    /** One step of a rewrite. */
    public sealed interface Op permits Write, Copy {
        long targetOffset();

        long length();
    }

    /** Literal bytes at {@code targetOffset}. */
    public record Write(long targetOffset, byte[] bytes) implements Op {
        @Override
        public long length() {
            return bytes.length;
        }
    }

    /** {@code length} bytes of the original file from {@code sourceOffset}, placed at {@code targetOffset}. */
    public record Copy(long sourceOffset, long length, long targetOffset) implements Op {}
}
