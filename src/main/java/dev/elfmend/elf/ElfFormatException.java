package dev.elfmend.elf;

import java.io.IOException;

/**
 * The one error for input that is not a well-formed ELF file: it names the file offset where the
 * problem was found and the reason, so the caller can tell the user which file and why.
 */
public final class ElfFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final long offset;
    private final String reason;

    public ElfFormatException(long offset, String reason) {
        super(offset >= 0 ? reason + " (at offset 0x" + Long.toHexString(offset) + ")" : reason);
        this.offset = offset;
        this.reason = reason;
    }

    /** File offset the problem was found at, or -1 when it concerns the file as a whole. */
    public long offset() {
        return offset;
    }

    public String reason() {
        return reason;
    }
}
