package dev.elfmend.resolve;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the sonames out of .note.dlopen metadata (systemd's format: a JSON array of objects with a
 * "soname" array). Only the strings are needed, so a small pattern reader suffices.
 */
final class DlopenNotes {

    private static final Pattern SONAME_ARRAY = Pattern.compile("\"soname\"\\s*:\\s*\\[([^\\]]*)]");
    private static final Pattern STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

    private DlopenNotes() {}

    static List<String> sonames(List<String> notes) {
        List<String> out = new ArrayList<>();
        for (String json : notes) {
            Matcher arrays = SONAME_ARRAY.matcher(json);
            while (arrays.find()) {
                Matcher names = STRING.matcher(arrays.group(1));
                while (names.find()) {
                    String name = names.group(1);
                    if (!out.contains(name)) {
                        out.add(name);
                    }
                }
            }
        }
        return out;
    }
}
