package dev.elfmend.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded polls for the ITs, never fixed sleeps. */
public final class Awaits {

    private Awaits() {
    }

    public static void until(String what, Duration patience, BooleanSupplier condition) {
        long end = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
        throw new AssertionError("timed out after " + patience.toSeconds() + " s waiting for " + what);
    }
}
