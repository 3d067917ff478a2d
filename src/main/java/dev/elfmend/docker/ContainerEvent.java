package dev.elfmend.docker;

/** One container event from the engine's event stream ({@code start}, {@code die}, {@code stop}, ...). */
public record ContainerEvent(String containerId, String action) {

    /** Whether the container's main process is gone after this event. */
    public boolean ended() {
        return switch (action) {
            case "die", "stop", "destroy" -> true;
            default -> false;
        };
    }

    /** Whether the container (again) has a main process after this event. */
    public boolean started() {
        return switch (action) {
            case "start", "restart", "unpause" -> true;
            default -> false;
        };
    }
}
