/*
 * ldap_auth: check a catalog user against an LDAP directory with a simple
 * bind as uid=NAME,BASE (libldap, LDAPv3), then decide admin rights by
 * membership of an admin group (member / uniqueMember = the user's DN, or
 * memberUid = NAME).  Names are limited to [A-Za-z0-9._-] (no DN or filter
 * escaping games) and empty passwords are refused (an empty simple bind is
 * an anonymous bind).  Any thread: each check opens its own connection,
 * with network and operation timeouts.
 */
#ifndef VTFS_TRACKER_LDAP_AUTH_H
#define VTFS_TRACKER_LDAP_AUTH_H

#include <stdbool.h>

struct ldap_auth {
	const char	*uri;		/* borrowed: ldap://host:port */
	const char	*base;		/* borrowed: users live at uid=N,base */
	const char	*admin_group;	/* borrowed: DN of the admin group */
	int		 timeout_s;	/* 0: 5 s */
};

/*
 * Returns 0 when the bind succeeds (with *admin set from the group), or
 * -EACCES (wrong credentials or not usable), -EIO (server unreachable).
 */
int	ldap_auth_check(const struct ldap_auth *, const char *name,
	    const char *pass, bool *admin);

#endif /* VTFS_TRACKER_LDAP_AUTH_H */
