package dev.elfmend.config;

/** The configuration is not valid; the message says where and why. */
public final class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
