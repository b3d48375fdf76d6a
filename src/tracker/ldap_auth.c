/*
 * ldap_auth: LDAP simple bind and admin-group check.  See ldap_auth.h.
 */
#define LOG_TAG "ldap"
#include "tracker/ldap_auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <ldap.h>

#include "base/log.h"
#include "tracker/auth.h"

static bool
in_admin_group(LDAP *ld, const struct ldap_auth *cfg, const char *dn,
    const char *name, int timeout)
{
	char filter[3 * 1024 + 128];
	struct timeval tv = { .tv_sec = timeout };
	LDAPMessage *res = NULL;
	int rc, n = 0;

	/* dn and name hold only [A-Za-z0-9._-=,]: nothing to escape. */
	snprintf(filter, sizeof(filter),
	    "(|(member=%s)(uniqueMember=%s)(memberUid=%s))", dn, dn, name);
	rc = ldap_search_ext_s(ld, cfg->admin_group, LDAP_SCOPE_BASE, filter,
	    (char *[]){ "1.1", NULL }, 0, NULL, NULL, &tv, 1, &res);
	if (rc == LDAP_SUCCESS)
		n = ldap_count_entries(ld, res);
	else if (rc != LDAP_NO_SUCH_OBJECT)
		log_warn("admin group search failed: %s", ldap_err2string(rc));
	ldap_msgfree(res);
	return n > 0;
}

int
ldap_auth_check(const struct ldap_auth *cfg, const char *name,
    const char *pass, bool *admin)
{
	int version = LDAP_VERSION3, timeout = cfg->timeout_s ?
	    cfg->timeout_s : 5, rc;
	struct timeval tv = { .tv_sec = timeout };
	struct berval cred;
	char dn[1024];
	LDAP *ld = NULL;

	if (!auth_name_ok(name) || pass[0] == '\0' || cfg->uri == NULL ||
	    cfg->base == NULL)
		return -EACCES;
	if ((size_t)snprintf(dn, sizeof(dn), "uid=%s,%s", name, cfg->base) >=
	    sizeof(dn))
		return -EACCES;
	if (ldap_initialize(&ld, cfg->uri) != LDAP_SUCCESS)
		return -EIO;
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	cred.bv_val = (char *)pass;
	cred.bv_len = strlen(pass);
	rc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL,
	    NULL);
	if (rc != LDAP_SUCCESS) {
		log_info("bind as %s refused: %s", dn, ldap_err2string(rc));
		ldap_unbind_ext_s(ld, NULL, NULL);
		return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT ? -EIO :
		    -EACCES;
	}
	*admin = cfg->admin_group != NULL &&
	    in_admin_group(ld, cfg, dn, name, timeout);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return 0;
}
