package dev.elfmend.cli;

import dev.elfmend.config.ConfigException;
import dev.elfmend.config.JsonReader;

/**
 * Reads the JSON elfmend prints the way a JSON consumer would, through the project's own strict
 * reader: objects become ordered maps, arrays lists, numbers Long (or Double with a fraction or
 * exponent). Anything that is not JSON is an {@link IllegalArgumentException} naming its position.
 */
public final class JsonParser {

    private JsonParser() {}

    public static Object parse(String text) {
        try {
            return JsonReader.parse(text);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
