package dev.elfmend.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * A read-only connection to a root's Nix database. SQLite resolves symlinks in the path it opens, and
 * {@code /proc/<pid>/root} (how the Docker agent reaches a container) is a magic link that reads as the
 * host's {@code /}: opened through it, the host's own database would answer. When the root is reached
 * through a link, the database (and its WAL) is copied and the copy is read.
 */
final class StoreDatabase implements AutoCloseable {

    private final Connection connection;
    private final Path copyDir;

    private StoreDatabase(Connection connection, Path copyDir) {
        this.connection = connection;
        this.copyDir = copyDir;
    }

    static StoreDatabase open(Path root, Path db) throws SQLException, IOException {
        Path copyDir = null;
        Path target = db;
        if (!root.toRealPath().equals(root.toAbsolutePath().normalize())) {
            copyDir = Files.createTempDirectory("elfmend-db");
            target = Files.copy(db, copyDir.resolve("db.sqlite"));
            Path wal = db.resolveSibling(db.getFileName() + "-wal");
            if (Files.exists(wal, LinkOption.NOFOLLOW_LINKS)) {
                Files.copy(wal, copyDir.resolve("db.sqlite-wal"));
            }
        }
        Properties props = new Properties();
        props.setProperty("open_mode", "1"); // SQLITE_OPEN_READONLY
        try {
            return new StoreDatabase(DriverManager.getConnection("jdbc:sqlite:" + target, props), copyDir);
        } catch (SQLException | RuntimeException e) {
            deleteCopy(copyDir);
            throw e;
        }
    }

    Connection connection() {
        return connection;
    }

    @Override
    public void close() throws SQLException {
        try {
            connection.close();
        } finally {
            deleteCopy(copyDir);
        }
    }

    private static void deleteCopy(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a temp copy left behind is harmless
        }
    }
}
