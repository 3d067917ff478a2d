package dev.elfmend.cli;

import picocli.CommandLine;

/** Version from the jar manifest, so the build stamps it once. */
final class VersionProvider implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = ElfmendCommand.class.getPackage().getImplementationVersion();
        return new String[] {"elfmend " + (version == null ? "(development build)" : version)};
    }
}
