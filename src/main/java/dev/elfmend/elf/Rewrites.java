package dev.elfmend.elf;

import java.util.Arrays;

/** Applies a {@link Rewrite} in memory: for tests, fuzzing and small files. */
public final class Rewrites {

    private Rewrites() {}

    public static byte[] applyTo(byte[] original, Rewrite rewrite) {
        if (rewrite.newSize() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("rewrite too large for memory: " + rewrite.newSize());
        }
        byte[] out = Arrays.copyOf(original, (int) rewrite.newSize());
        for (Rewrite.Op op : rewrite.ops()) {
            switch (op) {
                case Rewrite.Write w -> System.arraycopy(w.bytes(), 0, out, (int) w.targetOffset(), w.bytes().length);
                case Rewrite.Copy c -> System.arraycopy(original, (int) c.sourceOffset(), out, (int) c.targetOffset(),
                        (int) c.length());
            }
        }
        return out;
    }
}
