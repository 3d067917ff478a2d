package dev.elfmend.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The root command: global options and the list of subcommands. */
@Command(name = "elfmend",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Makes foreign Linux binaries run on NixOS and in Nix-based containers by rewriting "
                + "their ELF interpreter and run path.",
        subcommands = {InspectCommand.class, PatchelfCommand.class, CheckCommand.class, FixCommand.class,
                UndoCommand.class, IndexCommand.class, WatchCommand.class, DockerCommand.class,
                DemoCommand.class})
final class ElfmendCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "More detail in logs; -vv for even more. Errors show stack traces.")
    boolean[] verbose = new boolean[0];

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command (try elfmend --help)");
    }
}
