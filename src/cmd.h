/*
 * cmd: the commands of the vtfs program.  src/vtfs.c picks one by the mode
 * option found on the command line and hands it the whole argv; each
 * command parses its own options (getopt_long, its mode option included)
 * and returns the process exit status.  Main thread.
 */
#ifndef VTFS_CMD_H
#define VTFS_CMD_H

struct cmd {
	const char	*flag;		/* "--create" */
	const char	*usage;		/* one line for vtfs --help */
	int		(*main)(int argc, char **argv);
};

/* Exit statuses shared by every command. */
enum {
	CMD_EXIT_OK = 0,
	CMD_EXIT_FAIL = 1,	/* the operation failed */
	CMD_EXIT_USAGE = 2,	/* bad command line */
};

int	cmd_create_main(int argc, char **argv);

/* Print "vtfs: " and the message to stderr; returns CMD_EXIT_USAGE. */
int	cmd_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

int	cmd_info_main(int argc, char **argv);
int	cmd_announce_main(int argc, char **argv);
int	cmd_download_main(int argc, char **argv);
int	cmd_mount_main(int argc, char **argv);
int	cmd_status_main(int argc, char **argv);
int	cmd_seed_main(int argc, char **argv);

#endif /* VTFS_CMD_H */
