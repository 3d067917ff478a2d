package dev.elfmend.cli;

/** Exit statuses shared by every command. */
final class ExitCodes {

    static final int OK = 0;
    /** A file could not be read, written or fixed. */
    static final int FAILURE = 1;
    /** The command line was wrong. */
    static final int USAGE = 2;

    private ExitCodes() {}
}
