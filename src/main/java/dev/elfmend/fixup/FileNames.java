package dev.elfmend.fixup;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * File names as the kernel has them. A Linux name is bytes: it may hold a newline or bytes that are
 * not UTF-8. Java keeps those bytes in a {@link Path} read from a directory, but its {@code toString}
 * decodes them with the locale's charset, which loses them; here they are read back exactly (through
 * {@link Path#toUri()}, which encodes the raw bytes) and shown escaped on one line.
 */
public final class FileNames {

    private FileNames() {}

    /** The raw bytes of {@code path} made absolute. */
    static byte[] bytes(Path path) {
        String raw = path.toAbsolutePath().toUri().getRawPath();
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && i + 2 < raw.length()) {
                out.write(Integer.parseInt(raw, i + 1, i + 3, 16));
                i += 2;
            } else {
                out.write(c); // everything else in a file URI's raw path is ASCII
            }
        }
        byte[] b = out.toByteArray();
        // toUri marks a directory with a trailing slash; no name ends with one.
        return b.length > 1 && b[b.length - 1] == '/' ? java.util.Arrays.copyOf(b, b.length - 1) : b;
    }

    /** The raw bytes of the last name in {@code path}. */
    static byte[] lastName(Path path) {
        byte[] b = bytes(path);
        int slash = b.length - 1;
        while (slash >= 0 && b[slash] != '/') {
            slash--;
        }
        return java.util.Arrays.copyOfRange(b, slash + 1, b.length);
    }

    /** The name exactly, when its bytes are UTF-8; null when they are not (then only {@link #shown} can tell it). */
    public static String text(Path path) {
        if (isPlain(path.toString())) {
            return path.toString();
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return decoder.decode(ByteBuffer.wrap(bytesAsGiven(path))).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }

    /**
     * {@code path} on one line: control characters as {@code \n}, {@code \t} or {@code \xNN}, bytes
     * that are not UTF-8 as {@code \xNN}, a backslash doubled, characters that reorder or break lines
     * as {@code \\uNNNN}.
     */
    public static String shown(Path path) {
        String s = path.toString();
        if (isPlain(s) && s.indexOf('\\') < 0) {
            return s;
        }
        return shown(bytesAsGiven(path));
    }

    /**
     * A message on one line: control and line-breaking characters escaped as in {@link #shown(Path)};
     * backslashes are left alone, since names in elfmend's own messages are already shown escaped.
     */
    public static String oneLine(String message) {
        if (message == null || isPlain(message)) {
            return message;
        }
        StringBuilder out = new StringBuilder(message.length() + 16);
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (c == '\\') {
                out.append(c);
            } else {
                escape(String.valueOf(c), out);
            }
        }
        return out.toString();
    }

    private static String shown(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length + 16);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer chars = CharBuffer.allocate(bytes.length + 1);
        while (true) {
            CoderResult r = decoder.decode(in, chars, true);
            chars.flip();
            escape(chars, out);
            chars.clear();
            if (r.isError()) {
                for (int i = 0; i < r.length(); i++) {
                    out.append(String.format("\\x%02x", in.get() & 0xff));
                }
            } else if (r.isUnderflow()) {
                break;
            }
        }
        return out.toString();
    }

    private static void escape(CharSequence chars, StringBuilder out) {
        for (int i = 0; i < chars.length(); i++) {
            char c = chars.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                        out.append(String.format("\\x%02x", (int) c));
                    } else if (isLineOrDirectionControl(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
    }

    /** The path's bytes; a relative path's own bytes, not its absolute form. */
    private static byte[] bytesAsGiven(Path path) {
        if (path.isAbsolute()) {
            return bytes(path);
        }
        byte[] b = bytes(path.getFileSystem().getPath("/").resolve(path));
        return java.util.Arrays.copyOfRange(b, 1, b.length);
    }

    /** Nothing that needs escaping and nothing the locale's charset could have lost. */
    private static boolean isPlain(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\ufffd' || isLineOrDirectionControl(c)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLineOrDirectionControl(char c) {
        return c == '\u2028' || c == '\u2029' || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
                || c == '\u200e' || c == '\u200f';
    }
}
