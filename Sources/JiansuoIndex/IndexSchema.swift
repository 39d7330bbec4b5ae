import GRDB
import JiansuoAnalysis

/// The on-disk layout of the index, as GRDB migrations.
///
/// - `meta(key, value)`: `analysis` holds ``AnalysisVersion/current(_:)`` of the options the
///   index was built with; `unmerged` the changes applied since FTS5's segments were last
///   merged into one (``SearchIndex/unmergedChanges()``; absent: none).
/// - `documents`: one row per indexed file; `id` is the FTS5 rowid; `title_key` is the title
///   normalized for exact-title matching (``SearchIndex/titleKey(_:options:)``); `date_key` is
///   the document's day `YYYY-MM-DD` (front matter date, else modification time, in UTC);
///   `categories`, `tags` and `links` (link targets, not indexed) are JSON arrays; `body` is the
///   extracted text, zlib-compressed (`cindex_store_text`; read with `jiansuo_text(body)`).
/// - `document_text(id, title, body)`: a view of the documents' plain text, FTS5's content.
/// - `fts`: FTS5 table `(body, title)` (body first: see `CINDEX_BODY_COLUMN`) with external content `document_text` (the text is
///   stored once, compressed), the `jiansuo` tokenizer and `detail=full` (phrase queries need
///   positions); ranked by `jiansuo_rank` (see `cindex.h`). See
///   https://sqlite.org/fts5.html#external_content_tables
/// - `errors(path, message, at_ms, size, mtime_ns, inode)`: files that could not be indexed,
///   until they index fine; with the file state the failure belongs to, when it is retried only
///   after the file changes (NULL: retried at every reconcile).
///
/// Migrations: `v1` kept the text in FTS5's own content table; `v2` moved it, compressed, into
/// `documents` (an index about 30% smaller). `v2` empties the index: the next reconcile
/// indexes every file again. `v3` gave `errors` the file state and added `fts_vocab`, an
/// `fts5vocab` view of each token's document count (https://sqlite.org/fts5.html#the_fts5vocab_virtual_table_module).
/// `v4` added `document_positions(id, positions)`: for a body of at least `CINDEX_BLOCKS_MIN` bytes (stored in
/// blocks), the FTS5 token position of the first token at or after every
/// `CINDEX_POSITION_STRIDE` bytes, as little-endian 32-bit integers; a snippet is read and
/// highlighted only around the first match. `v5` added each file's owner, group and mode, `v6`
/// `encoding_uncertainty`, `v7` `documents_uncertain`, a partial index of the documents whose
/// charset is a guess (`status` counts them without reading the table), `v8` `documents_access`,
/// each document's path, owner, group and mode by id (filtered searches read them without
/// reading the table).
enum IndexSchema {
    /// FTS5's default ranking (the `rank` column): bm25 with the title weighing ten body
    /// matches. Searches rank with `jiansuo_rank` instead; this serves direct SQL use.
    static let rankFunction = "bm25(1.0, 10.0)"

    /// The covering index of each document's path, owner, group and mode by id (`v8`).
    static let accessIndex = "documents_access"

