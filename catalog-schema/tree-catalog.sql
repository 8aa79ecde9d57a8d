-- CernVM.Preserve tree catalog, format 1 (normative: FORMAT.md section 6).
-- A tree catalog is an SQLite 3 database file stored as a blob. It lists one file tree.
-- Paths and names are raw bytes (BLOB); text columns are UTF-8.

CREATE TABLE catalog_info (
  key   TEXT PRIMARY KEY,          -- 'format' = '1', 'entries' = count of rows in entries
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE entries (
  id          INTEGER PRIMARY KEY, -- 1 is the root; a parent always has a smaller id than its children
  parent      INTEGER REFERENCES entries(id),  -- NULL only for the root
  path        BLOB NOT NULL UNIQUE,            -- raw bytes relative to the root, '/'-separated; X'' for the root
  kind        TEXT NOT NULL CHECK (kind IN ('dir','file','symlink','chardev','blockdev','fifo','socket')),
  state       TEXT NOT NULL CHECK (state IN ('captured','excluded','pseudo','unreadable')),
  mode        INTEGER NOT NULL,    -- st_mode & 07777: permissions, setuid 04000, setgid 02000, sticky 01000
  uid         INTEGER NOT NULL,
  gid         INTEGER NOT NULL,
  uname       TEXT,                -- owner name from the tree's own etc/passwd, when known
  gname       TEXT,                -- group name from the tree's own etc/group, when known
  mtime_sec   INTEGER NOT NULL,    -- seconds since 1970-01-01T00:00:00Z, may be negative
  mtime_nsec  INTEGER NOT NULL CHECK (mtime_nsec BETWEEN 0 AND 999999999),
  size        INTEGER NOT NULL,    -- file: size in bytes; symlink: length of target; else 0
  rdev_major  INTEGER NOT NULL DEFAULT 0,
  rdev_minor  INTEGER NOT NULL DEFAULT 0,
  target      BLOB,                -- symlink target, raw bytes
  hardlink_to INTEGER REFERENCES entries(id),  -- set on the 2nd..nth name of one inode: the entry with the 1st name
  content     TEXT,                -- file: SHA-256 (hex) of the whole content, holes read as zeros
  note        TEXT,                -- pseudo: file system type; excluded/unreadable: the reason
  src_dev     INTEGER NOT NULL DEFAULT 0,  -- source observations used only to detect unchanged files
  src_ino     INTEGER NOT NULL DEFAULT 0,
  ctime_sec   INTEGER NOT NULL DEFAULT 0,
  ctime_nsec  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX entries_parent ON entries(parent);

CREATE TABLE extents (
  entry       INTEGER NOT NULL REFERENCES entries(id),
  offset      INTEGER NOT NULL,    -- position in the file
  length      INTEGER NOT NULL CHECK (length > 0),
  blob        TEXT NOT NULL,       -- blob id: SHA-256 (hex) of the blob's uncompressed bytes
  blob_offset INTEGER NOT NULL,    -- position of these bytes in the blob's uncompressed bytes
  PRIMARY KEY (entry, offset)
) WITHOUT ROWID;
CREATE INDEX extents_blob ON extents(blob);

CREATE TABLE xattrs (
  entry  INTEGER NOT NULL REFERENCES entries(id),
  name   BLOB NOT NULL,            -- e.g. 'security.capability', 'system.posix_acl_access', 'user.x'
  value  BLOB NOT NULL,
  PRIMARY KEY (entry, name)
) WITHOUT ROWID;
