#ifndef TOPSH_CONF_SANDBOX_H
#define TOPSH_CONF_SANDBOX_H

#include "config.h"

struct conf_sandbox {
	char		*user;
	char		*docker_group;
	char		*docker_socket;
	char		*image;
	char		*runtime;
	char		*network;
	char		*network_pool;
	char		*workspace_root;
	long long	 memory;
	double		 cpus;
	long long	 pids;
	long long	 idle_timeout;
	long long	 exec_timeout;
	long long	 output_cap;
	long long	 tmpfs_size;
	long long	 disk_quota;
	long long	 max_file_size;
	long long	 ports_per_user;
	int		 port_range[2];
	char		*port_bind;
	long long	 container_uid;
	long long	 max_containers;	/* max-containers auto: -1 */
	long long	 max_creating;		/* max-creating 8 */
	int		 uid_range[2];		/* uid-range 1000000:1999999 */
	struct cfstrlist user_limits;		/* user-limits "ID k=v..." */
	long long	 userns_offset;		/* userns-offset 0 */
	long long	 warm_pool;		/* warm-pool 2 */
};

#endif
