#include "caccess.h"

#include <acl/libacl.h>
#include <errno.h>
#include <stddef.h>
#include <sys/acl.h>
#include <sys/types.h>

int caccess_has_extended_acl(const char *path) {
    int r = acl_extended_file(path);
    if (r < 0 && (errno == ENOTSUP || errno == ENOSYS)) return 0;  // no ACLs on this file system
    return r;
}

static int in_groups(uint32_t g, uint32_t gid, const uint32_t *groups, int count) {
    if (g == gid) return 1;
    for (int i = 0; i < count; i++) if (groups[i] == g) return 1;
    return 0;
}

static int permits(acl_entry_t entry, int permission) {
    acl_permset_t set;
    if (acl_get_permset(entry, &set) != 0) return 0;
    return acl_get_perm(set, permission == CACCESS_READ ? ACL_READ : ACL_EXECUTE) == 1;
}

int caccess_acl_grants(const char *path, uint32_t uid, uint32_t gid, const uint32_t *groups, int group_count,
                       uint32_t owner, uint32_t owning_group, int permission) {
    acl_t acl = acl_get_file(path, ACL_TYPE_ACCESS);
    if (acl == NULL) return -1;
    // One pass collects what the algorithm needs; the decision follows acl(5)'s order.
    int owner_ok = 0, other_ok = 0, mask_ok = 1, has_mask = 0;
    int user_match = 0, user_ok = 0;
    int group_match = 0, group_ok = 0;
    acl_entry_t entry;
    for (int which = ACL_FIRST_ENTRY; acl_get_entry(acl, which, &entry) == 1; which = ACL_NEXT_ENTRY) {
        acl_tag_t tag;
        if (acl_get_tag_type(entry, &tag) != 0) continue;
        switch (tag) {
        case ACL_USER_OBJ: owner_ok = permits(entry, permission); break;
        case ACL_OTHER: other_ok = permits(entry, permission); break;
        case ACL_MASK: has_mask = 1; mask_ok = permits(entry, permission); break;
        case ACL_USER: {
            uid_t *q = acl_get_qualifier(entry);
            if (q != NULL) {
                if (*q == uid) { user_match = 1; user_ok = permits(entry, permission); }
                acl_free(q);
            }
            break;
        }
        case ACL_GROUP_OBJ:
            if (in_groups(owning_group, gid, groups, group_count)) {
                group_match = 1;
                if (permits(entry, permission)) group_ok = 1;
            }
            break;
        case ACL_GROUP: {
            gid_t *q = acl_get_qualifier(entry);
            if (q != NULL) {
                if (in_groups(*q, gid, groups, group_count)) {
                    group_match = 1;
                    if (permits(entry, permission)) group_ok = 1;
                }
                acl_free(q);
            }
            break;
        }
        default: break;
        }
    }
    acl_free(acl);
    if (uid == owner) return owner_ok;
    if (user_match) return user_ok && mask_ok;
    if (group_match) return group_ok && (has_mask ? mask_ok : 1);
    return other_ok;
}
