package dev.elfmend.docker;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which containers the agent may touch: those labelled {@code dev.elfmend.enable=true}, and, when
 * configured, devcontainers (labelled by the devcontainer CLI / VS Code) unless they say
 * {@code dev.elfmend.enable=false}. Nothing else, ever.
 */
public record OptIn(boolean devcontainers) {

    public static final String ENABLE_LABEL = "dev.elfmend.enable";
    /** Colon-separated trees to watch, as paths inside the container. */
    public static final String TREES_LABEL = "dev.elfmend.trees";
    /** Set on containers made by the devcontainer CLI and VS Code. */
    public static final String DEVCONTAINER_LABEL = "devcontainer.local_folder";

    public boolean accepts(ContainerInfo container) {
        return refusal(container).isEmpty();
    }

    /** Why the container may not be touched, for messages; empty when it opted in. */
    public Optional<String> refusal(ContainerInfo container) {
        String enable = container.labels().get(ENABLE_LABEL);
        if (enable != null) {
            return enable.equalsIgnoreCase("true") ? Optional.empty()
                    : Optional.of("opted out with the label " + ENABLE_LABEL + "=" + enable);
        }
        if (devcontainers && container.labels().containsKey(DEVCONTAINER_LABEL)) {
            return Optional.empty();
        }
        return Optional.of("did not opt in (no label " + ENABLE_LABEL + "=true"
                + (container.labels().containsKey(DEVCONTAINER_LABEL) ? "; a devcontainer counts with --devcontainers"
                        : "") + ")");
    }

    /** The trees the container asked for with its label, or an empty list for the defaults. */
    public static List<String> labelledTrees(ContainerInfo container) {
        String value = container.labels().get(TREES_LABEL);
        List<String> trees = new ArrayList<>();
        if (value != null) {
            for (String t : value.split(":")) {
                if (t.startsWith("/")) {
                    trees.add(t);
                }
            }
        }
        return trees;
    }
}
