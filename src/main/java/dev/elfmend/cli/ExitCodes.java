package dev.elfmend.cli;

/** Exit statuses shared by every command. */
final class ExitCodes {

    static final int OK = 0;
    /** A file could not be read, written or fixed. */
    static final int FAILURE = 1;
    /** The command line was wrong. */
    static final int USAGE = 2;
    /** check: something needs fixing (and fix would fix it). */
    static final int NEEDS_FIX = 3;
    /** check, fix --strict: something stays unresolved. */
    static final int UNRESOLVED = 4;

    private ExitCodes() {}
}