    static func migrator(_ options: AnalysisOptions) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE documents(
                    id INTEGER PRIMARY KEY,
                    path TEXT NOT NULL UNIQUE,
                    size INTEGER NOT NULL,
                    mtime_ns INTEGER NOT NULL,
                    inode INTEGER NOT NULL,
                    content_hash INTEGER NOT NULL DEFAULT 0,
                    title TEXT NOT NULL,
                    title_key TEXT NOT NULL,
                    format TEXT NOT NULL,
                    encoding TEXT NOT NULL,
                    date TEXT,
                    date_key TEXT NOT NULL,
                    author TEXT,
                    categories TEXT NOT NULL DEFAULT '[]',
                    tags TEXT NOT NULL DEFAULT '[]',
                    links TEXT NOT NULL DEFAULT '[]',
                    indexed_at_ms INTEGER NOT NULL
                );
                CREATE INDEX documents_title_key ON documents(title_key);
                CREATE TABLE errors(path TEXT PRIMARY KEY, message TEXT NOT NULL, at_ms INTEGER NOT NULL);
                """)
            let tokenizer = ([JiansuoTokenizer.name] + JiansuoTokenizer.arguments(options)).joined(separator: " ")
            try db.execute(sql: """
                CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='\(tokenizer)', detail=full);
                INSERT INTO fts(fts, rank) VALUES('rank', '\(rankFunction)');
                """)
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES('analysis', ?)",
                           arguments: [AnalysisVersion.current(options)])
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                DROP TABLE fts;
                DELETE FROM documents;
                DELETE FROM errors;
                ALTER TABLE documents ADD COLUMN body BLOB;
                CREATE VIEW document_text AS SELECT id, title, jiansuo_text(body) AS body FROM documents;
                """)
            try createFTS(db, options)
        }
        migrator.registerMigration("v3") { db in
            // The file state a failure belongs to (NULL: retried at every reconcile).
            try db.execute(sql: """
                ALTER TABLE errors ADD COLUMN size INTEGER;
                ALTER TABLE errors ADD COLUMN mtime_ns INTEGER;
                ALTER TABLE errors ADD COLUMN inode INTEGER;
                """)
            // Each token's document count, for estimating a query's cost before running it.
            try db.execute(sql: "CREATE VIRTUAL TABLE fts_vocab USING fts5vocab(fts, row)")
        }
        migrator.registerMigration("v4") { db in
            // A large body's token position every 4 KiB, in a table of its own: reading a column
            // stored after a 6 MB body walks its overflow pages. Large bodies stored before v4
            // lack it and are stored in one zlib stream: forget their file state, so that the
            // next reconcile reads them again.
            try db.execute(sql: """
                CREATE TABLE document_positions(id INTEGER PRIMARY KEY, positions BLOB NOT NULL);
                CREATE TRIGGER documents_delete_positions AFTER DELETE ON documents
                BEGIN DELETE FROM document_positions WHERE id = old.id; END;
                UPDATE documents SET mtime_ns = -1, content_hash = 0 WHERE length(body) >= 16384;
                """)
        }
        migrator.registerMigration("v5") { db in
            // Owner, group and mode of each file (FileAccess), for filtering results by who
            // searches. NULL until the next reconcile records them (a stat, no re-extraction);
            // meanwhile a filtered search examines the file itself.
            try db.execute(sql: """
                ALTER TABLE documents ADD COLUMN owner INTEGER;
                ALTER TABLE documents ADD COLUMN grp INTEGER;
                ALTER TABLE documents ADD COLUMN mode INTEGER;
                """)
        }
        migrator.registerMigration("v6") { db in
            // Why a document's charset is a guess (CharsetDecoder), for `show` and `status`.
            try db.execute(sql: "ALTER TABLE documents ADD COLUMN encoding_uncertainty TEXT")
        }
        migrator.registerMigration("v7") { db in
            // `status` counts the documents whose charset is a guess. The column comes after the
            // compressed body, so counting it from the table walks every body's overflow pages
            // (medium corpus: about 18 ms per `status`); a partial index holds only those rows.
            try db.execute(sql: """
                CREATE INDEX documents_uncertain ON documents(encoding_uncertainty) WHERE encoding_uncertainty IS NOT NULL
                """)
        }
        migrator.registerMigration("v8") { db in
            // Who may read each document, for filtered searches: owner, group and mode come after
            // the compressed body in the table's rows, so reading them from the table walks the
            // body's overflow pages, for every match. This covering index holds them by id
            // (searches join it `INDEXED BY`; see ``accessIndex``). With the path, so that a
            // filtered search reads no table row per match (measured on the medium corpus as
            // another user: without the path in it, frequent words took p50 58–64 ms, as before
            // the index; with it, 32–47). About 80 bytes a document, 1.2% of the index.
            try db.execute(sql: "CREATE INDEX \(accessIndex) ON documents(id, path, owner, grp, mode)")
        }
        return migrator
    }

    static func createFTS(_ db: Database, _ options: AnalysisOptions) throws {
        let tokenizer = ([JiansuoTokenizer.name] + JiansuoTokenizer.arguments(options)).joined(separator: " ")
        try db.execute(sql: """
            CREATE VIRTUAL TABLE fts USING fts5(body, title, content='document_text', content_rowid='id',
                                                tokenize='\(tokenizer)', detail=full);
            INSERT INTO fts(fts, rank) VALUES('rank', '\(rankFunction)');
            """)
    }

    /// When the stored analysis version differs from this build's, drops every document (their
    /// tokens came from another analyzer; FTS5 could not even delete them correctly) so that the
    /// next reconcile indexes all files again. Returns true when it did.
    static func resetIfAnalysisChanged(_ db: Database, _ options: AnalysisOptions) throws -> Bool {
        let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'analysis'")
        guard stored != AnalysisVersion.current(options) else { return false }
        try db.execute(sql: "DROP TABLE IF EXISTS fts; DELETE FROM documents; DELETE FROM errors;")
        try createFTS(db, options)
        try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES('analysis', ?)",
                       arguments: [AnalysisVersion.current(options)])
        return true
    }
}
