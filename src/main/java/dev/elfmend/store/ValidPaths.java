package dev.elfmend.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.TreeSet;
import java.util.SortedSet;

/**
 * The store paths that are complete and registered. The store's own database says which paths are
 * valid (a path being copied in or half deleted is not); when it cannot be read (no permission, no
 * database), the directory listing is the fallback.
 */
public final class ValidPaths {

    /** Where the answer came from, for the index summary. */
    public enum Source { DATABASE, LISTING }

    public record Result(SortedSet<String> baseNames, Source source) {}

    /** The store database, as seen inside the root. */
    public static final String DATABASE_FILE = "/nix/var/nix/db/db.sqlite";

    private ValidPaths() {}

    public static Result read(Path root, String storeDir) throws IOException {
        Path db = RootedFiles.host(root, DATABASE_FILE);
        if (Files.isReadable(db)) {
            try {
                return new Result(fromDatabase(root, db, storeDir), Source.DATABASE);
            } catch (SQLException | IOException | RuntimeException e) {
                // Unreadable for this user (WAL needs write access to the directory) or locked: fall back.
            }
        }
        return new Result(fromListing(RootedFiles.host(root, storeDir)), Source.LISTING);
    }

    private static SortedSet<String> fromDatabase(Path root, Path db, String storeDir)
            throws SQLException, IOException {
        SortedSet<String> out = new TreeSet<>();
        try (StoreDatabase d = StoreDatabase.open(root, db);
             Statement s = d.connection().createStatement();
             ResultSet rs = s.executeQuery("SELECT path FROM ValidPaths")) {
            String prefix = storeDir + "/";
            while (rs.next()) {
                String path = rs.getString(1);
                if (path.startsWith(prefix)) {
                    String base = path.substring(prefix.length());
                    if (StorePath.isValidBaseName(base)) {
                        out.add(base);
                    }
                }
            }
        }
        return out;
    }

    private static SortedSet<String> fromListing(Path store) throws IOException {
        SortedSet<String> out = new TreeSet<>();
        if (!Files.isDirectory(store)) {
            return out;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(store)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (StorePath.isValidBaseName(name)) {
                    out.add(name);
                }
            }
        }
        return out;
    }
}
