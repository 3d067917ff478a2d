package dev.elfmend.fixup;

import dev.elfmend.elf.ByteSources;
import dev.elfmend.elf.ElfFile;
import dev.elfmend.elf.ElfReader;
import dev.elfmend.elf.ElfType;
import dev.elfmend.elf.VersionDefinition;
import dev.elfmend.resolve.RootLookup;
import dev.elfmend.store.RootedFiles;
import dev.elfmend.store.StoreLibrary;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** {@link RootLookup} over the filesystem under a root, with a cache: a tree walk asks the same questions often. */
public final class FsRootLookup implements RootLookup {

    private final Path root;
    private final Map<String, Boolean> exists = new ConcurrentHashMap<>();
    private final Map<String, Optional<StoreLibrary>> libraries = new ConcurrentHashMap<>();

    public FsRootLookup(Path root) {
        this.root = root;
    }

    @Override
    public boolean exists(String pathInRoot) {
        return exists.computeIfAbsent(pathInRoot, p -> RootedFiles.resolve(root, p) != null);
    }

    @Override
    public StoreLibrary library(String pathInRoot) {
        return libraries.computeIfAbsent(pathInRoot, this::describe).orElse(null);
    }

    private Optional<StoreLibrary> describe(String pathInRoot) {
        Path real = RootedFiles.resolve(root, pathInRoot);
        if (real == null || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try (FileChannel ch = FileChannel.open(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ElfFile elf = ElfReader.read(ByteSources.of(ch));
            if (elf.header().type() != ElfType.DYN) {
                return Optional.empty();
            }
            int slash = pathInRoot.lastIndexOf('/');
            return Optional.of(new StoreLibrary(null, pathInRoot.substring(0, Math.max(slash, 0)),
                    pathInRoot.substring(slash + 1), elf.soname().orElse(null), elf.header().elfClass().ordinal() + 1,
                    elf.header().bigEndian(), elf.header().machine().code(), elf.header().osAbi(),
                    elf.versionDefinitions().stream().filter(d -> !d.isBase()).map(VersionDefinition::name).toList(),
                    elf.needed(), elf.runPath().or(elf::rPath).orElse(null), java.util.List.of()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
