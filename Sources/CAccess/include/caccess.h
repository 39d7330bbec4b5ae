#ifndef CACCESS_H
#define CACCESS_H
// POSIX access control lists (see acl(5)), evaluated for another user than the caller's:
// the daemon decides what a client may read without changing its own credentials.
// Uses libacl (Debian's libacl1-dev); no libacl type reaches Swift.
#include <stdint.h>

#define CACCESS_READ 4
#define CACCESS_EXECUTE 1

/// 1 when `path` (a NUL-terminated byte path) has an extended ACL (entries beyond the owner,
/// group and other that its mode shows), 0 when not, -1 when it cannot be read (errno set).
/// Symbolic links are followed.
int caccess_has_extended_acl(const char *path);

/// Whether the access ACL of `path` grants `permission` (CACCESS_READ or CACCESS_EXECUTE) to
/// a process with user `uid`, primary group `gid` and `group_count` supplementary `groups`,
/// for a file owned by `owner` and `owning_group`, by the algorithm of acl(5) "ACCESS CHECK
/// ALGORITHM": the owner entry; else a named-user entry (masked); else the owning-group and
/// named-group entries that match one of the groups (masked; granted if any grants, denied
/// if some match and none grants); else the other entry.
/// Returns 1 (granted), 0 (denied) or -1 when the ACL cannot be read (errno set; the caller
/// falls back to the mode bits).
int caccess_acl_grants(const char *path, uint32_t uid, uint32_t gid, const uint32_t *groups, int group_count,
                       uint32_t owner, uint32_t owning_group, int permission);

#endif
