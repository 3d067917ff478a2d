package dev.elfmend.docker;

/** The engine could not be reached or refused a request; the message says which and how to fix it. */
public final class DockerGatewayException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DockerGatewayException(String message, Throwable cause) {
        super(message, cause);
    }

    public DockerGatewayException(String message) {
        super(message);
    }
}
